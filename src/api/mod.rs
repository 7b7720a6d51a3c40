//! The OpenAI Images API client: request encoding and response metadata (pure), and the
//! browser client that sends requests, reads plain and streamed responses, classifies
//! failures and retries them by the rules in [`crate::failure`].

pub mod client;
pub mod request;
pub mod response;
