//! The message shapes: reading a request's fields and building answers.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// Version of the message protocol, sent in the `ready` message. The main thread refuses a
/// worker of another version (a stale cached worker script next to a new app) with a clear
/// error instead of misreading its answers. 3: export and import moved to the files worker.
pub const PROTOCOL: u32 = 3;

/// A plain object with the given fields.
pub fn object(fields: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(key), value);
    }
    o
}

/// `{ id, ok: false, error }`.
pub fn failure(id: JsValue, reason: &str) -> Object {
    object(&[
        ("id", id),
        ("ok", JsValue::FALSE),
        ("error", JsValue::from_str(reason)),
    ])
}

/// The answer to request `id`: `{ id, ok: true, …fields }` or `{ id, ok: false, error }`.
pub fn answered(id: JsValue, outcome: Result<Object, String>) -> Object {
    match outcome {
        Ok(fields) => {
            let _ = Reflect::set(&fields, &"id".into(), &id);
            let _ = Reflect::set(&fields, &"ok".into(), &JsValue::TRUE);
            fields
        }
        Err(reason) => failure(id, &reason),
    }
}

/// One request: its id, its operation and access to its fields.
pub struct Request {
    data: JsValue,
}

impl Request {
    /// Wraps the `data` of a message event.
    pub fn new(data: JsValue) -> Self {
        Request { data }
    }

    /// The request id as sent (a number), or `null` when absent.
    pub fn id(&self) -> JsValue {
        let id = self.get("id");
        if id.as_f64().is_some() {
            id
        } else {
            JsValue::NULL
        }
    }

    /// The operation name, `""` when absent.
    pub fn op(&self) -> String {
        self.get("op").as_string().unwrap_or_default()
    }

    /// A field, `undefined` when absent (or when the message is not an object).
    pub fn get(&self, key: &str) -> JsValue {
        if !self.data.is_object() {
            return JsValue::UNDEFINED;
        }
        Reflect::get(&self.data, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// Whether a field is present (not `undefined` or `null`).
    pub fn has(&self, key: &str) -> bool {
        let v = self.get(key);
        !v.is_undefined() && !v.is_null()
    }

    /// A number field; `default` when absent; an error in words when not a finite number.
    pub fn number(&self, key: &str, default: f64) -> Result<f64, String> {
        if !self.has(key) {
            return Ok(default);
        }
        match self.get(key).as_f64() {
            Some(v) if !v.is_nan() => Ok(v),
            _ => Err(format!("the field \"{key}\" must be a number")),
        }
    }

    /// A whole number field in `0 ..= u32::MAX`; `default` when absent.
    pub fn whole(&self, key: &str, default: u32) -> Result<u32, String> {
        let v = self.number(key, f64::from(default))?;
        if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) {
            Ok(v as u32)
        } else {
            Err(format!("the field \"{key}\" must be a whole number ≥ 0"))
        }
    }

    /// A required string field.
    pub fn text(&self, key: &str) -> Result<String, String> {
        self.get(key)
            .as_string()
            .ok_or_else(|| format!("the field \"{key}\" must be a string"))
    }
}
