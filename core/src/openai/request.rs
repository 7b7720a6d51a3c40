//! Encoding image requests exactly as the API defines them (reference §3.1, §4.1, §17), and
//! refusing, before any money is spent, what the API would refuse.
//!
//! Pure: the same [`ImageRequest`] becomes the JSON body of `/v1/images/generations` or the
//! text fields of the multipart `/v1/images/edits` form; the browser module adds the files.

use crate::catalogue::ModelInfo;
use crate::model::size::Size;
use serde_json::{json, Map, Value};

/// Longest prompt the GPT image models accept.
pub const MAX_PROMPT_CHARS: usize = 32_000;
/// Most images one request may return.
pub const MAX_N: u8 = 10;
/// Most streamed partial images.
pub const MAX_PARTIAL_IMAGES: u8 = 3;

/// Everything a generation or edit request can say, except the files.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRequest {
    /// Model id.
    pub model: String,
    /// The prompt (≤ 32,000 characters).
    pub prompt: String,
    /// Number of images, 1–10.
    pub n: u8,
    /// Output size; `None` sends `auto`.
    pub size: Option<Size>,
    /// `low` / `medium` / `high` / `auto` (+ `xhigh` / `max` on models that have them).
    pub quality: String,
    /// `png` / `jpeg` / `webp` (+ `gif`).
    pub output_format: String,
    /// 0–100, only for jpeg/webp.
    pub output_compression: Option<u8>,
    /// `transparent` / `opaque` / `auto`; `None` omits it.
    pub background: Option<String>,
    /// `auto` / `low`; generations and JSON edits only (the multipart edit form has no such field).
    pub moderation: Option<String>,
    /// A stable hashed end-user id (never an e-mail); replaces the deprecated `user`.
    pub safety_identifier: Option<String>,
    /// Stream partial images as server-sent events.
    pub stream: bool,
    /// 0–3 partial images, only with `stream`.
    pub partial_images: u8,
    /// `low` / `high`, only on models that accept it (never gpt-image-2).
    pub input_fidelity: Option<String>,
    /// `low` / `medium` / `high` planning effort, only on models that accept it (2.6).
    pub complexity: Option<String>,
}

/// The `complexity` values the API accepts (reference §17).
pub const COMPLEXITIES: [&str; 3] = ["low", "medium", "high"];

impl ImageRequest {
    /// A plain request with the API's defaults for everything optional.
    pub fn new(model: &str, prompt: &str, size: Option<Size>, quality: &str) -> Self {
        Self {
            model: model.into(),
            prompt: prompt.into(),
            n: 1,
            size,
            quality: quality.into(),
            output_format: "png".into(),
            output_compression: None,
            background: None,
            moderation: None,
            safety_identifier: None,
            stream: false,
            partial_images: 0,
            input_fidelity: None,
            complexity: None,
        }
    }

