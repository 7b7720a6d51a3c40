//! Continuity: consistent image series with OpenAI's gpt-image-2, in the browser.
//!
//! Three layers over the pure core ([`continuity_core`]):
//! - [`web`]: one file per browser API, the only place that touches it (HTTP, IndexedDB,
//!   web storage, Blobs and object URLs, clock and crypto, locks, channels);
//! - [`app`]: reactive orchestration without markup (state, the open series' store and its
//!   persistence, the images client, the batch runner, reference images);
//! - [`ui`]: components only, one family per folder.

pub mod app;
pub mod parts;
pub mod ui;
pub mod web;

pub use ui::app::App;
