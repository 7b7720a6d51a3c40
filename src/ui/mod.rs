//! Components, one family per folder. They hold markup; behaviour lives in [`crate::app`],
//! rules in [`continuity_core`].

pub mod app;
pub mod bible;
pub mod fields;
pub mod frame;
pub mod inspector;
pub mod lazy_view;
pub mod menu;
pub mod modal;
pub mod projects;
pub mod said;
pub mod series;
pub mod settings;
pub mod shortcuts;
pub mod storage_meter;
pub mod thumb;
