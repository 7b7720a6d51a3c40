//! A frame's shot spec: framing, lighting, mood, on-image text, constraints and which bible
//! entities appear.

use super::fields::TextField;
use crate::state::AppState;
use continuity_core::model::bible::lines;
use continuity_core::model::shot::{OnImageText, ShotSpec};
use leptos::prelude::*;

/// The shot editor of one frame.
#[component]
pub fn ShotEditor(
    /// The series.
    project_id: String,
    /// The frame.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let shot = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        Memo::new(move |_| {
            state.projects.with(|ps| {
                ps.iter()
                    .find(|p| p.id == pid)
                    .and_then(|p| p.frame(&fid))
                    .map(|f| f.shot.clone())
            })
        })
    };
    let bind = |get: fn(&ShotSpec) -> String, set: fn(&mut ShotSpec, String)| {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        let value = Signal::derive(move || shot.get().map(|s| get(&s)).unwrap_or_default());
        let on_change = Callback::new(move |text: String| {
            state.update_project(&pid, |p| {
                if let Some(f) = p.frame_mut(&fid) {
                    set(&mut f.shot, text);
                }
            });
        });
        (value, on_change)
    };
    let (shot_size, set_shot_size) = bind(|s| s.shot_size.clone(), |s, v| s.shot_size = v);
    let (angle, set_angle) = bind(|s| s.camera_angle.clone(), |s, v| s.camera_angle = v);
    let (setting, set_setting) = bind(|s| s.setting.clone(), |s, v| s.setting = v);
    let (lighting, set_lighting) = bind(|s| s.lighting.clone(), |s, v| s.lighting = v);
    let (mood, set_mood) = bind(|s| s.mood.clone(), |s, v| s.mood = v);
    let (composition, set_composition) = bind(|s| s.composition.clone(), |s, v| s.composition = v);
    let (constraints, set_constraints) = bind(
        |s| s.constraints.join("\n"),
        |s, v| s.constraints = lines(&v),
    );
    // On-image text: one line per text, `text | language | placement`.
    let (texts, set_texts) = bind(
        |s| {
            s.texts
                .iter()
                .map(|t| format!("{} | {} | {}", t.text, t.language, t.placement))
                .collect::<Vec<_>>()
                .join("\n")
        },
        |s, v| s.texts = parse_texts(&v),
    );
    let entities = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move || {
            let Some(project) = state.project(&pid) else {
                return Vec::new();
            };
            let chosen = project
                .frame(&fid)
                .map(|f| f.shot.entities.clone())
                .unwrap_or_default();
            project
                .bible
                .entities
                .iter()
                .map(|e| {
                    let (pid, fid, eid) = (pid.clone(), fid.clone(), e.id.clone());
                    let checked = chosen.contains(&e.id);
                    let toggle = move |_| {
                        state.update_project(&pid, |p| {
                            if let Some(f) = p.frame_mut(&fid) {
                                if f.shot.entities.contains(&eid) {
                                    f.shot.entities.retain(|x| x != &eid);
                                } else {
                                    f.shot.entities.push(eid.clone());
                                }
                            }
                        });
                    };
                    view! { <label class="check"><input type="checkbox" prop:checked=checked on:change=toggle/>{e.name.clone()}</label> }
                })
                .collect::<Vec<_>>()
        }
    };
    view! {
        <div class="shot-grid">
            <TextField label="Shot size" value=shot_size on_change=set_shot_size placeholder="wide / medium / close-up"/>
            <TextField label="Camera angle" value=angle on_change=set_angle placeholder="eye level"/>
            <TextField label="Setting" value=setting on_change=set_setting/>
            <TextField label="Lighting" value=lighting on_change=set_lighting/>
            <TextField label="Mood" value=mood on_change=set_mood/>
            <TextField label="Composition" value=composition on_change=set_composition rows=2/>
            <TextField label="Text in the image" value=texts on_change=set_texts rows=2 hint="one per line: text | language | placement" testid="shot-texts"/>
            <TextField label="Constraints" value=constraints on_change=set_constraints rows=2 hint="one per line"/>
            <fieldset class="entity-picks"><legend>"Appears in this frame"</legend>{entities}</fieldset>
        </div>
    }
}

/// Parses `text | language | placement` lines. The text itself is kept verbatim (only the
/// separators' surrounding spaces go), so any script survives.
pub fn parse_texts(input: &str) -> Vec<OnImageText> {
    input
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, '|');
            let text = parts.next().unwrap_or("").trim().to_string();
            let language = parts.next().unwrap_or("").trim().to_string();
            let placement = parts.next().unwrap_or("").trim().to_string();
            OnImageText {
                text,
                language,
                placement,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_image_texts_parse_in_any_script() {
        let t = parse_texts(
            "春季新品 | Chinese | top third\nتخفيضات الربيع | Arabic |\n\"Quoted\" text",
        );
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].text, "春季新品");
        assert_eq!(t[0].placement, "top third");
        assert_eq!(t[1].text, "تخفيضات الربيع");
        assert_eq!(t[1].language, "Arabic");
        assert_eq!(t[2].text, "\"Quoted\" text");
        assert_eq!(t[2].language, "");
    }
}
