//! The model line as a person choosing a model sees it: which models the Model select offers
//! on a given day, how an ending model is labelled, and what the series is told when the
//! model it uses has ended (which model replaces it) or is about to.

use crate::catalogue::{Catalogue, ModelInfo};

/// How many days before its shutdown date a model is flagged as ending.
pub const WARN_DAYS: i64 = 30;

/// One entry of the Model select: the model id and the label shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// The API id.
    pub id: String,
    /// What the option reads, e.g. "GPT Image 2" or "GPT Image 1.5 (ends 2026-12-01)".
    pub label: String,
}

/// The Model select's entries on `today` (`YYYY-MM-DD`, UTC): every model that has not ended,
/// an ending one labelled with its date; the series' `current` model is kept when it has
/// ended (labelled so), so the select still shows what the series uses, but nothing else that
/// has ended is offered.
pub fn choices(catalogue: &Catalogue, current: &str, today: &str) -> Vec<ModelChoice> {
    catalogue
        .models
        .iter()
        .filter(|m| !m.is_shut_down(today) || m.id == current)
        .map(|m| ModelChoice {
            id: m.id.clone(),
            label: label(m, today),
        })
        .collect()
}

fn label(model: &ModelInfo, today: &str) -> String {
    match (model.is_shut_down(today), model.shutdown_date()) {
        (true, _) => format!("{} (ended)", model.label),
        (false, Some(date)) => format!("{} (ends {date})", model.label),
        (false, None) => model.label.clone(),
    }
}

/// What the series is told about its model `current` on `today`: that it has ended and which
/// model replaces it, or that it ends within [`WARN_DAYS`] days; nothing otherwise.
pub fn lifecycle_note(catalogue: &Catalogue, current: &str, today: &str) -> Option<String> {
    let model = catalogue.get(current)?;
    let replacement = &catalogue.default_model().label;
    if model.is_shut_down(today) {
        let when = model
            .shutdown_date()
            .map(|d| format!(" on {d}"))
            .unwrap_or_default();
        return Some(format!(
            "{} was shut down{when}: requests to it fail. {replacement} replaces it: choose it \
             (or another model) to make new images; the images already made stay.",
            model.label
        ));
    }
    let days = model.days_until_shutdown(today)?;
    (days <= WARN_DAYS).then(|| {
        let date = model.shutdown_date().unwrap_or_default();
        let left = match days {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        format!(
            "{} ends {left} ({date}): after that its requests fail. {replacement} replaces it.",
            model.label
        )
    })
}

/// The UTC date (`YYYY-MM-DD`) of a time in ms since the epoch.
pub fn date_of_ms(ms: f64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = (ms / 86_400_000.0).floor() as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::day_number;
    use proptest::prelude::*;

    fn ids(list: &[ModelChoice]) -> Vec<&str> {
        list.iter().map(|c| c.id.as_str()).collect()
    }

    /// On the catalogue as shipped: gpt-image-1.5 and gpt-image-1-mini (ending 2026-12-01)
    /// and gpt-image-1 (retired) are not offered after their date; before it the ending ones
    /// are offered with their date.
    #[test]
    fn ended_models_are_not_offered() {
        let c = Catalogue::builtin();
        let after = choices(&c, "gpt-image-2", "2026-12-07");
        for gone in ["gpt-image-1.5", "gpt-image-1-mini", "gpt-image-1"] {
            assert!(!ids(&after).contains(&gone), "{gone} offered: {after:?}");
        }
        assert_eq!(after[0].id, "gpt-image-2");
        assert_eq!(after[0].label, "GPT Image 2");
        let before = choices(&c, "gpt-image-2", "2026-11-15");
        let mini = before.iter().find(|m| m.id == "gpt-image-1.5").unwrap();
        assert!(mini.label.ends_with("(ends 2026-12-01)"), "{mini:?}");
        assert!(!ids(&before).contains(&"gpt-image-1"), "retired");
    }

    /// A series that uses an ended model still sees it selected (labelled ended) and is told
    /// which model replaces it; one ending soon is warned with the days left.
    #[test]
    fn a_series_on_an_ended_model_is_told_what_replaces_it() {
        let c = Catalogue::builtin();
        let list = choices(&c, "gpt-image-1.5", "2026-12-07");
        let own = list.iter().find(|m| m.id == "gpt-image-1.5").unwrap();
        assert!(own.label.ends_with("(ended)"));
        assert!(!ids(&list).contains(&"gpt-image-1-mini"));
        let note = lifecycle_note(&c, "gpt-image-1.5", "2026-12-07").unwrap();
        assert!(note.contains("was shut down on 2026-12-01"), "{note}");
        assert!(note.contains("GPT Image 2 replaces it"), "{note}");
        let soon = lifecycle_note(&c, "gpt-image-1.5", "2026-11-21").unwrap();
        assert!(soon.contains("ends in 10 days (2026-12-01)"), "{soon}");
        assert!(
            lifecycle_note(&c, "gpt-image-1.5", "2026-10-01").is_none(),
            "61 days out"
        );
        assert!(lifecycle_note(&c, "gpt-image-2", "2026-12-07").is_none());
    }

    #[test]
    fn dates_of_known_times() {
        assert_eq!(date_of_ms(0.0), "1970-01-01");
        assert_eq!(date_of_ms(1_796_601_600_000.0), "2026-12-07");
        assert_eq!(date_of_ms(951_782_400_000.0), "2000-02-29");
        assert_eq!(date_of_ms(-1.0), "1969-12-31");
    }

    proptest! {
        /// date_of_ms is the inverse of the catalogue's day_number for every day ±1,000 years.
        #[test]
        fn a_date_reads_back_as_its_day(day in -365_000i64..365_000, ms_in_day in 0u32..86_400_000) {
            let date = date_of_ms(day as f64 * 86_400_000.0 + f64::from(ms_in_day));
            prop_assert_eq!(day_number(&date), Some(day));
        }
    }
}
