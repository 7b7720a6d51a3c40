//! Planning requests that are not plain generations — directed edits and locale variants — so
//! they go through the same plan, cost preview, budget and scheduler as a batch. Each is an
//! `/v1/images/edits` request whose image 1 is the version it starts from.

use crate::catalogue::Catalogue;
use crate::compiler::{compile_edit, CompiledFrame, EditSpec};
use crate::cost::{estimate, input_estimate, Confidence, CostQuery};
use crate::locale::compile_locale;
use crate::model::size::Size;
use crate::model::{Series, Version};
use crate::plan::{Plan, PlannedRequest, RequestKind};

/// What one planned request will make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// A directed edit of `base` with `instruction` (and a mask when `masked`).
    Edit {
        /// The version edited.
        base: String,
        /// The user's instruction.
        instruction: String,
        /// Whether a mask is sent.
        masked: bool,
        /// Whether a markup layer is sent instead (never both).
        marked: bool,
    },
    /// The locale variant of the frame's active version for `locale`.
    Locale {
        /// The target locale tag.
        locale: String,
    },
}

/// A request to plan: which frame, under which job id, making what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Scheduler job id (unique in the plan; e.g. `frame@zh-Hans` for a locale variant).
    pub job_id: String,
    /// The frame.
    pub frame_id: String,
    /// What it makes.
    pub work: Work,
}

/// "Slide 3 · Offer, version 2 (edit)": what the version being edited is, for the prompt.
pub fn base_label(series: &Series, version: &Version) -> String {
    let title = series
        .frame(&version.frame_id)
        .map(|f| f.title.trim().to_string())
        .unwrap_or_default();
    let number = series
        .versions_of(&version.frame_id)
        .position(|v| v.id == version.id)
        .map_or(1, |i| i + 1);
    format!("{title}, version {number}")
}

/// Compiles one item as it would be sent now.
pub fn compile_item(series: &Series, item: &Item) -> Result<CompiledFrame, String> {
    let index = series
        .frames
        .iter()
        .position(|f| f.id == item.frame_id)
        .ok_or("This frame no longer exists.")?;
    match &item.work {
        Work::Edit {
            base,
            instruction,
            masked,
            marked,
        } => {
            let v = series
                .version(base)
                .filter(|v| v.frame_id == item.frame_id)
                .ok_or("The version to edit no longer exists.")?;
            let spec = EditSpec {
                base_key: v.image.hash.clone(),
                base_label: base_label(series, v),
                instruction: instruction.clone(),
                masked: *masked,
                marked: *marked && !*masked,
                replaces_text: false,
            };
            Ok(compile_edit(series, index, &spec))
        }
        Work::Locale { locale } => compile_locale(series, index, locale).map_err(|e| e.to_string()),
    }
}

