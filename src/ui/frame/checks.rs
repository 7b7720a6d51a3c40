//! The card's "Checks 9 / 10" line: how the shown image's check against what its frame asked
//! came out ("Check every result"); a failed check call says so, never "passed".

use continuity_core::model::Version;
use leptos::prelude::*;

/// What the card says of a version's check (`None`: not checked).
pub fn checks_label(version: &Version) -> Option<(String, bool)> {
    let check = version.check.as_ref()?;
    Some(match check.score() {
        Some((passed, all)) => (format!("Checks {passed} / {all}"), passed == all),
        None => ("Check failed".to_string(), false),
    })
}

/// The shown version's checks, when it has been checked.
#[component]
pub fn ChecksBadge(
    /// The version the card shows.
    active: Memo<Option<Version>>,
) -> impl IntoView {
    let label = Memo::new(move |_| active.with(|v| v.as_ref().and_then(checks_label)));
    move || {
        label.get().map(|(text, passed)| {
            view! {
                <span class="small frame-checks" data-testid="frame-checks"
                    data-passed=passed.to_string() class:muted=passed class:warn=!passed>{text}</span>
            }
        })
    }
}
