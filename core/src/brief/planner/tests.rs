//! The three schemas, their requests and the validation of the model's answers.

use serde_json::{json, Value};

use super::super::check::{self, Constraint};
use super::super::describe::{self, ImageSource};
use super::super::{is_strict, planner};
use super::*;

fn answer_plan(frames: usize) -> Value {
    let frame = |i: usize| {
        json!({"title": format!("Frame {i}"), "what_happens": "She opens the door.",
               "shot_size": "wide", "camera_angle": "eye level", "composition": "centred",
               "texts": [{"text": "限时 5 折", "language": "zh-Hans"}], "entities": ["Mira"]})
    };
    json!({
        "frames": (1..=frames).map(frame).collect::<Vec<_>>(),
        "bible": {"style": {"medium": "gouache", "rendering": "flat", "lens": "35 mm", "lighting": "dusk"},
                  "palette": ["#112233", "#ABC"],
                  "entities": [{"name": "Mira", "kind": "character", "description": "A girl in a red coat.",
                                "must_not_change": ["red coat", "short black hair"]}]}
    })
}

#[test]
fn every_schema_is_strict() {
    for (name, schema) in [
        (planner::SCHEMA_NAME, planner::schema()),
        (describe::SCHEMA_NAME, describe::schema()),
        (check::SCHEMA_NAME, check::schema()),
    ] {
        assert_eq!(is_strict(&schema), Ok(()), "{name}");
        assert!(name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}

#[test]
fn the_planner_request_keeps_the_brief_and_asks_for_a_strict_schema() {
    let brief = "A fox finds a lantern.\n灯笼在夜里发光。";
    let r = planner::request("gpt-5-mini", brief, 6).unwrap();
    let body: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(body["model"], "gpt-5-mini");
    assert_eq!(body["text"]["format"]["name"], planner::SCHEMA_NAME);
    assert_eq!(body["text"]["format"]["strict"], true);
    let data: Value =
        serde_json::from_str(body["input"][0]["content"][1]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"brief": brief, "frames": 6}),
        "the brief is sent as written"
    );
    assert!(body["input"][0]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("exactly 6 frames"));
    assert!(planner::request("m", "  ", 6)
        .unwrap_err()
        .contains("Write a brief"));
    assert!(planner::request("m", "x", 0).is_err());
    assert!(planner::request("m", "x", MAX_FRAMES + 1).is_err());
    let long = "あ".repeat(MAX_BRIEF_CHARS + 1);
    assert!(planner::request("m", &long, 3)
        .unwrap_err()
        .contains("characters"));
}

#[test]
fn a_template_gives_the_plan_its_frame_count_and_shot_specs() {
    use crate::model::template::Template;
    let template = Template::Storyboard;
    let r = planner::request_for_template("gpt-5-mini", "灯笼。", template).unwrap();
    let body: Value = serde_json::from_str(&r.to_json()).unwrap();
    let data: Value =
        serde_json::from_str(body["input"][0]["content"][1]["text"].as_str().unwrap()).unwrap();
    assert_eq!(data["brief"], "灯笼。");
    assert_eq!(data["frames"], 12);
    let shots = data["template"]["frames"].as_array().unwrap();
    assert_eq!(shots.len(), 12);
    assert_eq!(shots[0]["shot_size"], template.shot_spec(0).shot_size);
    assert!(r.max_output_tokens > planner::request("m", "x", 1).unwrap().max_output_tokens);
}

#[test]
fn a_valid_plan_is_read_and_normalised() {
    let plan = parse(&answer_plan(3).to_string(), 6).unwrap();
    assert_eq!(plan.frames.len(), 3);
    assert_eq!(plan.frames[0].title, "Frame 1");
    assert_eq!(plan.frames[0].texts[0].text, "限时 5 折");
    assert_eq!(plan.bible.palette, ["#112233", "#aabbcc"]);
    assert_eq!(plan.bible.entities[0].must_not_change.len(), 2);
}

#[test]
fn a_plan_that_breaks_the_schema_or_the_limits_says_what_is_wrong() {
    let bad = |mutate: &dyn Fn(&mut Value), asked: usize| -> String {
        let mut v = answer_plan(2);
        mutate(&mut v);
        parse(&v.to_string(), asked).unwrap_err().to_string()
    };
    assert_eq!(
        bad(&|_| {}, 1),
        "The model's plan was not usable: frames has 2 entries; at most 1 are accepted."
    );
    assert!(bad(&|v| v["frames"][1]["html"] = json!("<b>"), 6)
        .contains("frames[1].html is not a field of the schema"));
    let missing = bad(
        &|v| {
            v["frames"][0].as_object_mut().unwrap().remove("title");
        },
        6,
    );
    assert!(missing.contains("frames[0] has no `title`"), "{missing}");
    assert!(bad(&|v| v["frames"][0]["title"] = json!(" "), 6).contains("frames[0].title is empty"));
    assert!(
        bad(&|v| v["frames"][0]["title"] = json!("x".repeat(121)), 6).contains("121 characters")
    );
    assert!(bad(&|v| v["bible"]["palette"][0] = json!("red"), 6).contains("bible.palette[0]"));
    assert!(bad(&|v| v["bible"]["entities"][0]["kind"] = json!("villain"), 6).contains("kind"));
    assert!(bad(
        &|v| v["frames"][0]["texts"][0]["language"] = json!("<script>"),
        6
    )
    .contains("language tag"));
    assert!(bad(&|v| v["frames"] = json!([]), 6).contains("frames is empty"));
    let rows: Vec<Value> = (0..9)
        .map(|_| json!({"text": "a", "language": ""}))
        .collect();
    assert!(bad(&|v| v["frames"][0]["texts"] = json!(rows), 6).contains("9 entries"));
    assert!(bad(&|v| v["frames"][0]["title"] = json!(7), 6).contains("invalid type"));
    assert_eq!(
        parse("<html>oops</html>", 6).unwrap_err().to_string(),
        "The model's plan was not usable: is not JSON."
    );
    let cut = &answer_plan(2).to_string()[..40];
    assert!(parse(cut, 6).unwrap_err().to_string().contains("not JSON"));
}

