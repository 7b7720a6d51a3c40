//! What one frame asked, as a check call carries it ([`super::check`]), what a stored check
//! says ([`ResultCheck`]: the report with what was asked, or the failed call), what the plan
//! reserves per image, and the directed edit drafted from the misses ("Edit to fix").

use serde::{Deserialize, Serialize};

use super::check::{self, CheckReport, Constraint, TextMiss};
use super::planner::TextRow;
use super::{MAX_SHORT_CHARS, MAX_TEXT_ROWS};
use crate::model::bible::EntityKind;
use crate::model::{Frame, Series};
use crate::openai::responses::ResponsesRequest;
use crate::text_models::{worst_case_usd, TextCallSize, TextModelInfo};

/// What a check of one frame's image asks: its on-image text rows and its constraints (each
/// must-not-change item of the entities it shows, the palette, the shot size, each
/// character's canonical description, the frame's own constraints).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    /// The on-image text rows, in order (empty rows left out).
    pub texts: Vec<TextRow>,
    /// The constraints, ids `c1`, `c2`, … in order.
    pub constraints: Vec<Constraint>,
}

/// Cuts `text` to what a constraint may hold.
fn short(text: &str) -> String {
    text.chars().take(MAX_SHORT_CHARS).collect()
}

impl Asked {
    /// What `frame` of `series` asks of its image.
    pub fn of(series: &Series, frame: &Frame) -> Self {
        let texts = frame
            .shot
            .texts
            .iter()
            .filter(|t| !t.text.trim().is_empty())
            .take(MAX_TEXT_ROWS)
            .map(|t| TextRow {
                text: t.text.trim().to_string(),
                language: t.language.clone(),
            })
            .collect();
        let mut items: Vec<(&str, String)> = Vec::new();
        for entity in frame
            .shot
            .entities
            .iter()
            .filter_map(|id| series.bible.entity(id))
        {
            if entity.kind == EntityKind::Character && !entity.description.trim().is_empty() {
                items.push((
                    "description",
                    format!("{} looks like: {}", entity.name, entity.description.trim()),
                ));
            }
            for keep in entity
                .must_not_change
                .iter()
                .filter(|k| !k.trim().is_empty())
            {
                items.push((
                    "must_not_change",
                    format!("{} keeps: {}", entity.name, keep.trim()),
                ));
            }
        }
        if !series.bible.palette.is_empty() {
            let colours = series
                .bible
                .palette
                .iter()
                .map(|s| match s.name.trim() {
                    "" => s.hex.clone(),
                    name => format!("{} {name}", s.hex),
                })
                .collect::<Vec<_>>()
                .join(", ");
            items.push(("palette", format!("Colours kept to the palette: {colours}")));
        }
        if !frame.shot.shot_size.trim().is_empty() {
            items.push((
                "shot",
                format!("Shot size: {}", frame.shot.shot_size.trim()),
            ));
        }
        for c in frame
            .shot
            .constraints
            .iter()
            .filter(|c| !c.trim().is_empty())
        {
            items.push(("other", c.trim().to_string()));
        }
        let constraints = items
            .into_iter()
            .take(check::MAX_CONSTRAINTS)
            .enumerate()
            .map(|(i, (kind, text))| Constraint {
                id: format!("c{}", i + 1),
                kind: kind.into(),
                text: short(&text),
            })
            .collect();
        Self { texts, constraints }
    }

    /// The check call for an image (`image_url`: its `data:` URL).
    pub fn request(&self, model: &str, image_url: &str) -> Result<ResponsesRequest, String> {
        check::request(model, image_url, &self.texts, &self.constraints)
    }

    /// The most a check of one image of this frame can cost at `model`'s text rates: what
    /// the plan reserves per image when "Check every result" is on.
    pub fn worst_case_usd(&self, model: &TextModelInfo) -> f64 {
        // The image's data URL is not body text: the image is counted at the model's largest
        // image input instead.
        match self.request(&model.id, "data:image/png;base64,") {
            Ok(request) => worst_case_usd(model, &TextCallSize::of(&request)),
            Err(_) => 0.0,
        }
    }
}