/// Plans edit and locale-variant requests: each compiled now, estimated (output at the
/// series' size, `n` from the series' variants for edits and 1 for locale variants; input:
/// the prompt and every image sent), blocked if it cannot be sent, against the series budget.
pub fn plan_items(
    series: &Series,
    catalogue: &Catalogue,
    items: &[Item],
    partial_images: u32,
) -> Plan {
    let model = catalogue
        .get(&series.output.model)
        .unwrap_or(catalogue.default_model());
    let mut requests = Vec::new();
    for item in items {
        let title = series
            .frame(&item.frame_id)
            .map(|f| f.title.clone())
            .unwrap_or_default();
        let n = match item.work {
            Work::Edit { .. } => u32::from(series.output.variants.clamp(1, 4)),
            Work::Locale { .. } => 1,
        };
        let (compiled, blockers) = match compile_item(series, item) {
            Ok(c) => (c, Vec::new()),
            Err(why) => (
                CompiledFrame {
                    prompt: String::new(),
                    references: Vec::new(),
                    checklist: Vec::new(),
                    warnings: Vec::new(),
                    uses_anchor: false,
                },
                vec![why],
            ),
        };
        // Image count, prompt length and the model's limits are checked by the preflight
        // that `Plan::new` runs, the same as for generations.
        let output = estimate(
            model,
            &CostQuery {
                size: Some(series.output.size),
                quality: &series.output.quality,
                n,
                partial_images,
            },
        );
        let images: Vec<Size> = compiled
            .references
            .iter()
            .map(|r| series.image_size(&r.key).unwrap_or(series.output.size))
            .collect();
        let input = input_estimate(
            model,
            compiled.prompt.chars().count(),
            &images,
            !model.input_fidelity,
        );
        requests.push(PlannedRequest {
            kind: match &item.work {
                Work::Edit { base, .. } => RequestKind::Edit {
                    parent: base.clone(),
                },
                Work::Locale { locale } => RequestKind::LocaleVariant {
                    parent: series
                        .frame(&item.frame_id)
                        .and_then(|f| f.active_version.clone())
                        .unwrap_or_default(),
                    locale: locale.clone(),
                },
            },
            frame_id: item.job_id.clone(),
            title: match &item.work {
                Work::Edit { .. } => format!("{title} · edit"),
                Work::Locale { locale } => format!("{title} · {}", crate::locale::name(locale)),
            },
            waits_for_anchor: false,
            is_anchor: false,
            compiled,
            estimate_usd: output.usd + input.usd,
            estimate_assumed: output.confidence == Confidence::Assumed
                || input.confidence == Confidence::Assumed,
            blockers,
        });
    }
    Plan::new(series, catalogue, requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shot::OnImageText;
    use crate::model::template::Template;

    fn series() -> Series {
        let mut n = 0;
        let mut s = Series::from_template("E", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        s.locales = vec!["en".into(), "ar".into()];
        let f = s.frames[0].id.clone();
        s.apply(crate::model::action::Edit::result(
            &f,
            vec![Version::sample("v1", &f, None)],
        ))
        .unwrap();
        s.frames[0].shot.texts = vec![OnImageText {
            text: "Sale".into(),
            translations: [("ar".to_string(), "تخفيضات".to_string())].into(),
            ..OnImageText::default()
        }];
        s
    }

    #[test]
    fn edits_and_locale_variants_are_planned_like_any_request() {
        let s = series();
        let f = s.frames[0].id.clone();
        let items = vec![
            Item {
                job_id: f.clone(),
                frame_id: f.clone(),
                work: Work::Edit {
                    base: "v1".into(),
                    instruction: "Make the sky pink.".into(),
                    masked: true,
                    marked: false,
                },
            },
            Item {
                job_id: format!("{f}@ar"),
                frame_id: f.clone(),
                work: Work::Locale {
                    locale: "ar".into(),
                },
            },
        ];
        let plan = plan_items(&s, &Catalogue::builtin(), &items, 0);
        assert_eq!(plan.requests.len(), 2);
        assert!(plan.refusal().is_none(), "{:?}", plan.refusal());
        assert_eq!(
            plan.requests[0].compiled.references[0].key, "h-v1",
            "image 1 is the base"
        );
        assert!(plan.requests[0]
            .compiled
            .prompt
            .starts_with("EDIT IMAGE 1\nMake the sky pink."));
        assert!(plan.requests[1].title.ends_with("· Arabic"));
        assert!(plan.total_usd > 0.0);
        let jobs = plan.jobs();
        assert_eq!(
            jobs[1].id,
            format!("{f}@ar"),
            "locale variants have their own job ids"
        );
    }

    #[test]
    fn a_gone_base_or_untranslated_text_blocks_with_a_reason() {
        let mut s = series();
        let f = s.frames[0].id.clone();
        s.frames[0].shot.texts[0].translations.clear();
        let items = vec![
            Item {
                job_id: f.clone(),
                frame_id: f.clone(),
                work: Work::Edit {
                    base: "gone".into(),
                    instruction: "x".into(),
                    masked: false,
                    marked: false,
                },
            },
            Item {
                job_id: format!("{f}@ar"),
                frame_id: f,
                work: Work::Locale {
                    locale: "ar".into(),
                },
            },
        ];
        let plan = plan_items(&s, &Catalogue::builtin(), &items, 0);
        assert_eq!(
            plan.requests[0].blockers,
            vec!["The version to edit no longer exists."]
        );
        assert!(plan.requests[1].blockers[0].contains("Add the translation of \"Sale\" first."));
        assert!(plan.refusal().unwrap().contains("cannot be sent yet"));
    }
}
