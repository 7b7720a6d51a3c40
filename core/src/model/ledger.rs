//! The spend ledger: every paid request of a series, and every request that may have been
//! billed, appended once and never shrunk. "Spent" and every budget check read it, so
//! deleting a frame, a version or a locale never hands money back to the budget.
//!
//! An entry is appended where a result lands ([`crate::model::action::FrameEdit::ResultArrived`])
//! whatever path brought it (live, recovered after a reload, a batch), and where a request
//! ends without an image but may have been billed. One request is one entry: an entry is
//! keyed by its job id, else its `x-request-id`, so a recovered job is never counted twice.

use crate::model::frame::InFlightJob;
use crate::model::{Series, Version};
use crate::openai::types::Usage;
use serde::{Deserialize, Serialize};

/// One request that was paid for, or may have been.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The frame it was for (kept after the frame is deleted).
    #[serde(default)]
    pub frame_id: String,
    /// The versions it made (empty when no image arrived).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// The job id it was sent with (server mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The endpoint's `x-request-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A text call's own id, made before it was sent: the entry reserved then and the one
    /// settled from the answer are the same request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// What it cost in US dollars; `None` when unknown (no answer arrived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Token usage as the endpoint reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// When it was recorded (ms since the epoch).
    #[serde(default)]
    pub at_ms: f64,
    /// No image arrived: the request may have been billed (its cost is unknown).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub maybe_billed: bool,
    /// Its image(s) arrived after the page had lost the request (read back from the server
    /// by job id after a reload or a network cut).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
    /// Seeded from what a series stored before the ledger existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seeded: bool,
}

impl LedgerEntry {
    /// The entry of a request whose versions just landed (they share its cost and usage).
    pub fn of_versions(
        frame_id: &str,
        versions: &[Version],
        job: Option<&InFlightJob>,
        recovered: bool,
    ) -> Option<Self> {
        let first = versions.first()?;
        // The versions' shares add up to what the request cost.
        let shares: Vec<f64> = versions.iter().filter_map(|v| v.cost_usd).collect();
        let cost = if shares.is_empty() {
            first.request_cost_usd
        } else {
            Some(shares.iter().sum())
        };
        cost?;
        Some(Self {
            frame_id: frame_id.to_string(),
            versions: versions.iter().map(|v| v.id.clone()).collect(),
            job_id: job.and_then(|j| j.job_id.clone()),
            request_id: first.request_id.clone(),
            call_id: None,
            cost_usd: cost,
            usage: first.usage.clone(),
            at_ms: first.created_ms,
            maybe_billed: false,
            recovered,
            seeded: false,
        })
    }

    /// Whether `other` is the same request (same job id, call id or `x-request-id`).
    fn same_request(&self, other: &LedgerEntry) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        same(&self.job_id, &other.job_id)
            || same(&self.call_id, &other.call_id)
            || same(&self.request_id, &other.request_id)
    }
}

/// What the entries add up to (requests of unknown cost count nothing).
pub fn ledger_total(entries: &[LedgerEntry]) -> f64 {
    entries.iter().filter_map(|e| e.cost_usd).sum()
}

/// Whether version `id` came back by recovery after its request was lost (what the card and
/// the inspector note as "recovered").
pub fn is_recovered(entries: &[LedgerEntry], id: &str) -> bool {
    entries
        .iter()
        .any(|e| e.recovered && e.versions.iter().any(|v| v == id))
}

impl Series {
    /// Appends `entry` unless its request is already there. A known cost replaces a
    /// "may have been billed" entry of the same request (a job recovered after it was
    /// flagged). Returns whether the ledger changed.
    pub fn record_spend(&mut self, entry: LedgerEntry) -> bool {
        match self.ledger.iter_mut().find(|e| e.same_request(&entry)) {
            Some(known) if known.maybe_billed && !entry.maybe_billed => {
                *known = entry;
                true
            }
            Some(_) => false,
            None => {
                self.ledger.push(entry);
                true
            }
        }
    }