#[test]
fn describe_requests_carry_the_images_and_answers_name_only_asked_entities() {
    let images = [
        ImageSource::DataUrl("data:image/png;base64,AAAA".into()),
        ImageSource::FileId("file-abc".into()),
    ];
    let names = vec!["Mira".to_string(), "Lantern".to_string()];
    let r = describe::request("gpt-5-mini", &images, &names).unwrap();
    let body: Value = serde_json::from_str(&r.to_json()).unwrap();
    let parts = body["input"][0]["content"].as_array().unwrap();
    assert_eq!(parts[2]["image_url"], "data:image/png;base64,AAAA");
    assert_eq!(parts[3]["file_id"], "file-abc");
    assert_eq!(body["text"]["format"]["name"], describe::SCHEMA_NAME);
    assert!(describe::request("m", &[], &names).is_err());
    assert!(describe::request("m", &vec![images[0].clone(); 11], &names).is_err());

    let answer = json!({"style": {"medium": "ink", "rendering": "", "lens": "", "lighting": ""},
        "palette": ["#FF0000", "#00ff00"],
        "entities": [{"name": "Mira", "description": "Red coat.", "must_not_change": ["coat"]}]});
    let d = describe::parse(&answer.to_string(), &names).unwrap();
    assert_eq!(d.palette, ["#ff0000", "#00ff00"]);
    let mut stranger = answer.clone();
    stranger["entities"][0]["name"] = json!("Bob");
    assert!(describe::parse(&stranger.to_string(), &names)
        .unwrap_err()
        .to_string()
        .contains("\"Bob\" was not asked for"));
    let mut twice = answer;
    twice["entities"] = json!([twice["entities"][0], twice["entities"][0]]);
    assert!(describe::parse(&twice.to_string(), &names)
        .unwrap_err()
        .to_string()
        .contains("twice"));
}

#[test]
fn checks_read_text_back_and_find_what_differs() {
    let texts = vec![
        TextRow {
            text: "限时 5 折".into(),
            language: "zh-Hans".into(),
        },
        TextRow {
            text: "Sale".into(),
            language: "en".into(),
        },
    ];
    let constraints = vec![
        Constraint {
            id: "c1".into(),
            kind: "text".into(),
            text: "Text: 限时 5 折".into(),
        },
        Constraint {
            id: "c2".into(),
            kind: "must_not_change".into(),
            text: "red coat".into(),
        },
    ];
    let r = check::request(
        "gpt-5-mini",
        "data:image/png;base64,AAAA",
        &texts,
        &constraints,
    )
    .unwrap();
    let body: Value = serde_json::from_str(&r.to_json()).unwrap();
    let data: Value =
        serde_json::from_str(body["input"][0]["content"][1]["text"].as_str().unwrap()).unwrap();
    assert_eq!(data["texts"][0]["text"], "限时 5 折");
    assert_eq!(data["constraints"][1]["kind"], "must_not_change");
    let bad_kind = Constraint {
        kind: "vibes".into(),
        ..constraints[0].clone()
    };
    assert!(check::request("m", "data:", &texts, &[bad_kind]).is_err());

    let answer = json!({"texts": ["限时 5 拆", " Sale "],
        "constraints": [{"id": "c1", "met": false, "reason": "One character differs."},
                        {"id": "c2", "met": true, "reason": "Coat is red."}]});
    let report = check::parse(&answer.to_string(), &texts, &constraints).unwrap();
    let misses = report.text_misses(&texts);
    assert_eq!(misses.len(), 1);
    assert_eq!(
        misses[0].message(),
        "Text differs: asked 限时 5 折, reads 限时 5 拆"
    );
    assert_eq!(report.score(&texts), (2, 4));

    let mut short = answer.clone();
    short["texts"] = json!(["限时 5 折"]);
    assert!(check::parse(&short.to_string(), &texts, &constraints)
        .unwrap_err()
        .to_string()
        .contains("1 entries for 2 asked rows"));
    let mut swapped = answer;
    swapped["constraints"] = json!([swapped["constraints"][1], swapped["constraints"][0]]);
    assert!(check::parse(&swapped.to_string(), &texts, &constraints)
        .unwrap_err()
        .to_string()
        .contains("constraints[0].id"));
}
