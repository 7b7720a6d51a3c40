//! Native modal dialogs: a `<dialog>` shown with `showModal()` traps focus, makes the rest of
//! the page inert, closes on Escape and is announced as a dialog — nothing of that is
//! re-implemented by hand.

use leptos::html;
use leptos::prelude::*;

/// Shows `dialog` as a modal as soon as it is mounted. For a `<dialog>` rendered inside a
/// `<Show>`: mounting it opens it, and its `close` event (Escape, or a button calling
/// `close()`) should set the `Show` condition back to false.
pub fn show_when_mounted(dialog: NodeRef<html::Dialog>) {
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
}
