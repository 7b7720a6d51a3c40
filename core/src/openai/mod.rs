//! The OpenAI Images API as data: request bodies ([`request`]), response metadata
//! ([`response`]), token usage and the error envelope ([`types`]), server-sent events
//! ([`sse`]) and the image stream events carried by them.

pub mod request;
pub mod response;
pub mod sse;
pub mod types;
