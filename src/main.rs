//! Entry point: install the panic hook and mount the app. Everything else lives in the library
//! so that `tests/` can import components.
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    // index.html paints a static copy of the first screen while the wasm loads; the live one
    // replaces it.
    if let Some(shell) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("first-paint"))
    {
        shell.remove();
    }
    leptos::mount::mount_to_body(|| view! { <continuity::App/> });
}
