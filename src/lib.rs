//! Continuity: consistent image series with OpenAI's gpt-image-2, in the browser.
//!
//! Pure core (native-tested): [`model`], [`catalogue`], [`cost`], [`compiler`], [`sse`],
//! [`failure`], [`scheduler`], [`settings`], [`api::request`]. Thin edges, one per outside
//! thing: [`net`] (fetch), [`storage`] (IndexedDB), [`web_storage`] (local/session storage),
//! [`images`] (Blobs), [`platform`] (clock, timers). Components live in [`ui`].

pub mod api;
pub mod api_types;
pub mod catalogue;
pub mod compiler;
pub mod cost;
pub mod failure;
pub mod images;
pub mod model;
pub mod net;
pub mod plan;
pub mod platform;
pub mod references;
pub mod runner;
pub mod scheduler;
pub mod settings;
pub mod sse;
pub mod state;
pub mod storage;
pub mod ui;
pub mod web_storage;

pub use ui::app::App;
