//! Text operations done by the browser's own Unicode-complete implementation, so their tables
//! need not be in the first screen's wasm.

/// `s` in lower case (`String.prototype.toLowerCase`), for case-insensitive search and sort.
pub fn lowercase(s: &str) -> String {
    String::from(js_sys::JsString::from(s).to_lower_case())
}