    /// Checks the request against the API's rules and the model's catalogue entry.
    /// `edit_images` is the number of `image[]` files (0 for a generation).
    pub fn validate(&self, model: &ModelInfo, edit_images: usize) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let chars = self.prompt.chars().count();
        if self.prompt.trim().is_empty() {
            problems.push("The prompt is empty.".to_string());
        }
        if chars > MAX_PROMPT_CHARS {
            problems.push(format!(
                "The prompt has {chars} characters; the limit is {MAX_PROMPT_CHARS}. Shorten the bible or the frame text."
            ));
        }
        if !(1..=MAX_N).contains(&self.n) {
            problems.push(format!("n must be between 1 and {MAX_N}."));
        }
        if let Some(size) = self.size {
            if let Err(e) = model.check_size(size) {
                problems.push(e.0);
            }
        } else if !model.size_auto {
            problems.push(format!("{} needs an explicit size.", model.id));
        }
        if !model.qualities.iter().any(|q| q == &self.quality) {
            problems.push(format!(
                "Quality “{}” is not available on {}; choose {}.",
                self.quality,
                model.id,
                model.qualities.join(", ")
            ));
        }
        let lossy = matches!(self.output_format.as_str(), "jpeg" | "webp");
        if self.output_compression.is_some() && !lossy {
            problems.push("Compression applies only to JPEG and WebP output.".into());
        }
        if self.output_compression.is_some_and(|c| c > 100) {
            problems.push("Compression must be between 0 and 100.".into());
        }
        if self.background.as_deref() == Some("transparent") {
            if !model.transparent_background.offered() {
                problems.push(format!("{} cannot make transparent backgrounds.", model.id));
            }
            if !matches!(self.output_format.as_str(), "png" | "webp") {
                problems.push("Transparent backgrounds need PNG or WebP output.".into());
            }
        }
        if self.output_format == "gif" && !model.gif_output.offered() {
            problems.push(format!("{} cannot make GIFs.", model.id));
        }
        if self.partial_images > MAX_PARTIAL_IMAGES {
            problems.push(format!("At most {MAX_PARTIAL_IMAGES} partial images."));
        }
        if self.partial_images > 0 && !self.stream {
            problems.push("Partial images need streaming.".into());
        }
        if self.input_fidelity.is_some() && !model.input_fidelity {
            problems.push(format!(
                "{} always uses high input fidelity; it must not be set.",
                model.id
            ));
        }
        if let Some(c) = &self.complexity {
            if !model.complexity {
                problems.push(format!("{} does not take a complexity setting.", model.id));
            } else if !COMPLEXITIES.contains(&c.as_str()) {
                problems.push(format!(
                    "Complexity “{c}” is not one of {}.",
                    COMPLEXITIES.join(", ")
                ));
            }
        }
        if edit_images > model.max_input_images {
            problems.push(format!(
                "{edit_images} reference images; {} accepts at most {}.",
                model.id, model.max_input_images
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The fields common to both encodings, in a stable order, omitting what was not set.
    /// `moderation` is included only when `with_moderation`.
    fn fields(&self, with_moderation: bool) -> Vec<(&'static str, Value)> {
        let mut f: Vec<(&'static str, Value)> = vec![
            ("model", json!(self.model)),
            ("prompt", json!(self.prompt)),
            ("n", json!(self.n)),
            (
                "size",
                json!(self
                    .size
                    .map_or_else(|| "auto".to_string(), |s| s.to_string())),
            ),
            ("quality", json!(self.quality)),
            ("output_format", json!(self.output_format)),
        ];
        if let Some(c) = self.output_compression {
            f.push(("output_compression", json!(c)));
        }
        if let Some(b) = &self.background {
            f.push(("background", json!(b)));
        }
        if with_moderation {
            if let Some(m) = &self.moderation {
                f.push(("moderation", json!(m)));
            }
        }
        if let Some(id) = &self.safety_identifier {
            f.push(("safety_identifier", json!(id)));
        }
        if let Some(fidelity) = &self.input_fidelity {
            f.push(("input_fidelity", json!(fidelity)));
        }
        if let Some(complexity) = &self.complexity {
            f.push(("complexity", json!(complexity)));
        }
        if self.stream {
            f.push(("stream", json!(true)));
            f.push(("partial_images", json!(self.partial_images)));
        }
        f
    }

    /// The JSON body of `POST /v1/images/generations`.
    pub fn generation_json(&self) -> String {
        let body: Map<String, Value> = self
            .fields(true)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Value::Object(body).to_string()
    }

    /// The JSON form of `POST /v1/images/edits` (reference §4.2), the only form a batch line
    /// can carry: the fields of [`Self::generation_json`] plus `images` (first the image to
    /// edit, then the references) and an optional `mask`, each a `file_id` or an `image_url`.
    pub fn edit_json(
        &self,
        images: &[crate::openai::batch::ImageRef],
        mask: Option<&crate::openai::batch::ImageRef>,
    ) -> Value {
        let mut body: Map<String, Value> = self
            .fields(true)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        body.insert("images".into(), json!(images));
        if let Some(mask) = mask {
            body.insert("mask".into(), json!(mask));
        }
        Value::Object(body)
    }

    /// The text fields of the multipart `POST /v1/images/edits` form, as strings. Files go in
    /// separately as repeated `image[]` parts (and `mask`).
    pub fn edit_fields(&self) -> Vec<(&'static str, String)> {
        self.fields(false)
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn gpt2() -> ModelInfo {
        Catalogue::builtin().get("gpt-image-2").unwrap().clone()
    }

    /// Written from the reference's example request (§3.3), not from this module.
    #[test]
    fn generation_body_matches_the_reference_example() {
        let mut r = ImageRequest::new(
            "gpt-image-2",
            "Slide 1 of 5. Flat vector illustration, teal/coral palette.",
            Some(Size::new(1024, 1280)),
            "medium",
        );
        r.output_format = "webp".into();
        r.output_compression = Some(85);
        let fixture = r#"{"model":"gpt-image-2","prompt":"Slide 1 of 5. Flat vector illustration, teal/coral palette.",
            "size":"1024x1280","quality":"medium","output_format":"webp","output_compression":85,"n":1}"#;
        let want: Value = serde_json::from_str(fixture).unwrap();
        let got: Value = serde_json::from_str(&r.generation_json()).unwrap();
        assert_eq!(got, want);
        assert!(r.validate(&gpt2(), 0).is_ok());
    }

    /// The JSON edit form of the reference (§4.2): `images` of `{file_id}` / `{image_url}`,
    /// `mask` likewise, the other fields as in a generation.
    #[test]
    fn json_edit_body_matches_the_reference_form() {
        use crate::openai::batch::ImageRef;
        let r = ImageRequest::new(
            "gpt-image-2",
            "Same fox, at night",
            Some(Size::new(1024, 1280)),
            "medium",
        );
        let body = r.edit_json(
            &[
                ImageRef::Url {
                    image_url: "data:image/png;base64,iVBORw0".into(),
                },
                ImageRef::File {
                    file_id: "file-abc123".into(),
                },
            ],
            Some(&ImageRef::Url {
                image_url: "data:image/png;base64,mask".into(),
            }),
        );
        let want: Value = serde_json::from_str(
            r#"{"model":"gpt-image-2","prompt":"Same fox, at night","n":1,
                "images":[{"image_url":"data:image/png;base64,iVBORw0"},{"file_id":"file-abc123"}],
                "mask":{"image_url":"data:image/png;base64,mask"},
                "size":"1024x1280","quality":"medium","output_format":"png"}"#,
        )
        .unwrap();
        assert_eq!(body, want);
    }

    #[test]
    fn never_sends_response_format_user_or_fidelity_by_default() {
        let r = ImageRequest::new("gpt-image-2", "x", None, "low");
        let body = r.generation_json();
        for banned in [
            "response_format",
            "\"user\"",
            "input_fidelity",
            "stream",
            "partial_images",
        ] {
            assert!(!body.contains(banned), "{banned} in {body}");
        }
        assert!(body.contains(r#""size":"auto""#));
    }

    #[test]
    fn streaming_and_safety_identifier_are_encoded() {
        let mut r = ImageRequest::new("gpt-image-2", "x", Some(Size::new(1024, 1024)), "high");
        r.stream = true;
        r.partial_images = 2;
        r.safety_identifier = Some("sid_abc".into());
        r.moderation = Some("low".into());
        let v: Value = serde_json::from_str(&r.generation_json()).unwrap();
        assert_eq!(v["stream"], json!(true));
        assert_eq!(v["partial_images"], json!(2));
        assert_eq!(v["safety_identifier"], json!("sid_abc"));
        assert_eq!(v["moderation"], json!("low"));
    }

    #[test]
    fn edit_fields_are_strings_and_omit_moderation() {
        let mut r = ImageRequest::new(
            "gpt-image-2",
            "keep everything",
            Some(Size::new(1536, 864)),
            "medium",
        );
        r.moderation = Some("low".into());
        r.stream = true;
        r.partial_images = 1;
        let fields = r.edit_fields();
        assert!(
            fields.iter().all(|(k, _)| *k != "moderation"),
            "multipart edits have no moderation field"
        );
        assert!(fields.contains(&("size", "1536x864".into())));
        assert!(fields.contains(&("n", "1".into())));
        assert!(fields.contains(&("stream", "true".into())));
        assert!(fields.contains(&("prompt", "keep everything".into())));
    }

    #[test]
    fn validation_refuses_what_the_api_refuses() {
        let m = gpt2();
        let check = |f: &dyn Fn(&mut ImageRequest), word: &str| {
            let mut r = ImageRequest::new(
                "gpt-image-2",
                "a cat",
                Some(Size::new(1024, 1024)),
                "medium",
            );
            f(&mut r);
            let problems = r.validate(&m, 0).unwrap_err().join(" ");
            assert!(problems.contains(word), "{word}: {problems}");
        };
        check(&|r| r.prompt = "x".repeat(32_001), "32000");
        check(&|r| r.prompt = "  ".into(), "empty");
        check(&|r| r.n = 11, "n must");
        check(&|r| r.size = Some(Size::new(1000, 1000)), "multiples of 16");
        check(&|r| r.quality = "xhigh".into(), "not available");
        check(&|r| r.output_compression = Some(50), "JPEG and WebP");
        check(&|r| r.partial_images = 4, "At most 3");
        check(&|r| r.partial_images = 1, "need streaming");
        check(
            &|r| r.input_fidelity = Some("high".into()),
            "must not be set",
        );
        check(
            &|r| r.complexity = Some("high".into()),
            "does not take a complexity",
        );
        check(
            &|r| {
                r.background = Some("transparent".into());
                r.output_format = "jpeg".into();
            },
            "PNG or WebP",
        );
        let r = ImageRequest::new(
            "gpt-image-2",
            "a cat",
            Some(Size::new(1024, 1024)),
            "medium",
        );
        assert!(r.validate(&m, 17).unwrap_err()[0].contains("at most 16"));
    }

    #[test]
    fn legacy_models_take_fidelity_and_fixed_sizes() {
        let c = Catalogue::builtin();
        let m = c.get("gpt-image-1.5").unwrap();
        let mut r = ImageRequest::new(
            "gpt-image-1.5",
            "a cat",
            Some(Size::new(1536, 1024)),
            "high",
        );
        r.input_fidelity = Some("high".into());
        assert!(r.validate(m, 3).is_ok());
        r.size = Some(Size::new(1024, 1280));
        assert!(r.validate(m, 3).is_err());
    }
}
