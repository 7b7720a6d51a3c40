//! Compiler tests: unit tests of each rule, and golden files (one per template) that pin the
//! exact wording. Regenerate the golden files after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --lib compiler`, then read the diff.

use super::*;
use crate::model::bible::{Bible, Entity, EntityKind, RefImage, Style, Swatch};
use crate::model::shot::OnImageText;
use crate::model::template::Template;
use crate::model::{make_id, Version};

fn counter() -> impl FnMut() -> u64 {
    let mut n = 0;
    move || {
        n += 1;
        n
    }
}

fn series(template: Template) -> Series {
    Series::from_template("Launch", template, "gpt-image-2", 0.0, counter())
}

fn image(id: &str) -> RefImage {
    RefImage {
        id: id.into(),
        name: format!("{id}.png"),
        mime: "image/png".into(),
        width: 1024,
        height: 1024,
    }
}

fn entity(id: &str, kind: EntityKind, name: &str, refs: &[&str]) -> Entity {
    Entity {
        id: id.into(),
        kind,
        name: name.into(),
        description: String::new(),
        must_not_change: Vec::new(),
        references: refs.iter().map(|r| image(r)).collect(),
    }
}

/// A version whose image hash is its id (so expected keys read like the version ids).
fn take(id: &str) -> Version {
    let mut v = Version::sample(id, "", None);
    v.image.hash = id.into();
    v
}

fn text(text: &str, language: &str, placement: &str) -> OnImageText {
    OnImageText {
        text: text.into(),
        language: language.into(),
        placement: placement.into(),
        translations: Default::default(),
    }
}

/// A series whose frame 0 is the approved anchor with one image.
fn anchored(template: Template) -> Series {
    let mut p = series(template);
    let anchor = p.frames[0].id.clone();
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("t_anchor")],
    ))
    .unwrap();
    p.set_anchor_frame(Some(&anchor));
    assert!(p.approve_anchor());
    p
}

/// A series whose frames have no shot specs (new series get the template's).
fn bare(template: Template) -> Series {
    let mut p = series(template);
    for f in &mut p.frames {
        f.shot = Default::default();
    }
    p
}

fn keys(c: &CompiledFrame) -> Vec<&str> {
    c.references.iter().map(|r| r.key.as_str()).collect()
}

// ---------------------------------------------------------------- the series style

#[test]
fn with_only_an_overall_look_the_prompt_starts_with_it() {
    let mut p = bare(Template::Carousel);
    p.bible.style.look = "  Flat vector, teal and coral, soft grain.  ".into();
    p.frames[2].prompt = "A fox courier waves from a tram stop.".into();
    let c = compile(&p, 2);
    assert_eq!(
        c.prompt,
        "Flat vector, teal and coral, soft grain.\n\nSlide 3 of 9 in a 9-slide carousel, 4:5 — “Slide 3 · Body”.\n\nACTION\nA fox courier waves from a tram stop."
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.references.is_empty() && c.checklist.is_empty() && !c.uses_anchor);
    for i in 0..9 {
        assert!(compile(&p, i)
            .prompt
            .starts_with("Flat vector, teal and coral, soft grain.\n\n"));
    }
}

#[test]
fn with_template_shot_specs_the_action_still_ends_a_plain_frame() {
    // The end-to-end journey checks that the prompt starts with the style and ends with the
    // frame's own words when only the series style and the template's shot specs are set.
    let mut p = series(Template::Carousel);
    for i in 0..9 {
        p.frames[i].shot = Template::Carousel.shot_spec(i);
    }
    p.bible.style.look = "Flat vector illustration, teal and coral palette".into();
    p.frames[0].prompt = "A fox courier in a yellow raincoat waves from a tram stop".into();
    let c = compile(&p, 0);
    assert!(c
        .prompt
        .starts_with("Flat vector illustration, teal and coral palette\n\n"));
    assert!(c
        .prompt
        .ends_with("\n\nACTION\nA fox courier in a yellow raincoat waves from a tram stop"));
    assert!(c
        .prompt
        .contains("leave the top third empty for the headline"));
}

