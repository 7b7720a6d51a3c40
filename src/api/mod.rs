//! The browser client of the OpenAI Images API: sends requests, reads plain and streamed
//! responses, classifies failures and retries them by the rules in
//! [`continuity_core::failure`]. Request and response types live in
//! [`continuity_core::openai`].

pub mod client;
