//! One frame: its card in the grid (in parts: picture, variant strip, anchor controls,
//! actions), its shot editor and the "what will be sent" view.

pub mod actions;
pub mod anchor;
pub mod card;
pub mod checks;
pub mod drag;
pub mod image;
pub mod sent_preview;
pub mod shot_editor;
pub mod variants;

use leptos::prelude::*;
use std::collections::HashSet;

/// Which frames the grid shows (`None`: all). Provided by the series screen's search; cards
/// hide when they do not match.
#[derive(Clone, Copy)]
pub struct FrameFilter(pub Memo<Option<HashSet<String>>>);
