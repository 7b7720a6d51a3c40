//! Entry point: install the panic hook and mount the app. Everything else lives in the library
//! so that `tests/` can import components.
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| view! { <continuity::App/> });
}
