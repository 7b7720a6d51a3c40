//! The browser edge: one file per outside thing, and the only code that touches it.

pub mod blob;
pub mod clock;
pub mod http;
pub mod idb;
pub mod web_storage;
