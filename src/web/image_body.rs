//! The Images API's bodies as the browser builds and reads them: the multipart form of an
//! edit (`image[]` and `mask` parts straight from `Blob`s) and the JSON answer, whose base64
//! images stay JS strings (a 4 MB image is never copied into wasm memory to be split off).

use js_sys::{JsString, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, FormData};

/// The multipart form of `/v1/images/edits`: the text `fields` in order, the reference
/// images as repeated `image[]` parts (even a single one), then the mask or the markup.
pub fn edit_form(
    fields: Vec<(&'static str, String)>,
    images: &[Blob],
    overlay: Option<Overlay<'_>>,
) -> Result<FormData, JsValue> {
    let form = FormData::new()?;
    for (name, value) in fields {
        form.append_with_str(name, &value)?;
    }
    for (i, blob) in images.iter().enumerate() {
        let ext = blob.type_().rsplit('/').next().unwrap_or("png").to_string();
        form.append_with_blob_and_filename("image[]", blob, &format!("image-{}.{ext}", i + 1))?;
    }
    // One overlay at most: the API refuses `mask` and `markup` together.
    match overlay {
        Some(Overlay::Mask(mask)) => {
            form.append_with_blob_and_filename("mask", mask, "mask.png")?
        }
        Some(Overlay::Markup(marks)) => {
            form.append_with_blob_and_filename("markup", marks, "markup.png")?
        }
        None => {}
    }
    Ok(form)
}

/// The one PNG an edit may carry over its first image.
#[derive(Clone, Copy)]
pub enum Overlay<'a> {
    /// `mask`: transparent pixels mark what may change.
    Mask(&'a Blob),
    /// `markup`: marks (circles, arrows, notes) on a transparent layer say what to change.
    Markup(&'a Blob),
}

/// What is wrong with a JSON answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    /// It is not JSON (cut off midway, typically).
    NotJson,
    /// It has no `data` list of `b64_json` images.
    NoImages,
}

/// A JSON answer read: each image's base64 (still a JS string), and the rest of the answer
/// (usage, sizes…) as JSON text without the images.
pub struct Answer {
    /// `data[].b64_json`, in order.
    pub images: Vec<JsString>,
    /// The answer without `data`, for [`continuity_core::openai::response::ResponseMeta`].
    pub meta_json: Option<String>,
}

/// Reads a JSON answer of the Images API.
pub fn read_answer(text: &JsString) -> Result<Answer, AnswerProblem> {
    let parsed = JSON::parse(&String::from(text.clone())).map_err(|_| AnswerProblem::NotJson)?;
    let data: js_sys::Array = Reflect::get(&parsed, &"data".into())
        .ok()
        .filter(|d| d.is_array())
        .map(JsCast::unchecked_into)
        .ok_or(AnswerProblem::NoImages)?;
    let mut images = Vec::new();
    for item in data.iter() {
        let b64: JsString = Reflect::get(&item, &"b64_json".into())
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or(AnswerProblem::NoImages)?;
        images.push(b64);
    }
    if images.is_empty() {
        return Err(AnswerProblem::NoImages);
    }
    let _ = Reflect::delete_property(parsed.unchecked_ref::<js_sys::Object>(), &"data".into());
    let meta_json = JSON::stringify(&parsed).ok().and_then(|s| s.as_string());
    Ok(Answer { images, meta_json })
}
