//! Planning a batch before any money is spent (pure): which frames get a request, which wait
//! for the anchor, what each sends (generation or edit with which reference images) and what
//! it should cost, against the series budget.

use crate::catalogue::Catalogue;
use crate::compiler::{compile, CompiledFrame, MAX_REFERENCE_IMAGES};
use crate::cost::{estimate, input_estimate, Confidence, CostQuery};
use crate::model::size::Size;
use crate::model::Project;
use crate::scheduler::Job;

/// Which frames to (re)generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole series ("Generate series").
    All,
    /// Only these frames (one frame's "Generate", "Retry failed").
    Frames(Vec<String>),
    /// The frames made from an old anchor image.
    Stale,
    /// The frames that have no image yet (resuming an interrupted series).
    Missing,
}

/// One planned request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest {
    /// The frame it makes.
    pub frame_id: String,
    /// Title for display.
    pub title: String,
    /// Starts only after the anchor frame's new image exists.
    pub waits_for_anchor: bool,
    /// This request makes the anchor.
    pub is_anchor: bool,
    /// What is sent, as compiled now (a request that waits for the anchor is compiled again
    /// when it starts, with the new anchor as image 1).
    pub compiled: CompiledFrame,
    /// Estimated cost in US dollars (all variants).
    pub estimate_usd: f64,
    /// Whether the estimate rests on an assumption.
    pub estimate_assumed: bool,
    /// Problems that block this request (empty when it can be sent).
    pub blockers: Vec<String>,
}

impl PlannedRequest {
    /// Whether it goes to `/v1/images/edits` (it carries reference images).
    pub fn is_edit(&self) -> bool {
        self.waits_for_anchor || !self.compiled.references.is_empty()
    }
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Requests in the order they are queued (the anchor first).
    pub requests: Vec<PlannedRequest>,
    /// Sum of the estimates.
    pub total_usd: f64,
    /// The series budget, if set.
    pub budget_usd: Option<f64>,
}

impl Plan {
    /// Why the plan cannot start, if it cannot: over budget, or a request is blocked.
    pub fn refusal(&self) -> Option<String> {
        if let Some(budget) = self.budget_usd {
            // Same rounding as the scheduler: whole micro-dollars.
            if (self.total_usd * 1e6).round() > (budget * 1e6).round() {
                return Some(format!(
                    "The plan is estimated at {} but the series budget is {}. Raise the budget or generate fewer frames.",
                    crate::cost::format_usd(self.total_usd),
                    crate::cost::format_usd(budget)
                ));
            }
        }
        let blocked: Vec<&PlannedRequest> = self
            .requests
            .iter()
            .filter(|r| !r.blockers.is_empty())
            .collect();
        if let Some(first) = blocked.first() {
            return Some(format!(
                "{} request{} cannot be sent yet. {}: {}",
                blocked.len(),
                if blocked.len() == 1 { "" } else { "s" },
                first.title,
                first.blockers.join(" ")
            ));
        }
        if self.requests.is_empty() {
            return Some("Nothing to generate.".into());
        }
        None
    }

    /// Jobs for the scheduler: dependents wait for the anchor job.
    pub fn jobs(&self) -> Vec<Job> {
        let anchor = self
            .requests
            .iter()
            .find(|r| r.is_anchor)
            .map(|r| r.frame_id.clone());
        self.requests
            .iter()
            .map(|r| Job {
                id: r.frame_id.clone(),
                after: if r.waits_for_anchor {
                    anchor.clone()
                } else {
                    None
                },
                estimate_usd: r.estimate_usd,
            })
            .collect()
    }

    /// How many requests wait for the anchor.
    pub fn waiting_for_anchor(&self) -> usize {
        self.requests.iter().filter(|r| r.waits_for_anchor).count()
    }
}