/// What "Check every result" reserves for `images` images of frame `frame_id`: each one's
/// check call at its worst case at the default text model's rates (0 when the series does
/// not check, or the frame is gone).
pub fn reserve_usd(series: &Series, frame_id: &str, images: usize) -> f64 {
    if !series.check_results {
        return 0.0;
    }
    let catalogue = crate::text_models::TextCatalogue::builtin();
    match (series.frame(frame_id), catalogue.default_model()) {
        (Some(frame), Some(model)) => {
            Asked::of(series, frame).worst_case_usd(model) * images as f64
        }
        _ => 0.0,
    }
}

/// How a check of a version ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The model answered and the answer passed the validator.
    Report(CheckReport),
    /// The call failed (the message says why): not a pass, and not re-sent by itself.
    Failed(String),
}

/// A version's check: what was asked, how it ended, and what the call cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultCheck {
    /// What the check asked.
    pub asked: Asked,
    /// The report, or why there is none.
    pub outcome: CheckOutcome,
    /// What the call cost in US dollars (a refused answer was still billed).
    #[serde(default)]
    pub cost_usd: f64,
}

impl ResultCheck {
    /// Passed and all checks (`None` when the call failed).
    pub fn score(&self) -> Option<(usize, usize)> {
        match &self.outcome {
            CheckOutcome::Report(r) => Some(r.score(&self.asked.texts)),
            CheckOutcome::Failed(_) => None,
        }
    }

    /// Whether every check passed (`false` for a failed call: never shown as passed).
    pub fn passed(&self) -> bool {
        self.score().is_some_and(|(passed, all)| passed == all)
    }

    /// The text rows that read otherwise.
    pub fn text_misses(&self) -> Vec<TextMiss> {
        match &self.outcome {
            CheckOutcome::Report(r) => r.text_misses(&self.asked.texts),
            CheckOutcome::Failed(_) => Vec::new(),
        }
    }

    /// Every miss in words, text rows first: "Text differs: asked …, reads …", then "Not
    /// met: <constraint> — <reason>".
    pub fn misses(&self) -> Vec<String> {
        let CheckOutcome::Report(report) = &self.outcome else {
            return Vec::new();
        };
        let texts = self.text_misses().into_iter().map(|m| m.message());
        let unmet = report.constraints.iter().filter(|v| !v.met).map(|v| {
            let asked = self
                .asked
                .constraints
                .iter()
                .find(|c| c.id == v.id)
                .map_or(v.id.as_str(), |c| c.text.as_str());
            format!("Not met: {asked} — {}", v.reason)
        });
        texts.chain(unmet).collect()
    }

    /// The directed edit that fixes the misses: each misread text row by the exact words
    /// asked, each unmet constraint by its words; everything else kept. `None` when there is
    /// nothing to fix.
    pub fn fix_instruction(&self) -> Option<String> {
        let CheckOutcome::Report(report) = &self.outcome else {
            return None;
        };
        let mut lines: Vec<String> = self
            .text_misses()
            .iter()
            .map(|m| {
                format!(
                    "Change the text that reads \"{}\" so that it reads exactly \"{}\".",
                    m.reads, m.asked
                )
            })
            .collect();
        lines.extend(
            report
                .constraints
                .iter()
                .filter(|v| !v.met)
                .filter_map(|v| {
                    self.asked
                        .constraints
                        .iter()
                        .find(|c| c.id == v.id)
                        .map(|c| format!("Make sure: {}.", c.text.trim_end_matches('.')))
                }),
        );
        if lines.is_empty() {
            return None;
        }
        lines.push("Keep everything else exactly as it is.".into());
        Some(lines.join(" "))
    }
}

#[cfg(test)]
#[path = "check_frame_tests.rs"]
mod tests;
