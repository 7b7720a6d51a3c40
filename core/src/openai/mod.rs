//! The OpenAI Images API as data: request bodies ([`request`]), response metadata
//! ([`response`]), token usage and the error envelope ([`types`]), server-sent events
//! ([`sse`]) and the image stream events carried by them, the Batch and Files APIs
//! ([`batch`]), the model list with shutdown dates ([`models`]) and the server's recoverable
//! jobs ([`jobs`]); the Responses API for structured text calls ([`responses`]).

pub mod batch;
pub mod jobs;
pub mod models;
pub mod request;
pub mod response;
pub mod responses;
pub mod sse;
pub mod types;
