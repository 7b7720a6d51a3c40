//! Helpers shared by the browser tests: mounting, querying and waiting on the real DOM.
#![allow(dead_code)]

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// The test page's document.
pub fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts a view into a fresh element of its own (all tests share one page). Keep the
/// handle alive: dropping it unmounts.
pub fn mount<F, N>(f: F) -> (Element, leptos::mount::UnmountHandle<N::State>)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let root = doc().create_element("section").unwrap();
    doc().body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone().unchecked_into(), f);
    (root, handle)
}

/// A name no other test run uses (databases persist in the test profile).
pub fn unique_name(prefix: &str) -> String {
    format!("test-{prefix}-{:x}", continuity::platform::random_u64())
}

/// Leaks a string for a `&'static str` prop (fine in tests).
pub fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// First element matching a CSS selector.
pub fn query(selector: &str) -> Option<Element> {
    doc().query_selector(selector).unwrap()
}

/// All elements matching a CSS selector.
pub fn query_all(selector: &str) -> Vec<Element> {
    let list = doc().query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

/// Text of the first match.
pub fn text(selector: &str) -> String {
    query(selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Clicks the first match.
pub fn click(selector: &str) {
    query(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Types into an input or textarea the way a user does (value + `input` event).
pub fn set_input(selector: &str, value: &str) {
    let el = query(selector).unwrap_or_else(|| panic!("no {selector}"));
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(value);
    }
    let ev = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Polls `cond` every 20 ms for up to 20 s; panics with `what` if it never holds.
pub async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        continuity::platform::sleep(20, None).await.unwrap();
    }
    panic!("timed out waiting for {what}");
}

/// Resets the URL hash so the next test starts on the projects screen.
pub fn reset_hash() {
    let _ = web_sys::window().unwrap().location().set_hash("");
}

/// All bytes of a Blob (tests only).
pub async fn blob_bytes(blob: &web_sys::Blob) -> Vec<u8> {
    let buf = JsFuture::from(blob.array_buffer()).await.unwrap();
    js_sys::Uint8Array::new(&buf).to_vec()
}
