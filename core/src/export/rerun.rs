//! Re-run from manifest: regenerate an imported series "with the manifest's parameters as they
//! were" — each frame with the model, size, quality and `n` of the request that made its
//! active image, which may differ from the series' current output settings (the user may have
//! changed them between frames).
//!
//! How the app uses it (never on import itself: SEC-IMP-09 — a re-run is the user's explicit
//! action after the usual plan and cost preview):
//!
//! 1. [`rerun_plans`] gives one [`crate::plan::Plan`] per distinct set of settings, each made
//!    by [`crate::plan::plan`] with [`Scope::Frames`] on a copy of the series whose `output` is
//!    that set, so each estimate prices what will really be sent. Show their requests and the
//!    sum of their totals as one preview; refuse if any plan has a
//!    [`crate::plan::Plan::refusal`] or the sum is over the budget.
//! 2. Run the plans in order. The plan holding the anchor frame comes first, so the frames of
//!    later plans are compiled against the new anchor image when they start.
//! 3. The runner must send each job with its frame's settings from [`rerun_plan_inputs`]
//!    rather than `series.output` (a per-run map of frame id → settings).

use crate::catalogue::Catalogue;
use crate::model::series::OutputSettings;
use crate::model::size::Size;
use crate::model::version::lineage;
use crate::model::Series;
use crate::plan::{plan, Plan, Scope};

/// Each frame (in order) with the output settings to regenerate it with: those of the nearest
/// request in its active image's lineage (a composite has none, so its parent's counts), with
/// anything the request did not record (`size: auto`, no quality) taken from the series.
/// Frames without an image get the series' settings. `n` is clamped to 1–4.
pub fn rerun_plan_inputs(series: &Series) -> Vec<(String, OutputSettings)> {
    series
        .frames
        .iter()
        .map(|frame| {
            let base = &series.output;
            let request = series.active(frame).and_then(|active| {
                lineage(&series.versions, &active.id)
                    .into_iter()
                    .rev()
                    .map(|v| &v.request)
                    .find(|r| !r.model.is_empty() && !r.endpoint.is_empty())
            });
            let settings = match request {
                None => base.clone(),
                Some(r) => OutputSettings {
                    model: r.model.clone(),
                    size: Size::parse(&r.size).unwrap_or(base.size),
                    quality: or(&r.quality, &base.quality),
                    output_format: or(&r.output_format, &base.output_format),
                    variants: if r.n == 0 {
                        base.variants
                    } else {
                        r.n.clamp(1, 4)
                    },
                    ..base.clone()
                },
            };
            (frame.id.clone(), settings)
        })
        .collect()
}

fn or(value: &str, fallback: &str) -> String {
    if value.is_empty() { fallback } else { value }.to_string()
}

/// The frames of [`rerun_plan_inputs`] grouped by identical settings, groups in the order of
/// their first frame, except that the anchor frame's group comes first.
pub fn rerun_groups(series: &Series) -> Vec<(OutputSettings, Vec<String>)> {
    let mut groups: Vec<(OutputSettings, Vec<String>)> = Vec::new();
    for (frame, settings) in rerun_plan_inputs(series) {
        match groups.iter_mut().find(|(s, _)| *s == settings) {
            Some((_, frames)) => frames.push(frame),
            None => groups.push((settings, vec![frame])),
        }
    }
    if let Some(anchor) = series.anchor_frame_id() {
        if let Some(at) = groups
            .iter()
            .position(|(_, frames)| frames.iter().any(|f| f == anchor))
        {
            let group = groups.remove(at);
            groups.insert(0, group);
        }
    }
    groups
}

/// One plan per group of [`rerun_groups`], each priced with its own settings.
pub fn rerun_plans(series: &Series, catalogue: &Catalogue, partial_images: u32) -> Vec<Plan> {
    rerun_groups(series)
        .into_iter()
        .map(|(settings, frames)| {
            let mut copy = series.clone();
            copy.output = settings;
            plan(&copy, catalogue, &Scope::Frames(frames), partial_images)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::Template;
    use crate::model::{Version, VersionKind};

    fn series() -> Series {
        let mut n = 0;
        Series::from_template("Re-run", Template::Comic, "gpt-image-2", 0.0, move || {
            n += 1;
            n
        })
    }

    fn version(id: &str, frame: &str, size: &str, quality: &str, n: u8) -> Version {
        let mut v = Version::sample(id, frame, None);
        v.request.size = size.into();
        v.request.quality = quality.into();
        v.request.n = n;
        v
    }

    #[test]
    fn export_rerun_uses_each_frames_recorded_request() {
        let mut s = series();
        let ids: Vec<String> = s.frames.iter().map(|f| f.id.clone()).collect();
        s.apply(crate::model::action::Edit::result(
            &ids[0],
            vec![version("a", &ids[0], "1024x1536", "high", 2)],
        ))
        .unwrap();
        s.apply(crate::model::action::Edit::result(
            &ids[1],
            vec![version("b", &ids[1], "auto", "", 0)],
        ))
        .unwrap();
        // A composite (no request) of an edit: the edit's request counts.
        let mut edit = version("c1", &ids[2], "1024x1024", "low", 1);
        edit.request.endpoint = "images/edits".into();
        let mut comp = version("c2", &ids[2], "", "", 0);
        comp.kind = VersionKind::Composite;
        comp.request = Default::default();
        comp.parent = Some("c1".into());
        s.apply(crate::model::action::Edit::result(&ids[2], vec![edit]))
            .unwrap();
        s.apply(crate::model::action::Edit::result(&ids[2], vec![comp]))
            .unwrap();

        let inputs = rerun_plan_inputs(&s);
        assert_eq!(inputs.len(), 4);
        let (f0, a) = &inputs[0];
        assert_eq!(f0, &ids[0]);
        assert_eq!(
            (a.size.to_string(), a.quality.as_str(), a.variants),
            ("1024x1536".into(), "high", 2)
        );
        let b = &inputs[1].1;
        assert_eq!(b.size, s.output.size, "size auto: the series' size");
        assert_eq!((b.quality.as_str(), b.variants), ("medium", 1));
        let c = &inputs[2].1;
        assert_eq!(
            (c.size.to_string(), c.quality.as_str()),
            ("1024x1024".into(), "low")
        );
        assert_eq!(inputs[3].1, s.output, "no image: the series' settings");
    }

    #[test]
    fn export_rerun_groups_put_the_anchor_first_and_plan_each() {
        let mut s = series();
        let ids: Vec<String> = s.frames.iter().map(|f| f.id.clone()).collect();
        s.apply(crate::model::action::Edit::result(
            &ids[3],
            vec![version("d", &ids[3], "1024x1536", "high", 1)],
        ))
        .unwrap();
        s.set_anchor_frame(Some(&ids[3]));
        let groups = rerun_groups(&s);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].1,
            vec![ids[3].clone()],
            "the anchor's group first"
        );
        assert_eq!(groups[1].1.len(), 3);
        let catalogue = Catalogue::builtin();
        let plans = rerun_plans(&s, &catalogue, 0);
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].requests.len(), 1);
        assert!(plans[0].requests[0].is_anchor);
        assert_eq!(plans[1].requests.len(), 3);
        // Each plan is priced with its own settings: high quality costs more per frame.
        let per_frame = |p: &Plan| p.total_usd / p.requests.len() as f64;
        assert!(per_frame(&plans[0]) > per_frame(&plans[1]));
    }
}
