//! The workers, one client per [`WorkerKind`]: each started on its first use, with its own
//! start-up queue, pending requests and crash handling; requests matched to answers by id,
//! each with its timer; a worker that crashed, timed out or failed to load is dropped and the
//! next call to it starts a fresh one (the other worker goes on).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{ErrorEvent, Event, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::message::{Answer, Request};
use super::{WorkerError, WorkerKind, DEFAULT_TIMEOUT_MS, PROTOCOL};

thread_local! {
    /// The running workers, by [`slot`].
    static CLIENTS: RefCell<[Option<Rc<Client>>; 2]> = const { RefCell::new([None, None]) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static TIMEOUT_MS: Cell<u32> = const { Cell::new(DEFAULT_TIMEOUT_MS) };
}

pub(super) type Outcome = Result<Object, WorkerError>;

/// Called with `(done, total)` for each progress message of a long request.
pub(super) type OnProgress = Rc<dyn Fn(u32, u32)>;

/// A request waiting for its answer.
struct Pending {
    reply: oneshot::Sender<Outcome>,
    /// The timer that fails the request; a progress message restarts it, so the limit is on
    /// silence, not on the length of an export.
    timer: Cell<i32>,
    on_timeout: Closure<dyn FnMut()>,
    on_progress: Option<OnProgress>,
}

/// A running worker and its bookkeeping.
struct Client {
    kind: WorkerKind,
    worker: Worker,
    /// Set once the worker said it listens; until then messages wait in `queue` (a message
    /// sent before the wasm has set `onmessage` would be lost).
    ready: Cell<bool>,
    queue: RefCell<Vec<(Object, Array)>>,
    /// By request id. A few at a time: a `Vec` costs less code in the main bundle than a map.
    pending: RefCell<Vec<(u32, Pending)>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

/// Sends a request to its worker and waits for its answer (`ok: true`), its refusal, or the
/// timeout.
pub(super) async fn call(req: Request) -> Result<Answer, WorkerError> {
    call_with_progress(req, None).await
}

/// [`call`], with `on_progress` called for each `{ progress, total }` message the worker
/// posts on the way (each one also restarts the timeout).
pub(super) async fn call_with_progress(
    req: Request,
    on_progress: Option<OnProgress>,
) -> Result<Answer, WorkerError> {
    let kind = req.kind;
    let client = client(kind)?;
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    req.set("id", id.into());
    let ms = TIMEOUT_MS.with(Cell::get);
    let (reply, answer) = oneshot::channel();
    let on_timeout = Closure::<dyn FnMut()>::new(move || {
        if let Some(client) = current(kind) {
            client.fail_all_and_stop(WorkerError::Timeout { worker: kind, ms });
        }
    });
    let timer =
        arm(&on_timeout, ms).ok_or_else(|| WorkerError::Unavailable(kind, "no timer".into()))?;
    client.pending.borrow_mut().push((
        id,
        Pending {
            reply,
            timer: Cell::new(timer),
            on_timeout,
            on_progress,
        },
    ));
    client.send(req.message, req.transfer);
    match answer.await {
        Ok(outcome) => outcome.map(|object| Answer { kind, object }),
        // The sender is dropped without an answer only if the client went away unnoticed.
        Err(_) => Err(WorkerError::Crashed(kind, "the request was dropped".into())),
    }
}

/// Starts a timer that runs `callback` after `ms`.
fn arm(callback: &Closure<dyn FnMut()>, ms: u32) -> Option<i32> {
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.as_ref().unchecked_ref(),
            ms.min(i32::MAX as u32) as i32,
        )
        .ok()
}

/// Asks the running files worker, if any, to stop its exports before their next step (they
/// then answer as cancelled). Nothing to do when it does not run.
pub(super) fn cancel_exports() {
    if let Some(client) = current(WorkerKind::of("cancel-exports")) {
        let message = Object::new();
        let _ = Reflect::set(&message, &"op".into(), &"cancel-exports".into());
        client.send(message, Array::new());
    }
}

/// Where a worker's client is kept in `CLIENTS`.
fn slot(kind: WorkerKind) -> usize {
    match kind {
        WorkerKind::Pixels => 0,
        WorkerKind::Files => 1,
    }
}

fn current(kind: WorkerKind) -> Option<Rc<Client>> {
    CLIENTS.with(|c| c.borrow()[slot(kind)].clone())
}

/// The running worker of `kind`, started on first use.
fn client(kind: WorkerKind) -> Result<Rc<Client>, WorkerError> {
    if let Some(client) = current(kind) {
        return Ok(client);
    }
    let client = Client::spawn(kind)?;
    CLIENTS.with(|c| c.borrow_mut()[slot(kind)] = Some(client.clone()));
    Ok(client)
}

/// The loader's URL: relative to the document's base (Trunk's public URL).
fn loader_url(kind: WorkerKind) -> Result<String, WorkerError> {
    let unavailable = |why: &str| WorkerError::Unavailable(kind, why.to_string());
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| unavailable("no document"))?;
    let base = document
        .base_uri()
        .ok()
        .flatten()
        .ok_or_else(|| unavailable("no base URL"))?;
    web_sys::Url::new_with_base(kind.loader(), &base)
        .map(|u| u.href())
        .map_err(|_| unavailable("no worker URL"))
}