#[test]
fn bible_style_becomes_a_style_section_with_the_overall_look_first() {
    let mut p = series(Template::Comic);
    p.bible.style = Style {
        look: "Warm, friendly".into(),
        medium: "Ink and wash".into(),
        lens: "Lens: 12345".into(),
        ..Style::default()
    };
    let c = compile(&p, 0);
    assert!(c.prompt.starts_with(
        "STYLE\nOverall style: Warm, friendly\nMedium: Ink and wash\nLens: Lens: 12345\n\nPanel 1 of 4 in a 4-panel comic, 4:5"
    ));
}

#[test]
fn an_empty_frame_still_has_a_prompt_and_a_warning() {
    let p = bare(Template::Carousel);
    let c = compile(&p, 0);
    assert_eq!(
        c.prompt,
        "Slide 1 of 9 in a 9-slide carousel, 4:5 — “Slide 1 · Hook”."
    );
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("no action text"));
}

// ---------------------------------------------------------------- the checklist

#[test]
fn twelve_frame_constraints_become_a_checklist_of_twelve_numbered_in_order() {
    let mut p = series(Template::Storyboard);
    p.frames[4].prompt = "The clue.".into();
    let constraints: Vec<String> = (1..=12).map(|i| format!("constraint number {i}")).collect();
    p.frames[4].shot.constraints = constraints.clone();
    let c = compile(&p, 4);
    assert_eq!(c.checklist, constraints);
    let mut expected = String::from("CONSTRAINTS\nThe image must satisfy every item:");
    for (i, item) in constraints.iter().enumerate() {
        expected.push_str(&format!("\n{}. {item}", i + 1));
    }
    assert!(c.prompt.ends_with(&expected), "{}", c.prompt);
}

#[test]
fn the_checklist_gathers_always_never_must_not_change_constraints_and_texts() {
    let mut p = series(Template::Comic);
    p.bible.always = vec!["Always A".into(), "  ".into()];
    p.bible.never = vec!["watermarks".into()];
    let mut mira = entity("e1", EntityKind::Character, "Mira", &["r1"]);
    mira.must_not_change = vec!["red scarf".into(), "round glasses".into()];
    p.bible.entities = vec![mira, entity("e2", EntityKind::Prop, "Tram", &["r2"])];
    p.frames[1].shot.entities = vec!["e2".into(), "e1".into()];
    p.frames[1].shot.constraints = vec!["Frame rule".into()];
    p.frames[1].shot.texts = vec![text("BANG", "", "top left")];
    p.frames[1].prompt = "Boom.".into();
    let c = compile(&p, 1);
    assert_eq!(
        c.checklist,
        vec![
            "Always A",
            "Never: watermarks",
            "Mira: red scarf must stay identical",
            "Mira: round glasses must stay identical",
            "Frame rule",
            "Text \"BANG\" appears exactly once, spelled exactly",
        ]
    );
    assert!(c
        .prompt
        .contains("\n6. Text \"BANG\" appears exactly once, spelled exactly"));
    assert!(c
        .prompt
        .contains("Must not change: red scarf; round glasses."));
}

// ---------------------------------------------------------------- limits

#[test]
fn seventeen_reference_images_are_all_kept_with_a_warning() {
    let mut p = anchored(Template::ProductSet);
    let refs: Vec<String> = (1..=16).map(|i| format!("r{i}")).collect();
    let ref_strs: Vec<&str> = refs.iter().map(String::as_str).collect();
    p.bible.entities = vec![entity("e1", EntityKind::Product, "Lamp", &ref_strs)];
    p.frames[2].shot.entities = vec!["e1".into()];
    p.frames[2].prompt = "In use.".into();
    let c = compile(&p, 2);
    assert_eq!(c.references.len(), 17, "nothing is dropped");
    assert_eq!(c.references[16].key, "r16");
    let w = c
        .warnings
        .iter()
        .find(|w| w.contains("17 reference images"))
        .expect("a warning");
    assert!(w.contains("at most 16"));
    assert!(
        w.contains("image 17 (Lamp (product), reference 16 of 16)"),
        "{w}"
    );
    assert!(c
        .prompt
        .contains("Image 17: Lamp (product), reference 16 of 16."));
    // Exactly 16 is fine.
    p.bible.entities[0].references.pop();
    assert!(compile(&p, 2).warnings.is_empty());
}

