//! Components. They stay thin: state lives in [`crate::state`], rules in the pure modules.

pub mod app;
pub mod bible_panel;
pub mod fields;
pub mod frame_card;
pub mod plan_dialog;
pub mod projects;
pub mod sent_preview;
pub mod series;
pub mod settings_panel;
pub mod shot_editor;
pub mod thumb;
