//! Components. They stay thin: state lives in [`crate::state`], rules in the pure modules.

pub mod app;
pub mod frame_card;
pub mod projects;
pub mod series;
pub mod settings_panel;
pub mod thumb;