#[test]
fn over_long_prompts_are_flagged_not_cut() {
    let mut p = series(Template::Carousel);
    p.frames[0].prompt = "a".repeat(MAX_PROMPT_CHARS);
    let c = compile(&p, 0);
    assert!(
        c.prompt.ends_with(&"a".repeat(MAX_PROMPT_CHARS)),
        "nothing is dropped"
    );
    let count = c.prompt.chars().count();
    assert!(count > MAX_PROMPT_CHARS);
    assert!(c
        .warnings
        .iter()
        .any(|w| w.contains(&count.to_string()) && w.contains("32000")));
    // Characters, not bytes: 10,000 Han characters are 30,000 bytes but well within the limit.
    p.frames[0].prompt = "字".repeat(10_000);
    assert!(compile(&p, 0).warnings.is_empty());
}

// ---------------------------------------------------------------- the anchor and references

#[test]
fn the_anchor_frame_gets_no_anchor_reference() {
    let mut p = anchored(Template::Storyboard);
    p.frames[0].prompt = "Harbour at dawn.".into();
    let c = compile(&p, 0);
    assert!(!c.uses_anchor);
    assert!(c.references.is_empty());
    assert!(!c.prompt.contains("anchor"));
}

#[test]
fn a_dependent_frame_sends_the_anchor_as_image_1() {
    let mut p = anchored(Template::Storyboard);
    p.frames[3].prompt = "They argue.".into();
    let c = compile(&p, 3);
    assert!(c.uses_anchor);
    assert_eq!(
        c.references,
        vec![Reference {
            key: "t_anchor".into(),
            label: "Anchor: Panel 1 · Act I".into(),
            role: ReferenceRole::Anchor,
        }]
    );
    assert!(c.prompt.contains("REFERENCE IMAGES\nImage 1: the approved series anchor (Panel 1 · Act I). Keep its art style, colour palette, lighting and the identity of every character and product"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // A new, unapproved anchor image is still image 1, with a warning.
    let anchor = p.frames[0].id.clone();
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("t_new")],
    ))
    .unwrap();
    let c = compile(&p, 3);
    assert_eq!(c.references[0].key, "t_new");
    assert!(c
        .prompt
        .contains("Image 1: the series anchor (Panel 1 · Act I)"));
    assert!(c.warnings.iter().any(|w| w.contains("not approved")));
}

#[test]
fn an_anchor_frame_without_an_image_adds_no_reference() {
    let mut p = series(Template::Comic);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    p.frames[1].prompt = "x".into();
    let c = compile(&p, 1);
    assert!(!c.uses_anchor && c.references.is_empty());
}

#[test]
fn entity_references_follow_the_frame_order_then_the_stored_order() {
    let mut p = anchored(Template::Comic);
    p.bible.entities = vec![
        entity("e1", EntityKind::Character, "Mira", &["m1", "m2", "m3"]),
        entity("e2", EntityKind::Product, "Lamp", &["l1"]),
        entity("e3", EntityKind::Prop, "Tram", &["x1", "x2"]),
    ];
    // Frame order, not bible order; e3 is not in the frame.
    p.frames[2].shot.entities = vec!["e2".into(), "e1".into()];
    p.frames[2].prompt = "x".into();
    let c = compile(&p, 2);
    assert_eq!(keys(&c), vec!["t_anchor", "l1", "m1", "m2", "m3"]);
    assert_eq!(c.references[3].label, "Mira (character), reference 2 of 3");
    assert_eq!(
        c.references[1].role,
        ReferenceRole::Entity {
            entity_id: "e2".into()
        }
    );
    assert!(c.prompt.contains("CHARACTERS\nMira (images 3, 4 and 5)."));
    assert!(c.prompt.contains("PRODUCTS\nLamp (image 2)."));
    assert!(!c.prompt.contains("Tram"));
    // Frames that list no entities include none.
    p.frames[3].prompt = "x".into();
    assert_eq!(keys(&compile(&p, 3)), vec!["t_anchor"]);
}

