//! Page lifecycle events: the only module that listens to `pagehide`, `visibilitychange` and
//! `online`. Pending edits are flushed when the page is hidden or left, because a
//! hidden page may be discarded without any further event.

use leptos::prelude::*;

/// Calls `flush` when the page is hidden or being unloaded. Listeners stay for the page's life.
pub fn on_hide(flush: impl Fn() + Clone + 'static) {
    let on_pagehide = flush.clone();
    let pagehide = window_event_listener(leptos::ev::pagehide, move |_| on_pagehide());
    let visibility = window_event_listener(leptos::ev::visibilitychange, move |_| {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if hidden {
            flush();
        }
    });
    // For the page's lifetime: forget the handles instead of removing them on cleanup.
    std::mem::forget(pagehide);
    std::mem::forget(visibility);
}

/// Calls `back` every time the browser comes back online (the `online` event). The listener
/// stays for the page's life.
pub fn on_online(back: impl Fn() + 'static) {
    let online = window_event_listener(leptos::ev::online, move |_| back());
    std::mem::forget(online);
}