impl Client {
    fn spawn(kind: WorkerKind) -> Result<Rc<Client>, WorkerError> {
        let url = loader_url(kind)?;
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name(kind.bin());
        let worker = Worker::new_with_options(&url, &options)
            .map_err(|e| WorkerError::Unavailable(kind, describe(&e)))?;
        let client = Rc::new_cyclic(|me: &Weak<Client>| {
            let me_message = me.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(client) = me_message.upgrade() {
                    client.on_message(e.data());
                }
            });
            let me_error = me.clone();
            let on_error = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
                if let Some(client) = me_error.upgrade() {
                    client.on_error(&e);
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Client {
                kind,
                worker: worker.clone(),
                ready: Cell::new(false),
                queue: RefCell::new(Vec::new()),
                pending: RefCell::new(Vec::new()),
                _on_message: on_message,
                _on_error: on_error,
            }
        });
        Ok(client)
    }

    fn send(&self, message: Object, transfer: Array) {
        if !self.ready.get() {
            self.queue.borrow_mut().push((message, transfer));
            return;
        }
        if let Err(e) = self.worker.post_message_with_transfer(&message, &transfer) {
            // Only an unclonable message fails here (e.g. a detached ImageBitmap).
            let id = Reflect::get(&message, &"id".into())
                .ok()
                .and_then(|v| v.as_f64());
            if let Some(id) = id {
                let why = format!("the request could not be sent: {}", describe(&e));
                self.settle(id as u32, Err(WorkerError::Refused(why)));
            }
        }
    }

    fn on_message(&self, data: JsValue) {
        let get = |key: &str| Reflect::get(&data, &key.into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(version) = get("ready").as_f64() {
            if version as u32 != PROTOCOL {
                let why = format!(
                    "its script is of another version (protocol {version}, expected {PROTOCOL}); \
                     reload the page"
                );
                self.fail_all_and_stop(WorkerError::Unavailable(self.kind, why));
                return;
            }
            self.ready.set(true);
            let queued = std::mem::take(&mut *self.queue.borrow_mut());
            for (message, transfer) in queued {
                self.send(message, transfer);
            }
            return;
        }
        if let Some(why) = get("crash").as_string() {
            self.fail_all_and_stop(WorkerError::Crashed(self.kind, why));
            return;
        }
        let Some(id) = get("id").as_f64() else {
            return;
        };
        if let Some(done) = get("progress").as_f64() {
            self.progress(
                id as u32,
                done as u32,
                get("total").as_f64().unwrap_or(0.0) as u32,
            );
            return;
        }
        let outcome = if get("ok").as_bool() == Some(true) {
            Ok(data.unchecked_into())
        } else if get("cancelled").as_bool() == Some(true) {
            Err(WorkerError::Cancelled)
        } else {
            let why = get("error").as_string();
            Err(WorkerError::Refused(
                why.unwrap_or_else(|| "the worker refused the request".into()),
            ))
        };
        self.settle(id as u32, outcome);
    }

    fn on_error(&self, event: &Event) {
        // A module worker whose script fails to load (missing, wrong type, blocked by the
        // content security policy) gets a plain `Event`; an uncaught exception an `ErrorEvent`.
        let message = event
            .dyn_ref::<ErrorEvent>()
            .map(ErrorEvent::message)
            .filter(|m| !m.is_empty());
        event.prevent_default();
        let kind = self.kind;
        let error = match (self.ready.get(), message) {
            (true, m) => {
                WorkerError::Crashed(kind, m.unwrap_or_else(|| "an uncaught error".into()))
            }
            (false, m) => WorkerError::Unavailable(
                kind,
                m.unwrap_or_else(|| {
                    format!(
                        "{} or its wasm did not load (missing, blocked, or no module workers)",
                        kind.loader()
                    )
                }),
            ),
        };
        self.fail_all_and_stop(error);
    }

    /// A progress message: restart the request's timer and tell its caller.
    fn progress(&self, id: u32, done: u32, total: u32) {
        let callback = {
            let pending = self.pending.borrow();
            let Some((_, p)) = pending.iter().find(|(i, _)| *i == id) else {
                return; // already settled
            };
            if let Some(w) = web_sys::window() {
                w.clear_timeout_with_handle(p.timer.get());
            }
            if let Some(timer) = arm(&p.on_timeout, TIMEOUT_MS.with(Cell::get)) {
                p.timer.set(timer);
            }
            p.on_progress.clone()
        };
        // Called with nothing borrowed: the callback may set signals that run other code.
        if let Some(callback) = callback {
            callback(done, total);
        }
    }

    fn settle(&self, id: u32, outcome: Outcome) {
        let taken = {
            let mut pending = self.pending.borrow_mut();
            let at = pending.iter().position(|(i, _)| *i == id);
            at.map(|at| pending.swap_remove(at).1)
        };
        let Some(p) = taken else {
            return; // already timed out
        };
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(p.timer.get());
        }
        let _ = p.reply.send(outcome);
    }

    /// Stops this worker, fails every pending request with `error`, and forgets the worker so
    /// the next request to it starts a fresh one.
    fn fail_all_and_stop(&self, error: WorkerError) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        CLIENTS.with(|c| {
            let c = &mut c.borrow_mut()[slot(self.kind)];
            if c.as_ref()
                .is_some_and(|rc| std::ptr::eq(Rc::as_ptr(rc), self))
            {
                // Dropped after this handler returns (wasm-bindgen defers freeing a running
                // closure), never while borrowed.
                *c = None;
            }
        });
        let ids: Vec<u32> = self.pending.borrow().iter().map(|(id, _)| *id).collect();
        for id in ids {
            self.settle(id, Err(error.clone()));
        }
        self.queue.borrow_mut().clear();
    }
}

/// A thrown JS value in words.
fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error.as_string().unwrap_or_else(|| "unknown error".into())
}

/// Sets the time limit of requests made from now on, to either worker.
pub(super) fn set_timeout_ms(ms: u32) {
    TIMEOUT_MS.with(|t| t.set(ms.max(1)));
}