#[test]
fn a_reference_anchor_is_sent_once_as_image_1() {
    let mut p = series(Template::CharacterSheet);
    p.bible.entities = vec![entity("e1", EntityKind::Character, "Mira", &["m1", "m2"])];
    p.anchor = Some(Anchor::Reference {
        entity_id: "e1".into(),
        image_id: "m1".into(),
    });
    p.frames[1].shot.entities = vec!["e1".into()];
    p.frames[1].prompt = "x".into();
    let c = compile(&p, 1);
    assert_eq!(keys(&c), vec!["m1", "m2"]);
    assert!(c.uses_anchor);
    assert_eq!(
        c.references[0].label,
        "Anchor: Mira (character), reference 1 of 2"
    );
    assert!(c.prompt.contains("Mira (images 1 and 2)."));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // No frame is the anchor frame, so frame 0 gets it too.
    p.frames[0].prompt = "x".into();
    assert_eq!(keys(&compile(&p, 0)), vec!["m1"]);
}

// ---------------------------------------------------------------- warnings

#[test]
fn unknown_entity_ids_are_warned_about_not_fatal() {
    let mut p = series(Template::Comic);
    p.bible.entities = vec![entity("e1", EntityKind::Character, "Mira", &["m1"])];
    p.frames[0].shot.entities = vec!["gone".into(), "e1".into(), "e1".into()];
    p.frames[0].prompt = "x".into();
    let c = compile(&p, 0);
    assert_eq!(keys(&c), vec!["m1"]);
    assert!(c.warnings.iter().any(|w| w.contains("“gone”")));
    assert!(c.warnings.iter().any(|w| w.contains("listed twice")));
}

#[test]
fn missing_references_and_placements_are_warned_about() {
    let mut p = series(Template::Comic);
    p.bible.entities = vec![entity("e1", EntityKind::Character, "Mira", &[])];
    p.frames[0].shot.entities = vec!["e1".into()];
    p.frames[0].shot.texts = vec![text("Hi", "", ""), text("", "", "top")];
    p.frames[0].prompt = "x".into();
    let c = compile(&p, 0);
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("Mira has no reference images"));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.contains("\"Hi\" has no placement")));
    assert!(c.warnings.iter().any(|w| w.contains("empty")));
    assert!(c
        .prompt
        .contains("TEXT IN IMAGE\n- \"Hi\" — Latin script\n"));
}

// ---------------------------------------------------------------- on-image text

#[test]
fn scripts_are_named_from_their_characters() {
    let cases = [
        ("春季新品", "Chinese (Han script)"),
        ("ひらがな", "Japanese (kana and kanji)"),
        ("カタカナ", "Japanese (kana and kanji)"),
        ("東京へようこそ", "Japanese (kana and kanji)"),
        ("봄 세일", "Korean (Hangul script)"),
        ("تخفيضات الربيع", "Arabic script, right-to-left"),
        ("מבצע אביב", "Hebrew script, right-to-left"),
        ("वसंत सेल", "Devanagari script (Hindi)"),
        ("Весенняя распродажа", "Cyrillic script"),
        ("Ανοιξιάτικες εκπτώσεις", "Greek script"),
        ("ลดราคา", "Thai script"),
        ("Spring sale", "Latin script"),
        ("Crème brûlée", "Latin script"),
        ("SALE 春季新品", "Chinese (Han script)"),
        ("50% OFF — تخفيضات", "Arabic script, right-to-left"),
    ];
    for (text, name) in cases {
        assert_eq!(script_name(text), Some(name), "{text}");
    }
    assert_eq!(script_name("2026 — 50%!"), None);
    assert_eq!(script_name(""), None);
    assert_eq!(script_name("3×4"), None);
}

