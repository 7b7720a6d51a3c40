//! The series' output options as each model allows them: which qualities and complexities the
//! selects offer, whether "Transparent background" can be ticked (and why not), what a change
//! of model drops (with a notice), what keeps a request from being sent, and the request
//! fields compiled from the settings (reference §17–18: send only what the catalogue lists).

use crate::catalogue::{ModelInfo, Support};
use crate::model::OutputSettings;
use crate::openai::request::{ImageRequest, COMPLEXITIES};

/// The `complexity` values offered on `model` (none on a model without the parameter).
pub fn complexities(model: &ModelInfo) -> &'static [&'static str] {
    if model.complexity {
        &COMPLEXITIES
    } else {
        &[]
    }
}

/// Why "Transparent background" cannot be used on `model`, in words; `None` when it can.
pub fn transparent_unsupported(model: &ModelInfo) -> Option<String> {
    match model.transparent_background {
        Support::Yes | Support::Preview => None,
        Support::No => Some(format!(
            "{} cannot make transparent backgrounds; choose GPT Image 2 or a 2.5 model for them.",
            model.label
        )),
        Support::Unknown => Some(format!(
            "The model list does not say whether {} can make transparent backgrounds.",
            model.label
        )),
    }
}

/// A label noting a preview feature, e.g. " (preview)" for gpt-image-2's transparency.
pub fn transparent_note(model: &ModelInfo) -> &'static str {
    if model.transparent_background == Support::Preview {
        " (preview on this model)"
    } else {
        ""
    }
}

/// `output` with "Transparent background" set to `on`. Ticking it while the format is JPEG
/// (which has no alpha channel) switches the format to PNG and says so.
pub fn with_transparent(output: &OutputSettings, on: bool) -> (OutputSettings, Option<String>) {
    let mut next = output.clone();
    next.transparent_background = on;
    let notice = (on && next.output_format == "jpeg").then(|| {
        next.output_format = "png".into();
        "JPEG has no transparency: the format is now PNG.".to_string()
    });
    (next, notice)
}

/// `output` fitted to its (possibly just chosen) `model`: a quality the model does not list
/// becomes the nearest one it lists, a complexity on a model without the parameter is
/// dropped. Returns the fitted settings and one notice per dropped value. "Transparent
/// background" is kept (it stays visible, and the preflight refuses it with the reason).
pub fn fit_to_model(output: &OutputSettings, model: &ModelInfo) -> (OutputSettings, Vec<String>) {
    let mut next = output.clone();
    let mut notices = Vec::new();
    if !model.qualities.iter().any(|q| q == &next.quality) {
        let replacement = ["high", "medium", "auto"]
            .into_iter()
            .find(|q| model.qualities.iter().any(|m| m == q))
            .map(str::to_string)
            .or_else(|| model.qualities.first().cloned())
            .unwrap_or_else(|| "auto".into());
        notices.push(format!(
            "Quality “{}” is not available on {}: it is now “{replacement}”.",
            next.quality, model.label
        ));
        next.quality = replacement;
    }
    if let Some(c) = next.complexity.take() {
        if model.complexity && COMPLEXITIES.contains(&c.as_str()) {
            next.complexity = Some(c);
        } else {
            notices.push(format!(
                "{} has no complexity setting: “{c}” is no longer sent.",
                model.label
            ));
        }
    }
    (next, notices)
}

/// What keeps any request of a series with `output` from being sent to `model` (empty when
/// nothing does): the preflight adds these to every request's own blockers.
pub fn output_blockers(output: &OutputSettings, model: &ModelInfo) -> Vec<String> {
    let mut blockers = Vec::new();
    if output.transparent_background {
        if let Some(why) = transparent_unsupported(model) {
            blockers.push(format!(
                "{why} Untick “Transparent background” or choose another model."
            ));
        }
        if !matches!(output.output_format.as_str(), "png" | "webp") {
            blockers.push("Transparent backgrounds need PNG or WebP output.".into());
        }
    }
    blockers
}

