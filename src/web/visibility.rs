//! IntersectionObserver: the only module that touches it. One shared observer tells views
//! when their element comes near the viewport, so a grid of hundreds of thumbnails reads from
//! storage only what is about to be seen (the first screenful first).

use std::cell::RefCell;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// How far outside the viewport an element counts as near (so it is ready when scrolled to).
const MARGIN: &str = "600px 0px";

struct Shared {
    observer: IntersectionObserver,
    waiting: Vec<(Element, Box<dyn FnOnce()>)>,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

thread_local! {
    static SHARED: RefCell<Option<Shared>> = const { RefCell::new(None) };
}

fn on_entries(entries: js_sys::Array) {
    let mut ready = Vec::new();
    SHARED.with(|s| {
        let mut s = s.borrow_mut();
        let Some(shared) = s.as_mut() else { return };
        for entry in entries.iter() {
            let entry: IntersectionObserverEntry = entry.unchecked_into();
            if !entry.is_intersecting() {
                continue;
            }
            let target = entry.target();
            shared.observer.unobserve(&target);
            if let Some(at) = shared.waiting.iter().position(|(e, _)| *e == target) {
                ready.push(shared.waiting.swap_remove(at).1);
            }
        }
    });
    // Run outside the borrow: a callback may register another element.
    for f in ready {
        f();
    }
}

/// Calls `f` once, when `element` comes near the viewport (at once where the browser has no
/// IntersectionObserver).
pub fn when_near(element: &Element, f: impl FnOnce() + 'static) {
    let available = SHARED.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_none() {
            let callback = Closure::<dyn FnMut(js_sys::Array)>::new(on_entries);
            let init = IntersectionObserverInit::new();
            init.set_root_margin(MARGIN);
            if let Ok(observer) =
                IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
            {
                *s = Some(Shared {
                    observer,
                    waiting: Vec::new(),
                    _callback: callback,
                });
            }
        }
        s.is_some()
    });
    if !available {
        f();
        return;
    }
    SHARED.with(|s| {
        if let Some(shared) = s.borrow_mut().as_mut() {
            shared.observer.observe(element);
            shared.waiting.push((element.clone(), Box::new(f)));
        }
    });
}

/// Stops waiting for `element` (its view went away before it was seen).
pub fn forget(element: &Element) {
    SHARED.with(|s| {
        if let Some(shared) = s.borrow_mut().as_mut() {
            shared.observer.unobserve(element);
            shared.waiting.retain(|(e, _)| e != element);
        }
    });
}