#[test]
fn on_image_text_is_sent_verbatim_with_quotes_and_rtl_intact() {
    let mut p = series(Template::Carousel);
    let quoted = "Say \"hello\" — it's  free";
    let arabic = "«عرض» خاص: ٥٠٪";
    p.frames[0].shot.texts = vec![
        text(quoted, "", "top third, centred"),
        text(arabic, "Arabic", "bottom band"),
        text(
            "春季新品",
            "Chinese (Simplified Han script)",
            "top third, centred",
        ),
        text(" padded ", "", "left"),
    ];
    p.frames[0].prompt = "x".into();
    let c = compile(&p, 0);
    // A text containing straight quotes is quoted with curly ones; nothing inside changes.
    assert!(c
        .prompt
        .contains("- “Say \"hello\" — it's  free” — Latin script — top third, centred\n"));
    assert!(c
        .prompt
        .contains("- \"«عرض» خاص: ٥٠٪\" — Arabic — bottom band\n"));
    assert!(c
        .prompt
        .contains("- \"春季新品\" — Chinese (Simplified Han script) — top third, centred\n"));
    assert!(c.prompt.contains("- \" padded \" — Latin script — left\n"));
    assert!(c.prompt.contains("No other text may appear."));
    assert!(c.checklist.contains(
        &"Text “Say \"hello\" — it's  free” appears exactly once, spelled exactly".to_string()
    ));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.contains("\" padded \" starts or ends with a space")));
    assert_eq!(quote("a “b” \"c\""), "«a “b” \"c\"»");
    assert_eq!(
        quote("\"“«「"),
        "\"\"“«「\"",
        "falls back to straight quotes"
    );
}

#[test]
fn typography_is_sent_only_with_on_image_text() {
    let mut p = series(Template::Carousel);
    p.bible.typography = "Rounded sans-serif".into();
    p.frames[0].prompt = "x".into();
    assert!(!compile(&p, 0).prompt.contains("TYPOGRAPHY"));
    p.frames[0].shot.texts = vec![text("Hi", "", "top")];
    assert!(compile(&p, 0)
        .prompt
        .contains("\n\nTYPOGRAPHY\nRounded sans-serif"));
}

// ---------------------------------------------------------------- determinism and helpers

#[test]
fn compiling_is_deterministic() {
    for template in Template::PRESETS {
        let p = fixture(template);
        for i in 0..p.frames.len() {
            assert_eq!(compile(&p, i), compile(&p, i));
            assert_eq!(compile(&p, i), compile(&p.clone(), i));
        }
    }
}

#[test]
fn aspect_ratios_are_reduced_or_given_in_pixels() {
    assert_eq!(aspect(1536, 864), "16:9");
    assert_eq!(aspect(1024, 1280), "4:5");
    assert_eq!(aspect(1024, 1024), "1:1");
    assert_eq!(aspect(1008, 1024), "1008×1024 px");
    assert_eq!(image_list(&[2]), "image 2");
    assert_eq!(image_list(&[2, 3, 4]), "images 2, 3 and 4");
}

#[test]
fn custom_series_are_positioned_as_frames() {
    let mut p = series(Template::Custom { frames: 3 });
    p.frames[1].prompt = "x".into();
    assert!(compile(&p, 1)
        .prompt
        .starts_with("Frame 2 of 3 in a 3-frame series, 1:1 — “Frame 2”."));
}

// ---------------------------------------------------------------- golden files

