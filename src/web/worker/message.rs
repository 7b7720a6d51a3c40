//! The messages: a request being built (with the worker it goes to and the objects it
//! transfers), and reading an answer's fields, each missing or mistyped one a
//! [`WorkerError::BadAnswer`] naming the worker.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use super::{Mask, Source, WorkerError, WorkerKind};

/// A message being built, with the objects it transfers.
pub(super) struct Request {
    /// The worker that runs its operation.
    pub(super) kind: WorkerKind,
    pub(super) message: Object,
    pub(super) transfer: Array,
}

impl Request {
    /// A request for `op`, addressed to the worker that runs it ([`WorkerKind::of`]).
    pub(super) fn new(op: &str) -> Self {
        let r = Request {
            kind: WorkerKind::of(op),
            message: Object::new(),
            transfer: Array::new(),
        };
        r.set("op", op.into());
        r
    }

    pub(super) fn set(&self, key: &str, value: JsValue) {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.message, &key.into(), &value);
    }

    pub(super) fn image(&mut self, key: &str, source: Source) {
        match source {
            Source::Blob(blob) => self.set(key, blob.into()),
            Source::Bitmap(bitmap) => {
                self.transfer.push(&bitmap);
                self.set(key, bitmap.into());
            }
        }
    }

    pub(super) fn mask(&mut self, mask: Mask) {
        let (kind, source) = match mask {
            Mask::Coverage(s) => ("coverage", s),
            Mask::OpenAi(s) => ("openai", s),
            Mask::Markup(s) => ("markup", s),
        };
        self.set("maskKind", kind.into());
        self.image("mask", source);
    }
}

/// A worker's `ok: true` answer.
pub(super) struct Answer {
    pub(super) kind: WorkerKind,
    pub(super) object: Object,
}

impl Answer {
    pub(super) fn field(&self, key: &str) -> JsValue {
        Reflect::get(&self.object, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    /// A list of texts (none when absent).
    pub(super) fn strings(&self, key: &str) -> Vec<String> {
        self.field(key)
            .dyn_into::<Array>()
            .map(|list| list.iter().filter_map(|w| w.as_string()).collect())
            .unwrap_or_default()
    }

    pub(super) fn bad(&self, key: &str) -> WorkerError {
        WorkerError::BadAnswer(self.kind, format!("no valid \"{key}\""))
    }

    pub(super) fn number(&self, key: &str) -> Result<f64, WorkerError> {
        self.field(key).as_f64().ok_or_else(|| self.bad(key))
    }

    pub(super) fn flag(&self, key: &str) -> Result<bool, WorkerError> {
        self.field(key).as_bool().ok_or_else(|| self.bad(key))
    }

    pub(super) fn text(&self, key: &str) -> Result<String, WorkerError> {
        self.field(key).as_string().ok_or_else(|| self.bad(key))
    }

    pub(super) fn blob(&self, key: &str) -> Result<Blob, WorkerError> {
        self.field(key)
            .dyn_into::<Blob>()
            .map_err(|_| self.bad(key))
    }
}