/// Plans a batch for `project`. `partial_images` is the number of streamed previews per image.
pub fn plan(project: &Project, catalogue: &Catalogue, scope: &Scope, partial_images: u32) -> Plan {
    let anchor_frame = project.anchor_frame_id().map(str::to_string);
    let stale = project.stale_frames();
    let missing = project.missing_frames();
    let wanted = |id: &str| match scope {
        Scope::All => true,
        Scope::Frames(ids) => ids.iter().any(|f| f == id),
        Scope::Stale => stale.iter().any(|f| f == id),
        Scope::Missing => missing.iter().any(|f| f == id),
    };
    // When is the anchor (re)made first? "Generate series" remakes it unless its current
    // image is approved; asking for the anchor frame itself remakes it; otherwise dependents
    // use the current anchor image, and the anchor runs only if there is none yet.
    let others_need_anchor = project
        .frames
        .iter()
        .any(|f| wanted(&f.id) && Some(&f.id) != anchor_frame.as_ref());
    let no_anchor_image = project.anchor_image().is_none();
    let run_anchor = match (&anchor_frame, scope) {
        (None, _) => false,
        (Some(_), Scope::All) => !project.anchor_approved(),
        (Some(a), Scope::Frames(ids)) => ids.contains(a) || (others_need_anchor && no_anchor_image),
        (Some(_), Scope::Stale) => others_need_anchor && no_anchor_image,
        (Some(a), Scope::Missing) => missing.contains(a) || (others_need_anchor && no_anchor_image),
    };
    let model = catalogue
        .get(&project.output.model)
        .unwrap_or(catalogue.default_model());
    let n = u32::from(project.output.variants.clamp(1, 4));
    let per_request = estimate(
        model,
        &CostQuery {
            size: Some(project.output.size),
            quality: &project.output.quality,
            n,
            partial_images,
        },
    );
    let mut requests = Vec::new();
    for (index, frame) in project.frames.iter().enumerate() {
        let is_anchor = anchor_frame.as_deref() == Some(frame.id.as_str());
        let included = if is_anchor {
            run_anchor
        } else {
            wanted(&frame.id)
        };
        if !included {
            continue;
        }
        let compiled = compile(project, index);
        let waits_for_anchor = run_anchor && !is_anchor;
        let mut blockers = Vec::new();
        let refs =
            compiled.references.len() + usize::from(waits_for_anchor && !compiled.uses_anchor);
        if refs > MAX_REFERENCE_IMAGES.min(model.max_input_images) {
            blockers.push(format!(
                "{refs} reference images; at most {} can be sent. Remove entities from this frame or references from the bible.",
                MAX_REFERENCE_IMAGES.min(model.max_input_images)
            ));
        }
        if compiled.prompt.chars().count() > crate::openai::request::MAX_PROMPT_CHARS {
            blockers.push("The prompt is over 32,000 characters.".into());
        }
        if !model.selectable() {
            blockers.push(format!(
                "{} has been shut down; choose another model.",
                model.id
            ));
        }
        // Input side: the prompt and every reference image; a not-yet-made anchor will be an
        // image of the series' size.
        let mut images: Vec<Size> = compiled
            .references
            .iter()
            .map(|r| project.image_size(&r.key).unwrap_or(project.output.size))
            .collect();
        if waits_for_anchor && !compiled.uses_anchor {
            images.insert(0, project.output.size);
        }
        let input = input_estimate(
            model,
            compiled.prompt.chars().count(),
            &images,
            !model.input_fidelity,
        );
        let request = PlannedRequest {
            frame_id: frame.id.clone(),
            title: frame.title.clone(),
            waits_for_anchor,
            is_anchor: is_anchor && run_anchor,
            compiled,
            estimate_usd: per_request.usd + input.usd,
            estimate_assumed: per_request.confidence == Confidence::Assumed
                || input.confidence == Confidence::Assumed,
            blockers,
        };
        if request.is_anchor {
            requests.insert(0, request);
        } else {
            requests.push(request);
        }
    }
    let total_usd = requests.iter().map(|r| r.estimate_usd).sum();
    Plan {
        requests,
        total_usd,
        budget_usd: project.budget_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bible::{Entity, EntityKind, RefImage};
    use crate::model::template::Template;
    use crate::model::Take;

    fn project(template: Template) -> Project {
        let mut n = 0;
        Project::from_template("Plan", template, "gpt-image-2", 0.0, move || {
            n += 1;
            n
        })
    }

    fn take(id: &str, anchor: Option<&str>) -> Take {
        Take::sample(id, anchor)
    }

    fn with_character(p: &mut Project) {
        p.bible.entities.push(Entity {
            id: "e1".into(),
            kind: EntityKind::Character,
            name: "Mira".into(),
            description: "keeper".into(),
            must_not_change: vec![],
            references: vec![
                RefImage {
                    id: "r1".into(),
                    name: "a.png".into(),
                    mime: "image/png".into(),
                    width: 640,
                    height: 640,
                },
                RefImage {
                    id: "r2".into(),
                    name: "b.png".into(),
                    mime: "image/png".into(),
                    width: 640,
                    height: 640,
                },
            ],
        });
        for f in &mut p.frames {
            f.shot.entities = vec!["e1".into()];
        }
    }

    #[test]
    fn without_an_anchor_every_frame_is_independent() {
        let p = project(Template::Carousel);
        let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
        assert_eq!(plan.requests.len(), 9);
        assert!(plan
            .requests
            .iter()
            .all(|r| !r.waits_for_anchor && !r.is_anchor && !r.is_edit()));
        assert!(plan.jobs().iter().all(|j| j.after.is_none()));
        // 1510 output tokens at $30/M per slide, plus a little prompt text at $5/M.
        let text = plan.total_usd - 9.0 * 0.0453;
        assert!(text > 0.0 && text < 0.005, "{}", plan.total_usd);
        assert!(
            plan.requests.iter().all(|r| !r.estimate_assumed),
            "no references: published prices"
        );
        assert_eq!(plan.refusal(), None);
    }

    #[test]
    fn an_unapproved_anchor_runs_first_and_the_rest_wait_for_it() {
        let mut p = project(Template::Storyboard);
        with_character(&mut p);
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
        assert_eq!(plan.requests.len(), 12);
        assert!(plan.requests[0].is_anchor);
        assert_eq!(plan.waiting_for_anchor(), 11);
        let jobs = plan.jobs();
        assert!(jobs[1..]
            .iter()
            .all(|j| j.after.as_deref() == Some(anchor.as_str())));
        // Each dependent will send [new anchor, r1, r2]: 3 images, counted before the anchor exists,
        // and priced as input (an assumption: gpt-image-2 publishes no input-image rule).
        assert_eq!(plan.requests[1].compiled.references.len() + 1, 3);
        assert!(plan.requests[1].estimate_usd > plan.requests[0].estimate_usd);
        assert!(plan.requests[1].estimate_assumed);
    }

    #[test]
    fn an_approved_anchor_is_reused_and_not_regenerated() {
        let mut p = project(Template::Storyboard);
        with_character(&mut p);
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        p.add_take(&anchor, take("a1", None));
        assert!(p.approve_anchor());
        let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
        assert_eq!(
            plan.requests.len(),
            11,
            "the approved anchor is used, not remade"
        );
        assert!(plan
            .requests
            .iter()
            .all(|r| !r.waits_for_anchor && r.compiled.uses_anchor));
        assert_eq!(plan.requests[0].compiled.references[0].key, "a1");
    }

    #[test]
    fn stale_scope_regenerates_only_stale_frames_from_the_current_anchor() {
        let mut p = project(Template::Comic);
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        p.add_take(&anchor, take("a1", None));
        for i in 1..4 {
            let id = p.frames[i].id.clone();
            p.add_take(&id, take(&format!("t{i}"), Some("a1")));
        }
        p.add_take(&anchor, take("a2", None));
        let plan = plan(&p, &Catalogue::builtin(), &Scope::Stale, 0);
        assert_eq!(plan.requests.len(), 3);
        assert!(plan
            .requests
            .iter()
            .all(|r| !r.is_anchor && !r.waits_for_anchor));
        assert!(plan.requests.iter().all(|r| r
            .compiled
            .references
            .first()
            .map(|x| x.key.as_str())
            == Some("a2")));
    }

    #[test]
    fn missing_scope_resumes_only_frames_without_images() {
        let mut p = project(Template::Storyboard);
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        p.add_take(&anchor, take("a1", None));
        for i in 1..5 {
            let id = p.frames[i].id.clone();
            p.add_take(&id, take(&format!("t{i}"), Some("a1")));
        }
        let plan = plan(&p, &Catalogue::builtin(), &Scope::Missing, 0);
        assert_eq!(plan.requests.len(), 7, "frames 6-12");
        assert!(plan
            .requests
            .iter()
            .all(|r| !r.is_anchor && r.compiled.uses_anchor));
    }

    #[test]
    fn asking_for_the_anchor_frame_alone_makes_only_the_anchor() {
        let mut p = project(Template::Storyboard);
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        let plan = plan(
            &p,
            &Catalogue::builtin(),
            &Scope::Frames(vec![anchor.clone()]),
            0,
        );
        assert_eq!(plan.requests.len(), 1);
        assert!(plan.requests[0].is_anchor);
    }

    #[test]
    fn a_plan_over_budget_is_refused_with_the_figures() {
        let mut p = project(Template::Storyboard);
        p.budget_usd = Some(0.10);
        let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 1);
        let why = plan.refusal().unwrap();
        assert!(why.contains("budget is $0.100"), "{why}");
        p.budget_usd = Some(100.0);
        assert_eq!(
            super::plan(&p, &Catalogue::builtin(), &Scope::All, 1).refusal(),
            None
        );
    }

    #[test]
    fn more_than_sixteen_reference_images_block_the_request() {
        let mut p = project(Template::CharacterSheet);
        with_character(&mut p);
        let refs = (0..17)
            .map(|i| RefImage {
                id: format!("r{i}"),
                name: String::new(),
                mime: "image/png".into(),
                width: 1,
                height: 1,
            })
            .collect();
        p.bible.entities[0].references = refs;
        let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
        assert!(plan.requests.iter().all(|r| !r.blockers.is_empty()));
        assert!(plan.refusal().unwrap().contains("17 reference images"));
    }
}
