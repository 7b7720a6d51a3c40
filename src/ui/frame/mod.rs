//! One frame: its card in the grid, its shot editor and the "what will be sent" view.

pub mod card;
pub mod drag;
pub mod sent_preview;
pub mod shot_editor;
