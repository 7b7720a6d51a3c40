//! "Every result checked against what was asked": one vision call per finished image reads
//! back its on-image text and answers, per constraint of the frame, met or not with a short
//! reason. The text comparison is made here, from the read-back, not taken from the model's
//! verdict: "asked 限时 5 折, reads 限时 5 拆" is the app's finding.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::planner::TextRow;
use super::schema::{array, boolean, object, string};
use super::validate::{AnswerError, Reader};
use super::*;
use crate::openai::responses::{InputPart, ResponsesRequest};

/// `text.format.name` of a check call.
pub const SCHEMA_NAME: &str = "continuity_check_result";
/// Output tokens a check may use (reasoning included).
const MAX_OUTPUT_TOKENS: u64 = 4_000;
/// Constraints one check may carry.
pub const MAX_CONSTRAINTS: usize = 40;

/// What a constraint is about (the fake and the inspector read it).
pub const CONSTRAINT_KINDS: &[&str] = &[
    "text",
    "must_not_change",
    "palette",
    "shot",
    "description",
    "other",
];

/// One constraint to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// A short id, unique in the check (`c1`, `c2`, …).
    pub id: String,
    /// One of [`CONSTRAINT_KINDS`].
    pub kind: String,
    /// The constraint in words.
    pub text: String,
}

/// The check answer's schema (strict).
pub fn schema() -> Value {
    let verdict = object(&[
        ("id", string("The constraint's id as given.")),
        ("met", boolean("Whether the image meets it.")),
        ("reason", string("A short reason, at most 300 characters.")),
    ]);
    object(&[
        (
            "texts",
            array(
                string("The text as it reads in the image, character for character."),
                "One per asked text row, in the same order; empty if it is not there.",
            ),
        ),
        (
            "constraints",
            array(verdict, "One per constraint given, in the same order."),
        ),
    ])
}

/// The check call for one image (`image_url`: a `data:` URL of the exact bytes received),
/// the frame's on-image text rows and its constraints.
pub fn request(
    model: &str,
    image_url: &str,
    texts: &[TextRow],
    constraints: &[Constraint],
) -> Result<ResponsesRequest, String> {
    if texts.len() > MAX_TEXT_ROWS {
        return Err(format!("A check reads at most {MAX_TEXT_ROWS} text rows."));
    }
    if constraints.len() > MAX_CONSTRAINTS {
        return Err(format!(
            "A check carries at most {MAX_CONSTRAINTS} constraints."
        ));
    }
    if let Some(c) = constraints
        .iter()
        .find(|c| !CONSTRAINT_KINDS.contains(&c.kind.as_str()))
    {
        return Err(format!(
            "Constraint {} has an unknown kind {:?}.",
            c.id, c.kind
        ));
    }
    let instructions = "Check the image against what was asked in the JSON below. Read back \
        each asked text row exactly as it appears in the image, character for character, in \
        its own script (empty if it is not there); do not correct it. For each constraint, \
        answer whether the image meets it, with a short reason."
        .to_string();
    let data = json!({
        "texts": texts.iter().map(|t| json!({"text": t.text, "language": t.language})).collect::<Vec<_>>(),
        "constraints": constraints.iter().map(|c| json!({"id": c.id, "kind": c.kind, "text": c.text})).collect::<Vec<_>>(),
    })
    .to_string();
    Ok(ResponsesRequest::structured(
        model,
        SCHEMA_NAME,
        schema(),
        vec![
            InputPart::InputText { text: instructions },
            InputPart::InputText { text: data },
            InputPart::InputImage {
                image_url: Some(image_url.to_string()),
                file_id: None,
                detail: "high".into(),
            },
        ],
        MAX_OUTPUT_TOKENS,
    ))
}

/// The model's verdict on one constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The constraint's id.
    pub id: String,
    /// Met or not.
    pub met: bool,
    /// Why.
    pub reason: String,
}

/// A validated check answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    /// The text read back, one per asked row.
    pub texts: Vec<String>,
    /// One verdict per constraint, in the order asked.
    pub constraints: Vec<Verdict>,
}

/// A text row whose read-back differs from what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMiss {
    /// Index of the row.
    pub row: usize,
    /// What was asked.
    pub asked: String,
    /// What the image reads.
    pub reads: String,
}

impl TextMiss {
    /// "Text differs: asked 限时 5 折, reads 限时 5 拆".
    pub fn message(&self) -> String {
        format!("Text differs: asked {}, reads {}", self.asked, self.reads)
    }
}

impl CheckReport {
    /// The text rows whose read-back differs from what was asked (whitespace runs and
    /// surrounding space ignored; everything else, case included, must match).
    pub fn text_misses(&self, asked: &[TextRow]) -> Vec<TextMiss> {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        asked
            .iter()
            .zip(&self.texts)
            .enumerate()
            .filter(|(_, (a, read))| norm(&a.text) != norm(read))
            .map(|(row, (a, read))| TextMiss {
                row,
                asked: a.text.clone(),
                reads: read.clone(),
            })
            .collect()
    }

    /// Passed checks and all checks: every text row and every constraint count once; a text
    /// row passes when it reads as asked.
    pub fn score(&self, asked: &[TextRow]) -> (usize, usize) {
        let text_total = asked.len();
        let text_passed = text_total - self.text_misses(asked).len();
        let met = self.constraints.iter().filter(|v| v.met).count();
        (text_passed + met, text_total + self.constraints.len())
    }
}

const READER: Reader = Reader { what: "check" };

/// Reads and validates a check answer against what was asked: one read-back per text row and
/// one verdict per constraint, ids in the order given.
pub fn parse(
    text: &str,
    asked_texts: &[TextRow],
    asked: &[Constraint],
) -> Result<CheckReport, AnswerError> {
    let r = READER;
    let mut report: CheckReport = r.parse(text)?;
    if report.texts.len() != asked_texts.len() {
        return Err(r.error(
            "texts",
            format!(
                "has {} entries for {} asked rows",
                report.texts.len(),
                asked_texts.len()
            ),
        ));
    }
    for (i, read) in report.texts.iter_mut().enumerate() {
        // The read-back may be empty (text missing from the image) and may be as long as a
        // text row can be, with some slack for a model that adds letters.
        *read = r.text(&format!("texts[{i}]"), read, MAX_TEXT_ROW_CHARS * 2, false)?;
    }
    if report.constraints.len() != asked.len() {
        return Err(r.error(
            "constraints",
            format!(
                "has {} verdicts for {} constraints",
                report.constraints.len(),
                asked.len()
            ),
        ));
    }
    for (i, (v, a)) in report.constraints.iter_mut().zip(asked).enumerate() {
        if v.id != a.id {
            return Err(r.error(
                format!("constraints[{i}].id"),
                format!(
                    "is {:?}, expected {:?}",
                    super::validate::truncate(&v.id, 20),
                    a.id
                ),
            ));
        }
        v.reason = r.text(
            &format!("constraints[{i}].reason"),
            &v.reason,
            MAX_SHORT_CHARS,
            false,
        )?;
    }
    Ok(report)
}
