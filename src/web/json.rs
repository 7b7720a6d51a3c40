//! JSON the first screen reads, parsed by the browser (`JSON.parse`) and read field by field
//! through core's [`Fields`] rules: no JSON parser in the first screen's wasm (see
//! [`continuity_core::fields`]).

use continuity_core::fields::Fields;
use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;

/// A parsed JSON object.
pub struct JsFields(JsValue);

impl JsFields {
    /// Parses `text`; `None` unless it is a JSON object.
    pub fn parse(text: &str) -> Option<JsFields> {
        js_sys::JSON::parse(text)
            .ok()
            .filter(|v| v.is_object() && !Array::is_array(v))
            .map(JsFields)
    }

    fn get(&self, key: &str) -> JsValue {
        Reflect::get(&self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }
}

impl Fields for JsFields {
    fn text(&self, key: &str) -> Option<String> {
        self.get(key).as_string()
    }
    fn number(&self, key: &str) -> Option<f64> {
        self.get(key).as_f64()
    }
    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).as_bool()
    }
    fn texts(&self, key: &str) -> Option<Vec<String>> {
        let value = self.get(key);
        if !Array::is_array(&value) {
            return None;
        }
        Array::from(&value).iter().map(|v| v.as_string()).collect()
    }
    fn object(&self, key: &str) -> Option<Self> {
        let value = self.get(key);
        (value.is_object() && !Array::is_array(&value)).then_some(JsFields(value))
    }
}
