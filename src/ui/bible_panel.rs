//! The series bible editor: style, palette, world, typography, always/never rules, and the
//! characters / products / props with their reference images (file picker, drag and drop,
//! paste; order matters, identity first).

use super::fields::{project_field, TextField};
use super::thumb::Thumb;
use crate::platform::random_u64;
use crate::references::{add_references, files_of, files_of_transfer, remove_reference};
use crate::state::AppState;
use continuity_core::model::bible::{lines, normalize_hex, Entity, EntityKind, Swatch};
use continuity_core::model::{make_id, Anchor, Project};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Palette as text: `#1F6FEB teal, #FF6600 coral`.
fn palette_text(p: &Project) -> String {
    p.bible
        .palette
        .iter()
        .map(|s| {
            if s.name.is_empty() {
                s.hex.clone()
            } else {
                format!("{} {}", s.hex, s.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses palette text; entries that are not colours are kept out (and reported by the UI).
pub fn parse_palette(text: &str) -> (Vec<Swatch>, Vec<String>) {
    let mut swatches = Vec::new();
    let mut bad = Vec::new();
    for part in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (hex, name) = part.split_once(' ').unwrap_or((part, ""));
        match normalize_hex(hex) {
            Some(hex) => swatches.push(Swatch {
                hex,
                name: name.trim().to_string(),
            }),
            None => bad.push(part.to_string()),
        }
    }
    (swatches, bad)
}

/// The bible editor for one series.
#[component]
pub fn BiblePanel(
    /// The series.
    project_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let pid = project_id.clone();
    let field = move |get: fn(&Project) -> String, set: fn(&mut Project, String)| {
        project_field(state, pid.clone(), get, set)
    };
    let (medium, set_medium) = field(
        |p| p.bible.style.medium.clone(),
        |p, v| p.bible.style.medium = v,
    );
    let (rendering, set_rendering) = field(
        |p| p.bible.style.rendering.clone(),
        |p, v| p.bible.style.rendering = v,
    );
    let (lens, set_lens) = field(
        |p| p.bible.style.lens.clone(),
        |p, v| p.bible.style.lens = v,
    );
    let (lighting, set_lighting) = field(
        |p| p.bible.style.lighting.clone(),
        |p, v| p.bible.style.lighting = v,
    );
    let (setting, set_setting) = field(|p| p.bible.setting.clone(), |p, v| p.bible.setting = v);
    let (typography, set_typography) = field(
        |p| p.bible.typography.clone(),
        |p, v| p.bible.typography = v,
    );
    let (always, set_always) = field(
        |p| p.bible.always.join("\n"),
        |p, v| p.bible.always = lines(&v),
    );
    let (never, set_never) = field(
        |p| p.bible.never.join("\n"),
        |p, v| p.bible.never = lines(&v),
    );
    // The palette is edited as text and parsed on change; what does not parse is shown.
    let palette_draft = RwSignal::new(
        state
            .project(&project_id)
            .map(|p| palette_text(&p))
            .unwrap_or_default(),
    );
    let palette_bad = Memo::new(move |_| parse_palette(&palette_draft.get()).1);
    let set_palette = {
        let pid = project_id.clone();
        Callback::new(move |text: String| {
            palette_draft.set(text.clone());
            let (swatches, _) = parse_palette(&text);
            state.update_project(&pid, |p| p.bible.palette = swatches);
        })
    };
    let swatches = {
        let pid = project_id.clone();
        move || {
            state.project(&pid).map(|p| p.bible.palette).unwrap_or_default().into_iter().map(|s| {
                view! { <span class="swatch" style:background=s.hex.clone() title=s.hex.clone() aria-label=format!("{} {}", s.hex, s.name)></span> }
            }).collect_view()
        }
    };
    let entity_ids = {
        let pid = project_id.clone();
        Memo::new(move |_| {
            state.projects.with(|ps| {
                ps.iter()
                    .find(|p| p.id == pid)
                    .map(|p| {
                        p.bible
                            .entities
                            .iter()
                            .map(|e| e.id.clone())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        })
    };
    let add_entity = {
        let pid = project_id.clone();
        move |kind: EntityKind| {
            let id = make_id("e", random_u64());
            state.update_project(&pid, |p| {
                let n = p.bible.entities.iter().filter(|e| e.kind == kind).count() + 1;
                p.bible.entities.push(Entity {
                    id: id.clone(),
                    kind,
                    name: format!("{} {n}", kind.label()),
                    description: String::new(),
                    must_not_change: Vec::new(),
                    references: Vec::new(),
                });
                // New entities appear in every frame; frames can opt out in their shot spec.
                for f in &mut p.frames {
                    f.shot.entities.push(id.clone());
                }
            });
        }
    };
    let add = move |kind: EntityKind| {
        let add_entity = add_entity.clone();
        move |_| add_entity(kind)
    };
    view! {
        <details class="card bible" data-testid="bible">
            <summary><h2>"Series bible"</h2><span class="muted small">" Compiled into every frame’s prompt"</span></summary>
            <div class="bible-grid">
                <TextField label="Medium" value=medium on_change=set_medium placeholder="Flat vector illustration" testid="bible-medium"/>
                <TextField label="Rendering" value=rendering on_change=set_rendering placeholder="Clean lines, soft paper grain"/>
                <TextField label="Lens / camera" value=lens on_change=set_lens placeholder="50 mm, eye level"/>
                <TextField label="Lighting" value=lighting on_change=set_lighting placeholder="Soft morning light"/>
                <label class="field">
                    <span>"Palette " <small class="muted">"hex codes with optional names, comma-separated"</small></span>
                    <input type="text" data-testid="bible-palette" placeholder="#1F6FEB teal, #FF6600 coral"
                        prop:value=move || palette_draft.get() on:change=move |ev| set_palette.run(event_target_value(&ev))/>
                    <span class="swatches">{swatches}</span>
                    {move || {
                        let bad = palette_bad.get();
                        (!bad.is_empty()).then(|| view! { <span class="frame-error" role="alert">"Not a colour: " {bad.join(", ")}</span> })
                    }}
                </label>
                <TextField label="Setting / world" value=setting on_change=set_setting rows=2/>
                <TextField label="Typography" value=typography on_change=set_typography rows=2 hint="for text drawn in images"/>
                <TextField label="Always" value=always on_change=set_always rows=3 hint="one rule per line" testid="bible-always"/>
                <TextField label="Never" value=never on_change=set_never rows=3 hint="one rule per line" testid="bible-never"/>
            </div>
            <h3>"Characters, products and props"</h3>
            <div class="entities">
                <For each=move || entity_ids.get() key=|id| id.clone() let:eid>
                    <EntityEditor project_id=project_id.clone() entity_id=eid/>
                </For>
            </div>
            <div class="row">
                <button class="btn small" on:click=add(EntityKind::Character) data-testid="add-character">"+ Character"</button>
                <button class="btn small" on:click=add(EntityKind::Product)>"+ Product"</button>
                <button class="btn small" on:click=add(EntityKind::Prop)>"+ Prop"</button>
            </div>
        </details>
    }
}

/// One entity: name, kind, description, must-not-change list and reference images.
#[component]
fn EntityEditor(project_id: String, entity_id: String) -> impl IntoView {
    let state = AppState::get();
    let entity = {
        let (pid, eid) = (project_id.clone(), entity_id.clone());
        Memo::new(move |_| {
            state.projects.with(|ps| {
                ps.iter()
                    .find(|p| p.id == pid)
                    .and_then(|p| p.bible.entity(&eid).cloned())
            })
        })
    };
    let bind = |get: fn(&Entity) -> String, set: fn(&mut Entity, String)| {
        let (pid, eid) = (project_id.clone(), entity_id.clone());
        let value = Signal::derive(move || entity.get().map(|e| get(&e)).unwrap_or_default());
        let on_change = Callback::new(move |text: String| {
            state.update_project(&pid, |p| {
                if let Some(e) = p.bible.entity_mut(&eid) {
                    set(e, text);
                }
            });
        });
        (value, on_change)
    };
    let (name, set_name) = bind(|e| e.name.clone(), |e, v| e.name = v);
    let (description, set_description) = bind(|e| e.description.clone(), |e, v| e.description = v);
    let (keep, set_keep) = bind(
        |e| e.must_not_change.join("\n"),
        |e, v| e.must_not_change = lines(&v),
    );
    let upload = {
        let (pid, eid) = (project_id.clone(), entity_id.clone());
        move |files: Vec<web_sys::File>| {
            let (pid, eid) = (pid.clone(), eid.clone());
            if !files.is_empty() {
                spawn_local(async move { add_references(state, &pid, &eid, files).await });
            }
        }
    };
    let on_pick = {
        let upload = upload.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            upload(files_of(input.files()));
            input.set_value("");
        }
    };
    let on_drop = {
        let upload = upload.clone();
        move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            upload(files_of_transfer(ev.data_transfer()));
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let files = files_of_transfer(ev.clipboard_data());
        if !files.is_empty() {
            ev.prevent_default();
            upload(files);
        }
    };
    let remove = {
        let (pid, eid) = (project_id.clone(), entity_id.clone());
        move |_| {
            state.update_project(&pid, |p| {
                p.bible.entities.retain(|e| e.id != eid);
                for f in &mut p.frames {
                    f.shot.entities.retain(|e| e != &eid);
                }
                if matches!(&p.anchor, Some(Anchor::Reference { entity_id, .. }) if *entity_id == eid) {
                    p.anchor = None;
                }
            });
        }
    };
    let refs = {
        let (pid, eid) = (project_id.clone(), entity_id.clone());
        move || {
            let list = entity.get().map(|e| e.references).unwrap_or_default();
            let count = list.len();
            list.into_iter().enumerate().map(|(i, r)| {
                let (pid1, eid1) = (pid.clone(), eid.clone());
                let (pid2, eid2) = (pid.clone(), eid.clone());
                let (pid3, eid3, rid3) = (pid.clone(), eid.clone(), r.id.clone());
                let (pid4, eid4, rid4) = (pid.clone(), eid.clone(), r.id.clone());
                let key = r.id.clone();
                view! {
                    <li class="ref" data-testid="reference">
                        <div class="ref-image"><Thumb take_id=Signal::derive(move || Some(key.clone())) alt=format!("{} ({}×{})", r.name, r.width, r.height)/></div>
                        <span class="small">{format!("{}. {}", i + 1, if i == 0 { "identity" } else { "reference" })}</span>
                        <div class="row-actions">
                            <button class="btn ghost small" disabled=i == 0 aria-label="Move earlier" on:click=move |_| {
                                state.update_project(&pid1, |p| if let Some(e) = p.bible.entity_mut(&eid1) { e.references.swap(i, i - 1) });
                            }>"←"</button>
                            <button class="btn ghost small" disabled=i + 1 == count aria-label="Move later" on:click=move |_| {
                                state.update_project(&pid2, |p| if let Some(e) = p.bible.entity_mut(&eid2) { e.references.swap(i, i + 1) });
                            }>"→"</button>
                            <button class="btn ghost small" data-testid="use-as-anchor" on:click=move |_| {
                                state.update_project(&pid3, |p| p.anchor = Some(Anchor::Reference { entity_id: eid3.clone(), image_id: rid3.clone() }));
                            }>"Anchor"</button>
                            <button class="btn ghost small danger" aria-label="Remove reference" on:click=move |_| remove_reference(state, &pid4, &eid4, &rid4)>"✕"</button>
                        </div>
                    </li>
                }
            }).collect_view()
        }
    };
    let kind = move || entity.get().map(|e| e.kind.label()).unwrap_or("");
    let input_id = format!("refs-{entity_id}");
    view! {
        <div class="entity card" data-testid="entity" on:paste=on_paste on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <div class="row">
                <span class="badge-inline">{kind}</span>
                <div class="grow"><TextField label="Name" value=name on_change=set_name testid="entity-name"/></div>
                <button class="btn ghost small danger" on:click=remove>"Remove"</button>
            </div>
            <TextField label="Canonical description" value=description on_change=set_description rows=2 hint="sent verbatim in every frame it appears in" testid="entity-description"/>
            <TextField label="Must not change" value=keep on_change=set_keep rows=2 hint="one feature per line"/>
            <ul class="refs">{refs}</ul>
            <label class="btn small file-btn" for=input_id.clone()>"Add reference images"</label>
            <input id=input_id class="sr-only" type="file" multiple accept="image/png,image/jpeg,image/webp" data-testid="reference-input" on:change=on_pick/>
            <span class="muted small">" or drop / paste images here"</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palettes_parse_with_names_and_report_errors() {
        let (ok, bad) = parse_palette("#1f6feb teal, f60 coral, not-a-colour, #FFFFFF");
        assert_eq!(ok.len(), 3);
        assert_eq!(
            ok[0],
            Swatch {
                hex: "#1F6FEB".into(),
                name: "teal".into()
            }
        );
        assert_eq!(ok[1].hex, "#FF6600");
        assert_eq!(bad, vec!["not-a-colour"]);
    }
}
