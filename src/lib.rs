//! Continuity: consistent image series with OpenAI's gpt-image-2, in the browser.
//!
//! Pure core (native-tested): [`model`], [`catalogue`], [`cost`], [`compiler`], [`sse`],
//! [`failure`], [`scheduler`], [`settings`], [`api::request`]. Thin edges, one per outside
//! thing: [`net`] (fetch), [`storage`] (IndexedDB), [`web_storage`] (local/session storage),
//! [`images`] (Blobs), [`platform`] (clock, timers). Components live in [`ui`].

pub mod api;
pub mod images;
pub mod net;
pub mod platform;
pub mod references;
pub mod runner;
pub mod state;
pub mod storage;
pub mod ui;
pub mod web_storage;

pub use ui::app::App;
