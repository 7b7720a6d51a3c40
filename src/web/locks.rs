//! Web Locks: the only module that touches `navigator.locks`. One tab at a time holds the
//! batch lock, so two tabs never run (and pay for) batches at once; the browser releases a
//! lock by itself when its tab closes or crashes.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

/// A held lock; dropping it releases the lock.
pub struct HeldLock {
    release: Function,
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// What asking for a lock gave.
pub enum LockAnswer {
    /// This tab holds it until the [`HeldLock`] is dropped.
    Held(HeldLock),
    /// Another tab holds it.
    Busy,
    /// The browser has no Web Locks (this tab then runs without the guard).
    Unsupported,
}

/// Takes the exclusive lock `name` if no other tab holds it (`ifAvailable`), without waiting.
pub async fn try_lock(name: &str) -> LockAnswer {
    let Some(locks) = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null())
    else {
        return LockAnswer::Unsupported;
    };
    let Ok(request) =
        Reflect::get(&locks, &"request".into()).map(JsCast::unchecked_into::<Function>)
    else {
        return LockAnswer::Unsupported;
    };
    // The lock is held while the promise returned by the callback is pending: resolve it to
    // release. The callback reports (through `granted`) whether it got the lock.
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted_resolve: Option<Function> = None;
    let granted = Promise::new(&mut |resolve, _| granted_resolve = Some(resolve));
    let granted_resolve = granted_resolve.expect("promise executor runs at once");
    let held_for_callback = held.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let got = !lock.is_null() && !lock.is_undefined();
        let _ = granted_resolve.call1(&JsValue::NULL, &JsValue::from_bool(got));
        if got {
            held_for_callback.into()
        } else {
            JsValue::UNDEFINED
        }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    if request
        .call3(&locks, &JsValue::from_str(name), &options, &callback)
        .is_err()
    {
        return LockAnswer::Unsupported;
    }
    match JsFuture::from(granted).await.ok().and_then(|v| v.as_bool()) {
        Some(true) => LockAnswer::Held(HeldLock {
            release: release.expect("promise executor runs at once"),
        }),
        _ => LockAnswer::Busy,
    }
}
