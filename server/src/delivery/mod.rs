//! How the app is delivered: its Content-Security-Policy ([`csp`]), HTTP caching rules,
//! precompressed bodies chosen by `Accept-Encoding`, validators and byte ranges ([`http`]).
//!
//! Compression happens at build time: the Trunk post-build hook (`scripts/postbuild.mjs`)
//! writes `.br` (quality 11) and `.gz` (level 9) beside every compressible file, so a request
//! costs no CPU and gets the smallest body. Only `index.html`, which the server edits (it
//! removes the policy `<meta>`), is gzipped per request (about 1.5 KB). Nothing else is
//! compressed here: API responses and forward mode's `text/event-stream` image streams are
//! never touched.

pub mod csp;
pub mod http;

/// Delivery settings of a deployment.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// `--connect-src`: endpoints the app may call besides its own origin and the OpenAI API
    /// (custom endpoints, a separate proxy), added to the policy's `connect-src`.
    pub connect_src: Vec<String>,
}

impl Delivery {
    /// The `Content-Security-Policy` header value.
    pub fn policy_header(&self) -> String {
        csp::policy(&self.connect_src, csp::Delivery::Header)
    }
}