    /// Makes the ledger cover what is stored: every paid version not in an entry gets one
    /// (one per request: versions of one group share an entry), and a series stored before
    /// the ledger existed gets one more entry for what it had spent on deleted versions.
    /// Run when a series is loaded. Returns whether the ledger changed.
    pub fn settle_ledger(&mut self) -> bool {
        let before = self.ledger.len();
        let pre_ledger = self.ledger.is_empty();
        let mut missing: Vec<&Version> = self
            .versions
            .iter()
            .filter(|v| v.cost_usd.is_some_and(|c| c > 0.0))
            .filter(|v| !self.ledger.iter().any(|e| e.versions.contains(&v.id)))
            .collect();
        missing.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms));
        // One entry per request: the versions of one group share it.
        let mut seeded: Vec<(String, LedgerEntry)> = Vec::new();
        for v in missing {
            let key = v.group.clone().unwrap_or_else(|| v.id.clone());
            match seeded.iter_mut().find(|(k, _)| *k == key) {
                Some((_, entry)) => {
                    entry.versions.push(v.id.clone());
                    entry.cost_usd =
                        Some(entry.cost_usd.unwrap_or(0.0) + v.cost_usd.unwrap_or(0.0));
                }
                None => seeded.push((
                    key,
                    LedgerEntry {
                        frame_id: v.frame_id.clone(),
                        versions: vec![v.id.clone()],
                        job_id: None,
                        request_id: v.request_id.clone(),
                        call_id: None,
                        cost_usd: v.cost_usd,
                        usage: v.usage.clone(),
                        at_ms: v.created_ms,
                        maybe_billed: false,
                        recovered: false,
                        seeded: true,
                    },
                )),
            }
        }
        self.ledger.extend(seeded.into_iter().map(|(_, e)| e));
        if pre_ledger && self.spent_on_deleted_usd > 0.0 {
            self.ledger.push(LedgerEntry {
                frame_id: String::new(),
                versions: Vec::new(),
                job_id: None,
                request_id: None,
                call_id: None,
                cost_usd: Some(self.spent_on_deleted_usd),
                usage: None,
                at_ms: self.updated_ms,
                maybe_billed: false,
                recovered: false,
                seeded: true,
            });
        }
        self.ledger.len() != before
    }

    /// Whether version `id` came back by recovery after its request was lost.
    pub fn is_recovered(&self, id: &str) -> bool {
        is_recovered(&self.ledger, id)
    }

    /// How many requests may have been billed although no image arrived.
    pub fn maybe_billed_requests(&self) -> usize {
        self.ledger.iter().filter(|e| e.maybe_billed).count()
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;

impl Series {
    /// Counts a text call in the ledger (the planner that made the series, "Describe from
    /// images", a result check): reserved before it is sent (`spend.usd` `None`, may have been
    /// billed) and settled from its answer under the same call id, so a call cut by a closed tab
    /// still shows. A negative or non-finite figure counts nothing, and a settled entry is never
    /// replaced (money is never given back). Returns whether the ledger changed.
    pub fn record_text_spend(&mut self, spend: TextSpend) -> bool {
        let cost = spend.usd.filter(|usd| usd.is_finite() && *usd >= 0.0);
        if spend.usd.is_some() && cost.is_none() {
            return false;
        }
        self.record_spend(LedgerEntry {
            frame_id: spend.frame_id,
            versions: Vec::new(),
            job_id: None,
            request_id: spend.request_id,
            call_id: spend.call_id,
            cost_usd: cost,
            usage: None,
            at_ms: spend.at_ms,
            maybe_billed: cost.is_none(),
            recovered: false,
            seeded: false,
        })
    }
}

/// One text call's spend, as [`Series::record_text_spend`] counts it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextSpend {
    /// The call's own id (made before sending); `None` for a figure counted once, after.
    pub call_id: Option<String>,
    /// The frame it was for (a result check); empty for the series' plan or bible.
    pub frame_id: String,
    /// What it cost in US dollars; `None` while it is on its way or when it ended without a
    /// known figure but may have been billed.
    pub usd: Option<f64>,
    /// The answer's `x-request-id`.
    pub request_id: Option<String>,
    /// When (ms since the epoch).
    pub at_ms: f64,
}