/// The request a series with `output` sends to `model` for `prompt`: model, size, quality and
/// format from the settings, `background: "transparent"` when ticked, `complexity` only where
/// the model takes it. The caller sets `n`, streaming and the safety identifier.
pub fn compile_request(output: &OutputSettings, model: &ModelInfo, prompt: &str) -> ImageRequest {
    let mut request = ImageRequest::new(&model.id, prompt, Some(output.size), &output.quality);
    request.output_format = output.output_format.clone();
    if output.transparent_background {
        request.background = Some("transparent".into());
    }
    if model.complexity {
        request.complexity = output.complexity.clone();
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::model::series::Series;
    use crate::model::template::Template;
    use serde_json::Value;

    fn output(model: &str) -> OutputSettings {
        let mut n = 0;
        Series::from_template("S", Template::ProductSet, model, 0.0, || {
            n += 1;
            n
        })
        .output
    }

    fn body(output: &OutputSettings, model: &ModelInfo) -> Value {
        serde_json::from_str(&compile_request(output, model, "a mug").generation_json()).unwrap()
    }

    /// The fields each model is sent, per the catalogue: transparency as `background`,
    /// complexity only on 2.6, nothing extra by default.
    #[test]
    fn compiled_fields_follow_the_model() {
        let c = Catalogue::builtin();
        let gpt2 = c.get("gpt-image-2").unwrap();
        let plain = body(&output("gpt-image-2"), gpt2);
        for absent in ["background", "complexity"] {
            assert!(plain.get(absent).is_none(), "{absent}: {plain}");
        }
        let mut o = output("gpt-image-2.5-flare");
        o.transparent_background = true;
        o.quality = "xhigh".into();
        o.complexity = Some("high".into());
        let flare25 = c.get("gpt-image-2.5-flare").unwrap();
        let v = body(&o, flare25);
        assert_eq!(v["background"], "transparent");
        assert_eq!(v["output_format"], "png");
        assert_eq!(v["quality"], "xhigh");
        assert!(v.get("complexity").is_none(), "2.5 has no complexity: {v}");
        assert!(compile_request(&o, flare25, "x")
            .validate(flare25, 0)
            .is_ok());
        let flare26 = c.get("gpt-image-2.6-flare").unwrap();
        let (fitted, _) = fit_to_model(&o, flare26);
        let v = body(&fitted, flare26);
        assert_eq!(v["complexity"], "high");
        assert_eq!(v["quality"], "high", "xhigh is not listed on 2.6");
    }

    /// Switching model drops what it does not take, each with a notice.
    #[test]
    fn switching_model_drops_unsupported_values_with_a_notice() {
        let c = Catalogue::builtin();
        let mut o = output("gpt-image-2.6-flare");
        o.complexity = Some("low".into());
        let (same, notices) = fit_to_model(&o, c.get("gpt-image-2.6-flare").unwrap());
        assert_eq!((same, notices.len()), (o.clone(), 0));
        o.quality = "max".into();
        let (fitted, notices) = fit_to_model(&o, c.get("gpt-image-2").unwrap());
        assert_eq!(fitted.quality, "high");
        assert_eq!(fitted.complexity, None);
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[0].contains("“max” is not available on GPT Image 2"));
        assert!(notices[1].contains("no complexity setting"));
    }

    /// Transparency: offered where the catalogue says so, refused with the reason elsewhere,
    /// never with JPEG.
    #[test]
    fn transparency_is_refused_where_unsupported_and_never_jpeg() {
        let c = Catalogue::builtin();
        let flare26 = c.get("gpt-image-2.6-flare").unwrap();
        let gpt2 = c.get("gpt-image-2").unwrap();
        assert!(transparent_unsupported(gpt2).is_none());
        assert_eq!(transparent_note(gpt2), " (preview on this model)");
        let why = transparent_unsupported(flare26).unwrap();
        assert!(
            why.contains("GPT Image 2.6 Flare cannot make transparent"),
            "{why}"
        );
        let mut o = output("gpt-image-2");
        o.output_format = "jpeg".into();
        let (on, notice) = with_transparent(&o, true);
        assert_eq!(on.output_format, "png");
        assert!(notice.unwrap().contains("JPEG has no transparency"));
        assert!(output_blockers(&on, gpt2).is_empty());
        assert!(output_blockers(&on, flare26)[0].contains("Untick “Transparent background”"));
        let mut jpeg = on.clone();
        jpeg.output_format = "jpeg".into();
        assert!(output_blockers(&jpeg, gpt2)[0].contains("PNG or WebP"));
        let (off, notice) = with_transparent(&jpeg, false);
        assert!(notice.is_none() && output_blockers(&off, flare26).is_empty());
    }

    /// The complexity select is offered only on the models that list the parameter.
    #[test]
    fn complexity_is_offered_only_on_2_6() {
        let c = Catalogue::builtin();
        for m in &c.models {
            let offered = !complexities(m).is_empty();
            assert_eq!(offered, m.id.starts_with("gpt-image-2.6"), "{}", m.id);
        }
    }
}
