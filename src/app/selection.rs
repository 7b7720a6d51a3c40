//! The frames chosen on the board for "Edit selected": UI state of one open series (not
//! stored, not shared with other tabs), gone when the series screen closes. A click on a
//! frame's checkbox toggles it; Shift-click sets every frame from the last one clicked to this
//! one as this one now is; "Select all" chooses every frame the board shows.

use continuity_core::bulk_edit::range;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// The chosen frames and the last frame clicked (the start of a Shift-click range).
#[derive(Clone, Copy)]
pub struct Selection {
    /// Ids of the chosen frames.
    pub chosen: RwSignal<BTreeSet<String>>,
    last: StoredValue<Option<String>>,
}

impl Selection {
    /// A new, empty selection, provided to the series screen's views.
    pub fn provide() -> Self {
        let selection = Selection {
            chosen: RwSignal::new(BTreeSet::new()),
            last: StoredValue::new(None),
        };
        provide_context(selection);
        selection
    }

    /// The series screen's selection, if there is one.
    pub fn get() -> Option<Self> {
        use_context::<Selection>()
    }

    /// Whether frame `id` is chosen.
    pub fn has(&self, id: &str) -> bool {
        self.chosen.with(|c| c.contains(id))
    }

    /// A click on frame `id`'s checkbox, now `checked`; with `shift`, the frames between the
    /// last one clicked and this one (in `order`, the board's) all become `checked` too.
    pub fn click(&self, id: &str, checked: bool, shift: bool, order: &[String]) {
        let from = self.last.get_value().filter(|_| shift);
        let ids = match from {
            Some(from) => range(order, &from, id),
            None => vec![id.to_string()],
        };
        self.chosen.update(|c| {
            for id in ids {
                if checked {
                    c.insert(id);
                } else {
                    c.remove(&id);
                }
            }
        });
        self.last.set_value(Some(id.to_string()));
    }

    /// Chooses exactly `ids`.
    pub fn set_all(&self, ids: impl IntoIterator<Item = String>) {
        self.chosen.set(ids.into_iter().collect());
    }

    /// Chooses nothing.
    pub fn clear(&self) {
        self.chosen.set(BTreeSet::new());
        self.last.set_value(None);
    }

    /// The chosen frames that still exist, in `order`.
    pub fn in_order(&self, order: &[String]) -> Vec<String> {
        self.chosen
            .with(|c| order.iter().filter(|id| c.contains(*id)).cloned().collect())
    }
}
