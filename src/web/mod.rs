//! The browser edge: one file per outside thing, and the only code that touches it.

pub mod blob;
pub mod canvas;
pub mod channel;
pub mod clock;
pub mod download;
pub mod http;
pub mod idb;
pub mod idle;
pub mod image_body;
pub mod json;
pub mod lifecycle;
pub mod locks;
pub mod markup;
pub mod quota;
pub mod service_worker;
pub mod text;
pub mod visibility;
pub mod web_storage;
pub mod worker;