/// The golden fixture: a full bible (style, palette, setting, typography, always, never), a
/// character with two reference images and two must-not-change items, a product with one
/// reference image, the template's shot specs, frame 0 as the approved anchor with one take,
/// Chinese text on frame 0 and Arabic text (language left to detection) on the last frame.
fn fixture(template: Template) -> Series {
    let mut ids = counter();
    let mut p = Series::from_template("Golden", template, "gpt-image-2", 0.0, &mut ids);
    for (i, frame) in p.frames.iter_mut().enumerate() {
        frame.shot = template.shot_spec(i);
    }
    let mira_id = make_id("e", ids());
    let lamp_id = make_id("e", ids());
    p.bible = Bible {
        style: Style {
            look: "Warm, optimistic picture-book look for a lamp brand".into(),
            medium: "Flat vector illustration".into(),
            rendering: "Clean 2 px outlines, soft paper grain".into(),
            lens: "35 mm equivalent, deep focus".into(),
            lighting: "Soft morning light from the left".into(),
        },
        palette: vec![
            Swatch {
                hex: "#0F766E".into(),
                name: "teal".into(),
            },
            Swatch {
                hex: "#F97360".into(),
                name: "coral".into(),
            },
            Swatch {
                hex: "#FFF7ED".into(),
                name: String::new(),
            },
        ],
        setting: "A rain-washed harbour town with tiled roofs and a tram line along the quay."
            .into(),
        typography: "Headlines in a rounded geometric sans-serif, sentence case, cream on teal."
            .into(),
        always: vec![
            "Uncluttered background behind the subject".into(),
            "Same outline weight in every frame".into(),
        ],
        never: vec![
            "Photorealistic rendering".into(),
            "Watermarks or signatures".into(),
        ],
        entities: vec![
            Entity {
                id: mira_id.clone(),
                kind: EntityKind::Character,
                name: "Mira".into(),
                description: "A fox courier in her twenties: russet fur, amber eyes, slim build, yellow raincoat over a grey hoodie.".into(),
                must_not_change: vec!["red scarf".into(), "round brass glasses".into()],
                references: vec![image(&make_id("r", ids())), image(&make_id("r", ids()))],
            },
            Entity {
                id: lamp_id.clone(),
                kind: EntityKind::Product,
                name: "Lumen lamp".into(),
                description: "A palm-sized cylindrical reading lamp in matte teal aluminium with a warm white LED ring and an engraved \"LUMEN\" logo on the base.".into(),
                must_not_change: Vec::new(),
                references: vec![image(&make_id("r", ids()))],
            },
        ],
    };
    let anchor = p.frames[0].id.clone();
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take(&make_id("t", ids()))],
    ))
    .unwrap();
    p.set_anchor_frame(Some(&anchor));
    assert!(p.approve_anchor());

    let first = &mut p.frames[0];
    first.prompt = "Mira holds up the Lumen lamp and smiles at the viewer.".into();
    first.shot.entities = vec![mira_id.clone(), lamp_id.clone()];
    first.shot.texts = vec![text(
        "春季新品",
        "Chinese (Simplified Han script)",
        "top third, centred",
    )];
    let last = p.frames.last_mut().unwrap();
    last.prompt = "Mira switches the Lumen lamp on; its warm light fills the scene.".into();
    last.shot.entities = vec![mira_id, lamp_id];
    last.shot
        .constraints
        .push("Mira holds the lamp in her right hand".into());
    last.shot.texts = vec![text("تخفيضات الربيع", "", "bottom band, right-aligned")];
    p
}

