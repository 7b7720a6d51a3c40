//! The Content-Security-Policy of every page and script the server serves.
//!
//! One policy, built here: the server sends it as a header; the static build carries the same
//! text (minus `frame-ancestors`, which browsers ignore in a `<meta>` tag) in `index.html`,
//! and a test keeps the two equal. When the server serves `index.html` it removes that `<meta>`
//! so the header is the only policy in force (two policies would both apply, and the build's
//! `connect-src` would block endpoints added here with `--connect-src`).

use std::borrow::Cow;

/// The OpenAI API: the app's "OpenAI directly" mode talks to it from the browser.
pub const OPENAI_API: &str = "https://api.openai.com";

/// Where a policy is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The `Content-Security-Policy` response header.
    Header,
    /// A `<meta http-equiv>` tag, which ignores `frame-ancestors`.
    Meta,
}

/// The policy, with `extra_connect` (the deployment's custom endpoints) added to `connect-src`.
///
/// - `script-src 'self' 'wasm-unsafe-eval'`: only our own files (the loader is `boot.js`, not an
///   inline script), and WebAssembly compilation without JavaScript `eval`.
/// - `style-src 'self'`: the stylesheet; the app's `style:` properties are CSSOM writes from
///   script, which the policy allows (only `style="..."` markup would be blocked).
/// - `img-src blob: data:`: generated and reference images are shown from object URLs.
/// - `connect-src data: blob:`: the app decodes the API's base64 images by fetching a `data:`
///   URL, and may read its own object URLs back. Both schemes resolve to bytes the page already
///   holds, so neither can carry anything off the machine.
/// - `worker-src 'self' blob:`: the service worker and the app's Web Worker.
/// - `base-uri 'self'`: Trunk's `<base href>` (the public URL) must keep working, and relative
///   fetches (`api/config`, `models.json`, `sw.js`) resolve against it; a `<base>` pointing to
///   another origin, the attack `base-uri` exists for, is still refused.
pub fn policy(extra_connect: &[String], delivery: Delivery) -> String {
    let mut connect = vec!["'self'", "data:", "blob:", OPENAI_API];
    connect.extend(extra_connect.iter().map(String::as_str));
    let mut directives = vec![
        "default-src 'none'".to_string(),
        "script-src 'self' 'wasm-unsafe-eval'".to_string(),
        "style-src 'self'".to_string(),
        "img-src 'self' blob: data:".to_string(),
        format!("connect-src {}", connect.join(" ")),
        "worker-src 'self' blob:".to_string(),
        "manifest-src 'self'".to_string(),
        "base-uri 'self'".to_string(),
        "form-action 'none'".to_string(),
    ];
    if delivery == Delivery::Header {
        directives.push("frame-ancestors 'none'".to_string());
    }
    directives.join("; ")
}

/// Checks a `--connect-src` value: an http(s) source expression such as
/// `https://proxy.example.org`, `https://*.example.org` or `http://127.0.0.1:*`, optionally
/// with a path. Anything that could end the directive or add a keyword is refused.
pub fn check_source(source: &str) -> Result<String, String> {
    let source = source.trim();
    let rest = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
        .ok_or_else(|| format!("--connect-src {source:?} must start with https:// or http://"))?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/:*[]%".contains(c);
    if host.is_empty() || !rest.chars().all(allowed) {
        return Err(format!(
            "--connect-src {source:?} is not a source such as https://proxy.example.org"
        ));
    }
    Ok(source.to_string())
}

/// `html` without its `<meta http-equiv="Content-Security-Policy">` tags (any quoting, case
/// or attribute order, as a minifier may write them).
pub fn strip_meta_policy(html: &str) -> Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = lower[from..].find("<meta").map(|i| i + from) {
        let Some(end) = lower[at..].find('>').map(|i| at + i + 1) else {
            break;
        };
        let tag = &lower[at..end];
        if tag.contains("http-equiv") && tag.contains("content-security-policy") {
            out.push_str(&html[copied..at]);
            copied = end;
        }
        from = end;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `content` of the policy `<meta>` in the repository's `index.html`.
    fn meta_in_index_html() -> String {
        let html = include_str!("../../../index.html");
        let at = html
            .find("http-equiv=\"Content-Security-Policy\"")
            .expect("index.html carries the policy as a <meta> tag");
        let rest = &html[at..];
        let start = rest.find("content=\"").expect("content attribute") + "content=\"".len();
        let len = rest[start..].find('"').expect("closing quote");
        rest[start..start + len].to_string()
    }

    #[test]
    fn the_static_build_carries_the_same_policy() {
        assert_eq!(meta_in_index_html(), policy(&[], Delivery::Meta));
        assert_eq!(
            policy(&[], Delivery::Header),
            format!("{}; frame-ancestors 'none'", policy(&[], Delivery::Meta))
        );
    }

    #[test]
    fn custom_endpoints_join_connect_src() {
        let p = policy(&["https://proxy.example.org".into()], Delivery::Header);
        assert!(p.contains(
            "connect-src 'self' data: blob: https://api.openai.com https://proxy.example.org; worker-src"
        ));
        assert!(p.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval';"));
    }

    #[test]
    fn sources_cannot_smuggle_directives() {
        for good in [
            "https://proxy.example.org",
            "https://*.example.org",
            "http://127.0.0.1:*",
            "https://example.org:8443/openai/v1",
            " https://x.org ",
        ] {
            assert!(check_source(good).is_ok(), "{good}");
        }
        for bad in [
            "proxy.example.org",
            "https://x.org; script-src *",
            "https://x.org 'unsafe-eval'",
            "https://x.org,https://y.org",
            "https://",
            "javascript:alert(1)",
            "*",
        ] {
            assert!(check_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_policies_are_removed_however_written() {
        let html = "<head><meta charset=utf-8><meta http-equiv=\"Content-Security-Policy\" \
                    content=\"default-src 'none'\"><META content=\"x\" HTTP-EQUIV=content-security-policy>\
                    <meta name=x content=y></head>";
        assert_eq!(
            strip_meta_policy(html),
            "<head><meta charset=utf-8><meta name=x content=y></head>"
        );
        assert!(matches!(
            strip_meta_policy("<meta name=a>"),
            Cow::Borrowed(_)
        ));
    }
}
