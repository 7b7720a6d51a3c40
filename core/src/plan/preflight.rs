//! The preflight: the one check every request of a series passes before anything is sent,
//! whatever started it (a batch, one frame's "Generate" or "Regenerate", "Retry failed", an
//! edit, a locale variant). It refuses when there is nothing to send, when what the series
//! has already spent plus the estimate of what is about to be sent would cross the series
//! budget, or when a request cannot be sent as it stands (too many images, too long a prompt,
//! a shut-down model). What passes sets the budget cap of the batch scheduler: what is left.

use super::{model_of, PlannedRequest};
use crate::catalogue::{Catalogue, ModelInfo};
use crate::compiler::MAX_REFERENCE_IMAGES;
use crate::cost::{format_budget, format_usd, from_micros, to_micros};
use crate::model::Series;
use crate::openai::request::MAX_PROMPT_CHARS;
use std::fmt;

/// What a planned request makes. Every kind goes through the same [`preflight`] and budget.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RequestKind {
    /// A frame's image from its compiled prompt: a batch, "Generate", "Regenerate", "Retry".
    #[default]
    Generate,
    /// A directed edit of an existing version (`/v1/images/edits` with that version first).
    Edit {
        /// The version the edit starts from.
        parent: String,
    },
    /// The same frame with its on-image text in another locale (an edit of `parent`).
    LocaleVariant {
        /// The version whose text is replaced.
        parent: String,
        /// The locale of the new text, e.g. `zh-Hans`.
        locale: String,
    },
}

impl RequestKind {
    /// Whether the request changes an existing image (it must send that image).
    pub fn changes_an_image(&self) -> bool {
        !matches!(self, RequestKind::Generate)
    }
}

/// The figures of requests that passed the [`preflight`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preflight {
    /// What the series had spent before these requests (sum of its versions' costs).
    pub spent_usd: f64,
    /// The estimate of these requests (micro-dollar sum, as the scheduler counts it).
    pub estimate_usd: f64,
    /// The series budget, if set.
    pub budget_usd: Option<f64>,
}

impl Preflight {
    /// What is left of the budget for these requests: the cap the batch scheduler enforces
    /// (`None` without a budget).
    pub fn remaining_usd(&self) -> Option<f64> {
        self.budget_usd
            .map(|b| from_micros(to_micros(b).saturating_sub(to_micros(self.spent_usd))))
    }
}

/// Why the [`preflight`] refused; its `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No request to send.
    Nothing,
    /// Spent so far plus the estimate would cross the budget.
    OverBudget {
        /// The series budget.
        budget_usd: f64,
        /// What the series has already spent.
        spent_usd: f64,
        /// The estimate of the refused requests.
        estimate_usd: f64,
        /// How many requests were refused.
        requests: usize,
    },
    /// At least one request cannot be sent as it stands.
    Blocked {
        /// How many requests are blocked.
        count: usize,
        /// The first blocked request's title.
        title: String,
        /// Its problems, in words.
        why: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Nothing => f.write_str("Nothing to generate."),
            Refusal::OverBudget {
                budget_usd,
                spent_usd,
                estimate_usd,
                requests,
            } => {
                let (what, advice) = if *requests == 1 {
                    ("this request".to_string(), "Raise the budget to continue.")
                } else {
                    (
                        format!("these {requests} requests"),
                        "Raise the budget or generate fewer frames.",
                    )
                };
                write!(
                    f,
                    "Not sent: the series budget is {} and {} is spent so far; {what}, estimated at {}, would cross it. {advice}",
                    format_budget(*budget_usd),
                    format_usd(*spent_usd),
                    format_usd(*estimate_usd),
                )
            }
            Refusal::Blocked { count, title, why } => write!(
                f,
                "{count} request{} cannot be sent yet. {title}: {why}",
                if *count == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The budget rule alone: `spent + estimate ≤ budget`, compared in whole micro-dollars (the
/// scheduler's resolution). No budget always passes.
pub fn check_budget(
    spent_usd: f64,
    estimate_usd: f64,
    budget_usd: Option<f64>,
    requests: usize,
) -> Result<(), Refusal> {
    let Some(budget) = budget_usd else {
        return Ok(());
    };
    if to_micros(spent_usd).saturating_add(to_micros(estimate_usd)) > to_micros(budget) {
        return Err(Refusal::OverBudget {
            budget_usd: budget,
            spent_usd,
            estimate_usd,
            requests,
        });
    }
    Ok(())
}

/// What keeps `request` from being sent to `model` as it stands (empty when nothing does).
pub fn request_blockers(model: &ModelInfo, request: &PlannedRequest) -> Vec<String> {
    let mut blockers = Vec::new();
    let images = request.image_count();
    let most = MAX_REFERENCE_IMAGES.min(model.max_input_images);
    if images > most {
        blockers.push(format!(
            "{images} reference images; at most {most} can be sent. Remove entities from this frame or references from the bible."
        ));
    }
    if request.kind.changes_an_image() && images == 0 {
        blockers.push("An edit must send the image it changes.".into());
    }
    if request.compiled.prompt.chars().count() > MAX_PROMPT_CHARS {
        blockers.push("The prompt is over 32,000 characters.".into());
    }
    if !model.selectable() {
        blockers.push(format!(
            "{} has been shut down; choose another model.",
            model.id
        ));
    }
    blockers
}

/// Checks `requests` of `series` before anything is sent: there is something to send, the
/// series' spend so far plus their estimate stays within its budget, and none is blocked
/// (its own blockers, and the limits of the series' model in `catalogue`). Every path that
/// sends a request calls this with the requests it is about to send.
pub fn preflight(
    series: &Series,
    catalogue: &Catalogue,
    requests: &[PlannedRequest],
) -> Result<Preflight, Refusal> {
    if requests.is_empty() {
        return Err(Refusal::Nothing);
    }
    // Summed like the scheduler sums job estimates, so a plan that passes here also fits the
    // batch's cap exactly.
    let estimate_usd = from_micros(
        requests
            .iter()
            .fold(0u64, |sum, r| sum.saturating_add(to_micros(r.estimate_usd))),
    );
    let checked = Preflight {
        spent_usd: series.spent_usd(),
        estimate_usd,
        budget_usd: series.budget_usd,
    };
    check_budget(
        checked.spent_usd,
        estimate_usd,
        checked.budget_usd,
        requests.len(),
    )?;
    let model = model_of(series, catalogue);
    let series_wide = crate::output_options::output_blockers(&series.output, model);
    let mut blocked = requests.iter().filter_map(|r| {
        let mut why = r.blockers.clone();
        for b in request_blockers(model, r)
            .into_iter()
            .chain(series_wide.clone())
        {
            if !why.contains(&b) {
                why.push(b);
            }
        }
        (!why.is_empty()).then_some((r, why))
    });
    if let Some((first, why)) = blocked.next() {
        return Err(Refusal::Blocked {
            count: 1 + blocked.count(),
            title: first.title.clone(),
            why: why.join(" "),
        });
    }
    Ok(checked)
}
