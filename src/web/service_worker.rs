//! The offline app shell's service worker (`sw.js`, written per build by
//! `scripts/postbuild.mjs`): registers it and says when a new build is installed and waiting,
//! so the page can offer a reload (the worker switches builds on that reload).
//!
//! Release builds only: debug builds (`trunk serve`, the browser tests) never register it, so
//! development always sees fresh files.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `navigator.serviceWorker` (web-sys has it behind features this crate does not enable).
    #[wasm_bindgen(extends = web_sys::EventTarget)]
    type Container;
    #[wasm_bindgen(method, catch)]
    fn register(this: &Container, url: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn controller(this: &Container) -> JsValue;

    /// A `ServiceWorkerRegistration`.
    #[wasm_bindgen(extends = web_sys::EventTarget)]
    #[derive(Clone)]
    type Registration;
    #[wasm_bindgen(method, getter)]
    fn waiting(this: &Registration) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn installing(this: &Registration) -> JsValue;
    #[wasm_bindgen(method, catch)]
    fn update(this: &Registration) -> Result<js_sys::Promise, JsValue>;

    /// A `ServiceWorker`.
    #[wasm_bindgen(extends = web_sys::EventTarget)]
    #[derive(Clone)]
    type Worker;
    #[wasm_bindgen(method, getter)]
    fn state(this: &Worker) -> String;
}

/// What the page tells the user when a new build is waiting.
pub const UPDATE_READY: &str = "A new version of Continuity is ready: reload the page to update.";

/// Registers `sw.js` (beside the page, so its scope is the app's base URL) and calls
/// `on_update` with [`UPDATE_READY`] when a new build is waiting to take over: at once if one
/// already waits, or when one finishes installing. Does nothing where service workers are
/// unavailable (an insecure origin, a private mode that disables them) or when the file is
/// missing.
pub fn register(on_update: impl Fn(&'static str) + 'static) {
    if cfg!(debug_assertions) {
        return;
    }
    let Some(container) = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"serviceWorker".into()).ok())
        .filter(|c| !c.is_undefined() && !c.is_null())
        .map(JsCast::unchecked_into::<Container>)
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(promise) = container.register("sw.js") else {
            return;
        };
        let Ok(registration) = JsFuture::from(promise).await else {
            return;
        };
        // A browser (or an automation setting) that blocks service workers may resolve with
        // nothing at all: then there is simply no offline copy.
        if !registration.is_object() {
            return;
        }
        let registration: Registration = registration.unchecked_into();
        // Only a page that a worker already controls has an older build to replace; on a first
        // visit the new worker simply takes over.
        let controlled = Rc::new(move || !container.controller().is_null());
        let on_update: Rc<dyn Fn()> = Rc::new(move || on_update(UPDATE_READY));
        if !registration.waiting().is_null() && controlled() {
            on_update();
        }
        let reg = registration.clone();
        let found = Closure::<dyn Fn()>::new(move || {
            let installing = reg.installing();
            if installing.is_null() {
                return;
            }
            let worker: Worker = installing.unchecked_into();
            let (watched, controlled, on_update) =
                (worker.clone(), controlled.clone(), on_update.clone());
            let changed = Closure::<dyn Fn()>::new(move || {
                if watched.state() == "installed" && controlled() {
                    on_update();
                }
            });
            let _ = worker
                .add_event_listener_with_callback("statechange", changed.as_ref().unchecked_ref());
            changed.forget();
        });
        let _ = registration
            .add_event_listener_with_callback("updatefound", found.as_ref().unchecked_ref());
        // Listens for the page's life.
        found.forget();
        // Look for a new build now rather than whenever the browser next checks; offline this
        // fails, which changes nothing.
        if let Ok(promise) = registration.update() {
            let _ = JsFuture::from(promise).await;
        }
    });
}
