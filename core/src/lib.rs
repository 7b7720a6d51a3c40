//! The pure core of Continuity: everything that can be decided without a browser.
//!
//! This crate has no `web-sys`, no `leptos` and no I/O, so the compiler enforces that the
//! rules below stay testable natively (`cargo test -p continuity-core`) and that `bench`,
//! `server` tests and the worker can reuse them without pulling in the UI.
//!
//! - [`model`]: the series, its frames, bible, shot specs, sizes and templates.
//! - [`compiler`]: bible + frame → the exact prompt and reference images sent.
//! - [`openai`]: request encoding, response metadata, SSE and image stream events, API types.
//! - [`failure`]: classifying failures and the retry rules.
//! - [`scheduler`]: the batch state machine (anchor first, concurrency, budget, stop/cancel).
//! - [`plan`], [`cost`], [`catalogue`], [`settings`]: what a batch will cost and where it goes.
//! - [`image_type`]: which bytes are an image we accept.
//! - [`fields`]: reading the first screen's few records without serde (summaries, settings).
//! - [`brief`]: the brief planner, describe-from-images and result-check schemas, their
//!   requests and validators, and frame templates with variable rows.
//! - [`text_models`]: the Responses API's text models and what a call costs.
//! - [`export`]: ZIP, PDF, GIF and contact-sheet writers, the ZIP and CSV readers for import.
#![forbid(unsafe_code)]

pub mod batch_run;
pub mod brief;
pub mod bulk_edit;
pub mod catalogue;
pub mod compiler;
pub mod cost;
pub mod export;
pub mod failure;
pub mod fields;
pub mod guard;
pub mod image_type;
pub mod locale;
pub mod meter;
pub mod model;
pub mod model_line;
pub mod openai;
pub mod output_options;
pub mod pixels;
pub mod plan;
pub mod requests;
pub mod scheduler;
pub mod settings;
pub mod status;
pub mod text_models;
