//! A reviewed plan becomes a series: its frames (title, what happens as the prompt, shot size,
//! camera angle, composition, on-image text rows, the entities present) and its bible (style,
//! palette, entities). Pure: nothing is sent; the usual plan generates the images later.

use super::planner::Plan;
use crate::model::bible::{Entity, EntityKind, Swatch};
use crate::model::shot::OnImageText;
use crate::model::template::{Template, MAX_CUSTOM_FRAMES};
use crate::model::{make_id, Series};

/// The series a reviewed `plan` makes: a custom template of its frame count (at most
/// [`MAX_CUSTOM_FRAMES`] frames are kept), frames in the plan's order, entities named in a
/// frame linked by name (case-insensitive; an unknown name is dropped).
pub fn series_from_plan(
    name: &str,
    plan: &Plan,
    model: &str,
    now_ms: f64,
    mut ids: impl FnMut() -> u64,
) -> Series {
    let count = plan.frames.len().clamp(1, MAX_CUSTOM_FRAMES);
    let mut series = Series::from_template(
        name,
        Template::Custom { frames: count },
        model,
        now_ms,
        &mut ids,
    );
    let bible = &mut series.bible;
    let suggested = &plan.bible;
    bible.style.medium = suggested.style.medium.clone();
    bible.style.rendering = suggested.style.rendering.clone();
    bible.style.lens = suggested.style.lens.clone();
    bible.style.lighting = suggested.style.lighting.clone();
    bible.palette = suggested
        .palette
        .iter()
        .map(|hex| Swatch {
            hex: hex.clone(),
            name: String::new(),
        })
        .collect();
    bible.entities = suggested
        .entities
        .iter()
        .map(|e| Entity {
            id: make_id("e", ids()),
            kind: entity_kind(&e.kind),
            name: e.name.clone(),
            description: e.description.clone(),
            must_not_change: e.must_not_change.clone(),
            references: Vec::new(),
        })
        .collect();
    let entities = series.bible.entities.clone();
    for (frame, planned) in series.frames.iter_mut().zip(&plan.frames) {
        frame.title = planned.title.clone();
        frame.prompt = planned.what_happens.clone();
        frame.shot.shot_size = planned.shot_size.clone();
        frame.shot.camera_angle = planned.camera_angle.clone();
        frame.shot.composition = planned.composition.clone();
        frame.shot.texts = planned
            .texts
            .iter()
            .map(|row| OnImageText {
                text: row.text.clone(),
                language: row.language.clone(),
                ..OnImageText::default()
            })
            .collect();
        frame.shot.entities = planned
            .entities
            .iter()
            .filter_map(|name| {
                entities
                    .iter()
                    .find(|e| e.name.to_lowercase() == name.to_lowercase())
                    .map(|e| e.id.clone())
            })
            .collect();
    }
    series
}

/// The entity kind a suggestion names (`character`, `product`, `prop`; anything else a prop).
fn entity_kind(kind: &str) -> EntityKind {
    match kind {
        "character" => EntityKind::Character,
        "product" => EntityKind::Product,
        _ => EntityKind::Prop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brief::planner::{
        BibleSuggestion, EntitySuggestion, PlannedFrame, StyleSuggestion, TextRow,
    };

    fn frame(title: &str, entities: &[&str]) -> PlannedFrame {
        PlannedFrame {
            title: title.into(),
            what_happens: format!("{title} happens"),
            shot_size: "wide".into(),
            camera_angle: "eye level".into(),
            composition: "centered".into(),
            texts: vec![TextRow {
                text: "限时 5 折".into(),
                language: "zh".into(),
            }],
            entities: entities.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_plan_makes_its_frames_and_bible() {
        let plan = Plan {
            frames: vec![frame("Dawn", &["Mira"]), frame("Noon", &["nobody"])],
            bible: BibleSuggestion {
                style: StyleSuggestion {
                    medium: "ink".into(),
                    ..Default::default()
                },
                palette: vec!["#112233".into()],
                entities: vec![EntitySuggestion {
                    name: "Mira".into(),
                    kind: "character".into(),
                    description: "a girl".into(),
                    must_not_change: vec!["red scarf".into()],
                }],
            },
        };
        let mut n = 0;
        let series = series_from_plan("Story", &plan, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        assert_eq!(series.name, "Story");
        let titles: Vec<_> = series.frames.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["Dawn", "Noon"]);
        assert_eq!(series.frames[0].prompt, "Dawn happens");
        assert_eq!(series.frames[0].shot.texts[0].text, "限时 5 折");
        let mira = &series.bible.entities[0];
        assert_eq!(mira.kind, EntityKind::Character);
        assert_eq!(
            series.frames[0].shot.entities,
            std::slice::from_ref(&mira.id)
        );
        assert!(series.frames[1].shot.entities.is_empty());
        assert_eq!(series.bible.palette[0].hex, "#112233");
        assert_eq!(series.bible.style.medium, "ink");
        assert_eq!(series.spent_usd(), 0.0);
    }
}