/// The golden text for one template: the anchor frame and the last frame (a dependent).
fn golden_text(template: Template) -> String {
    let p = fixture(template);
    let mut out = format!(
        "# compiler::compile, golden output for the {} template.\n\
         # Fixture: src/compiler/tests.rs, fixture(). Frame 1 is the approved anchor; the last\n\
         # frame depends on it. Regenerate after an intended change with\n\
         # UPDATE_GOLDEN=1 cargo test --lib compiler, then review the diff.\n",
        template.label()
    );
    for index in [0, p.frames.len() - 1] {
        let c = compile(&p, index);
        let frame = &p.frames[index];
        out.push_str(&format!(
            "\n======== frame {} of {}: {}{} ========\n",
            index + 1,
            p.frames.len(),
            frame.title,
            if index == 0 {
                " (the anchor frame)"
            } else {
                ""
            }
        ));
        out.push_str("\n-------- references (image[] order) --------\n");
        if c.references.is_empty() {
            out.push_str("(none)\n");
        }
        for (i, r) in c.references.iter().enumerate() {
            out.push_str(&format!("{}. {} — {}\n", i + 1, r.key, r.label));
        }
        out.push_str("\n-------- warnings --------\n");
        if c.warnings.is_empty() {
            out.push_str("(none)\n");
        }
        for w in &c.warnings {
            out.push_str(&format!("- {w}\n"));
        }
        out.push_str(&format!(
            "\n-------- prompt ({} characters) --------\n{}\n",
            c.prompt.chars().count(),
            c.prompt
        ));
    }
    out
}

/// Compares with `src/compiler/golden/<key>.txt`, or writes it when `UPDATE_GOLDEN=1`.
fn check_golden(template: Template) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/compiler/golden")
        .join(format!("{}.txt", template.key()));
    let actual = golden_text(template);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, &actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; create it with UPDATE_GOLDEN=1 cargo test --lib compiler",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the compiler's output at line {}:\n  golden: {:?}\n  now:    {:?}\nIf the change is intended: UPDATE_GOLDEN=1 cargo test --lib compiler, then review the diff.",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end of file>"),
            actual.lines().nth(line).unwrap_or("<end of output>")
        );
    }
}

#[test]
fn golden_carousel() {
    check_golden(Template::Carousel);
}

#[test]
fn golden_storyboard() {
    check_golden(Template::Storyboard);
}

#[test]
fn golden_character_sheet() {
    check_golden(Template::CharacterSheet);
}

#[test]
fn golden_product_set() {
    check_golden(Template::ProductSet);
}

#[test]
fn golden_comic() {
    check_golden(Template::Comic);
}

// ---------------------------------------------------------------- directed edits

/// An edit of frame 3: image 1 is the version being edited (not the anchor), then the frame's
/// entity references; the instruction leads and says to keep everything else.
#[test]
fn an_edit_starts_from_its_version_and_keeps_everything_else() {
    let mut p = anchored(Template::Storyboard);
    let mira = Entity {
        id: "e_m".into(),
        kind: EntityKind::Character,
        name: "Mira".into(),
        description: "red scarf".into(),
        must_not_change: vec![],
        references: vec![image("m1"), image("m2")],
    };
    p.bible.entities.push(mira);
    p.frames[3].shot.entities = vec!["e_m".into()];
    let spec = EditSpec {
        base_key: "v_base".into(),
        base_label: "Panel 4, version 2".into(),
        instruction: "Change only the jacket to red.".into(),
        masked: true,
        marked: false,
        replaces_text: false,
    };
    let c = compile_edit(&p, 3, &spec);
    assert_eq!(
        keys(&c),
        vec!["v_base", "m1", "m2"],
        "no anchor: the edit starts from its version"
    );
    assert!(!c.uses_anchor);
    assert!(c.prompt.starts_with("EDIT IMAGE 1\nChange only the jacket to red.\nChange only the transparent area of the mask."), "{}", c.prompt);
    assert!(c.prompt.contains("and any text."));
    assert!(c
        .prompt
        .contains("Image 1: the image to edit (Panel 4, version 2)."));
    assert!(c
        .prompt
        .contains("Image 2: Mira (character), reference 1 of 2."));
    // A plain generation of the same frame still starts from the anchor.
    assert_eq!(keys(&compile(&p, 3))[0], "t_anchor");
}
