//! The fake's `POST /v1/responses` (issue 22): the app core's planner, describe and check
//! requests answered and read back by the core's own validators; the real endpoint's refusals
//! of non-strict schemas and bad input items in OpenAI's envelope; the `[[typo]]` read-back of
//! an image the fake drew; faults, including an answer that breaks the schema.

use base64::Engine as _;
use continuity_core::brief::check::{self, Constraint};
use continuity_core::brief::describe::{self, ImageSource};
use continuity_core::brief::planner::{self, TextRow};
use continuity_core::openai::responses::{AnswerError, ResponsesAnswer, ResponsesRequest};
use continuity_core::text_models::{call_cost_usd, TextCatalogue};
use serde_json::{json, Value};

use crate::common::{self, expect_error, json, Server};

const MODEL: &str = "gpt-5-mini";

async fn send(
    server: &Server,
    request: &ResponsesRequest,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let body: Value = serde_json::from_str(&request.to_json()).expect("json");
    server.post_json("/v1/responses", &body, headers).await
}

/// The answer's JSON text, or why there is none.
async fn answer(resp: reqwest::Response) -> ResponsesAnswer {
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    ResponsesAnswer::parse(&text).expect("a Responses object")
}

const BRIEF: &str = "A fox wakes up in the forest. It finds a paper lantern! The lantern \
    glows when the fox smiles. Night falls over the river. The fox carries the lantern home. \
    A sign on the door reads \"OPEN\".\n狐狸在门口挂起灯笼，上面写着“限时 5 折”。";

#[tokio::test]
async fn six_english_sentences_and_one_chinese_plan_the_right_frames() {
    let server = common::fake().await;
    let request = planner::request(MODEL, BRIEF, 7).expect("request");
    let a = answer(send(&server, &request, &[]).await).await;
    assert_eq!(a.status, "completed");
    let plan = planner::parse(a.text().expect("text"), 7).expect("a valid plan");
    let titles: Vec<&str> = plan.frames.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "A fox wakes up in the forest",
            "It finds a paper lantern",
            "The lantern glows when the fox smiles",
            "Night falls over the river",
            "The fox carries the lantern home",
            "A sign on the door reads \"OPEN\"",
            "狐狸在门口挂起灯笼，上面写着“限时 5 折”",
        ]
    );
    assert_eq!(
        plan.frames[5].texts,
        [TextRow {
            text: "OPEN".into(),
            language: "en".into()
        }]
    );
    assert_eq!(
        plan.frames[6].texts,
        [TextRow {
            text: "限时 5 折".into(),
            language: "zh-Hans".into()
        }]
    );
    assert_eq!(plan.bible.palette.len(), 3);
    // Usage is reported and priced at the catalogue's text rates.
    let usage = a.usage.clone().expect("usage");
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0);
    let mini = TextCatalogue::builtin();
    assert!(call_cost_usd(mini.get(MODEL).unwrap(), &usage) > 0.0);

    // Up to the asked count: six frames are the first six sentences.
    let six = planner::request(MODEL, BRIEF, 6).unwrap();
    let plan6 = planner::parse(
        answer(send(&server, &six, &[]).await).await.text().unwrap(),
        6,
    )
    .unwrap();
    assert_eq!(plan6.frames.len(), 6);
    assert_eq!(plan6.frames[5].title, titles[5]);

    // The journal shows the strict json_schema the request carried.
    let entry = server
        .journal()
        .await
        .into_iter()
        .find(|e| e["endpoint"] == "responses")
        .expect("journalled");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["params"]["text"]["format"]["type"], "json_schema");
    assert_eq!(entry["params"]["text"]["format"]["strict"], true);
    assert_eq!(
        entry["params"]["text"]["format"]["name"],
        planner::SCHEMA_NAME
    );
}

fn strict_body(schema: Value) -> Value {
    json!({
        "model": MODEL,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "text": {"format": {"type": "json_schema", "name": "t", "schema": schema, "strict": true}},
    })
}

#[tokio::test]
async fn strict_rule_violations_and_bad_inputs_are_refused_in_openais_envelope() {
    let server = common::fake().await;
    let post = |body: Value| {
        let server = &server;
        async move { server.post_json("/v1/responses", &body, &[]).await }
    };
    let loose = strict_body(
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
    );
    let err = expect_error(post(loose).await, 400).await;
    assert_eq!(err["code"], "invalid_json_schema");
    assert_eq!(err["param"], "text.format.schema");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("'additionalProperties' is required to be supplied and to be false"));

    let optional = strict_body(json!({"type": "object", "additionalProperties": false,
        "properties": {"frames": {"type": "array", "items": {"type": "object", "additionalProperties": false,
            "properties": {"title": {"type": "string"}, "x": {"type": "string"}}, "required": ["x"]}}},
        "required": ["frames"]}));
    let err = expect_error(post(optional).await, 400).await;
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("Missing 'title'"), "{message}");
    assert!(
        message.contains("'properties', 'frames', 'items'"),
        "{message}"
    );

    let mut unknown_model = strict_body(planner::schema());
    unknown_model["model"] = json!("gpt-9-turbo");
    assert_eq!(
        expect_error(post(unknown_model).await, 404).await["code"],
        "model_not_found"
    );
    let mut image_model = strict_body(planner::schema());
    image_model["model"] = json!("gpt-image-2");
    assert_eq!(
        expect_error(post(image_model).await, 400).await["param"],
        "model"
    );

    let with_part = |part: Value| {
        let mut body = strict_body(planner::schema());
        body["input"][0]["content"] = json!([{"type": "input_text", "text": "x"}, part]);
        body
    };
    let err = expect_error(
        post(with_part(
            json!({"type": "input_image", "image_url": "https://example.com/a.png"}),
        ))
        .await,
        400,
    )
    .await;
    assert_eq!(err["param"], "input[0].content[1].image_url");
    let err = expect_error(
        post(with_part(
            json!({"type": "input_image", "image_url": "data:image/png;base64,bm90IGFuIGltYWdl"}),
        ))
        .await,
        400,
    )
    .await;
    assert_eq!(err["code"], "invalid_image_format");
    let err = expect_error(post(with_part(json!({"type": "input_audio"}))).await, 400).await;
    assert_eq!(err["param"], "input[0].content[1].type");
    let ok = post(with_part(
        json!({"type": "input_image", "file_id": "file-abc", "detail": "low"}),
    ))
    .await;
    assert_eq!(ok.status(), 200, "a file id is accepted");

    let mut extra = strict_body(planner::schema());
    extra["temperature_boost"] = json!(1);
    assert_eq!(
        expect_error(post(extra).await, 400).await["code"],
        "unknown_parameter"
    );
    let mut no_input = strict_body(planner::schema());
    no_input.as_object_mut().unwrap().remove("input");
    assert_eq!(
        expect_error(post(no_input).await, 400).await["code"],
        "missing_required_parameter"
    );
}

/// Generates an image from `prompt` and returns its bytes.
async fn generated(server: &Server, prompt: &str) -> Vec<u8> {
    let resp = server
        .generate(json!({"model": "gpt-image-2", "prompt": prompt, "size": "1024x1024", "quality": "low"}))
        .await;
    assert_eq!(resp.status(), 200);
    common::b64decode(&json(resp).await["data"][0]["b64_json"])
}

fn data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

#[tokio::test]
async fn a_check_reads_the_text_back_with_a_typo_when_the_prompt_carried_one() {
    let server = common::fake().await;
    let texts = vec![
        TextRow {
            text: "限时 5 折".into(),
            language: "zh-Hans".into(),
        },
        TextRow {
            text: "SALE".into(),
            language: "en".into(),
        },
    ];
    let constraints = vec![
        Constraint {
            id: "c1".into(),
            kind: "text".into(),
            text: "The text 限时 5 折 appears exactly.".into(),
        },
        Constraint {
            id: "c2".into(),
            kind: "must_not_change".into(),
            text: "red coat".into(),
        },
    ];
    let with_typo = generated(&server, "A poster reading 限时 5 折 [[typo]]").await;
    let clean = generated(&server, "A poster reading 限时 5 折").await;

    let request = check::request(MODEL, &data_url(&with_typo), &texts, &constraints).unwrap();
    let a = answer(send(&server, &request, &[]).await).await;
    let report = check::parse(a.text().unwrap(), &texts, &constraints).expect("a valid check");
    let misses = report.text_misses(&texts);
    assert_eq!(misses.len(), 1, "only the first row differs");
    assert_eq!(misses[0].asked, "限时 5 折");
    let changed = misses[0]
        .asked
        .chars()
        .zip(misses[0].reads.chars())
        .filter(|(x, y)| x != y)
        .count();
    assert_eq!(changed, 1, "one character changed: {}", misses[0].message());
    assert!(misses[0]
        .message()
        .starts_with("Text differs: asked 限时 5 折, reads "));
    assert!(!report.constraints[0].met && report.constraints[1].met);
    assert_eq!(report.score(&texts), (2, 4));

    let request = check::request(MODEL, &data_url(&clean), &texts, &constraints).unwrap();
    let report = check::parse(
        answer(send(&server, &request, &[]).await)
            .await
            .text()
            .unwrap(),
        &texts,
        &constraints,
    )
    .unwrap();
    assert_eq!(report.texts, ["限时 5 折", "SALE"], "read back verbatim");
    assert_eq!(report.score(&texts), (4, 4));
}

#[tokio::test]
async fn describe_proposes_the_images_dominant_colours() {
    let server = common::fake().await;
    let solid = |rgb: [u8; 3]| {
        common::png(&image::RgbaImage::from_pixel(
            64,
            48,
            image::Rgba([rgb[0], rgb[1], rgb[2], 255]),
        ))
    };
    let images = [
        ImageSource::DataUrl(data_url(&solid([0xd9, 0x48, 0x2b]))),
        ImageSource::DataUrl(data_url(&solid([0x1f, 0x6f, 0xb2]))),
    ];
    let names = vec!["Mira".to_string()];
    let request = describe::request(MODEL, &images, &names).unwrap();
    let a = answer(send(&server, &request, &[]).await).await;
    let d = describe::parse(a.text().unwrap(), &names).expect("a valid description");
    assert_eq!(d.palette, ["#d9482b", "#1f6fb2"]);
    assert_eq!(d.entities[0].name, "Mira");
    assert!(d.entities[0].description.contains("#d9482b"));
    // The journal keeps the images' hashes, not their data.
    let entry = server.journal().await.pop().unwrap();
    assert_eq!(entry["images"].as_array().unwrap().len(), 2);
    assert!(
        entry["params"]["input"][0]["content"][2]["image_url"]
            .as_str()
            .unwrap()
            .len()
            < 80
    );
}

#[tokio::test]
async fn faults_answer_as_for_images_and_a_broken_answer_is_refused_by_the_client() {
    let server = common::fake().await;
    let broken = planner::request(MODEL, "A fox. [[fault:schema_break]]", 3).unwrap();
    let a = answer(send(&server, &broken, &[]).await).await;
    let err = planner::parse(a.text().unwrap(), 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("The model's plan was not usable: frames[0]"),
        "{err}"
    );
    assert_eq!(
        server.journal().await.pop().unwrap()["fault"],
        "schema_break"
    );

    let request = planner::request(MODEL, "A fox.", 3).unwrap();
    let refused = answer(send(&server, &request, &[("x-fake-fault", "refusal")]).await).await;
    assert!(matches!(refused.text(), Err(AnswerError::Refused(_))));

    let limited = send(
        &server,
        &request,
        &[("x-fake-fault", "rate_limit:1,retry_after=2")],
    )
    .await;
    assert_eq!(limited.headers()["retry-after"], "2");
    assert_eq!(
        expect_error(limited, 429).await["code"],
        "rate_limit_exceeded"
    );
    assert_eq!(
        send(
            &server,
            &request,
            &[("x-fake-fault", "rate_limit:1,retry_after=2")]
        )
        .await
        .status(),
        200,
        "only the first attempt"
    );

    let cut = send(&server, &request, &[("x-fake-fault", "truncated_json")]).await;
    assert_eq!(cut.status(), 200);
    assert!(ResponsesAnswer::parse(&cut.text().await.unwrap()).is_err());

    // An answer longer than max_output_tokens is cut and marked incomplete.
    let mut short = request.clone();
    short.max_output_tokens = 16;
    let a = answer(send(&server, &short, &[]).await).await;
    assert_eq!(a.status, "incomplete");
    assert_eq!(a.incomplete_reason.as_deref(), Some("max_output_tokens"));
    assert!(a.text().unwrap_err().to_string().contains("output limit"));
}

/// Whatever the brief, the fake's plan is one the app's validator accepts, with at most the
/// asked frames: bullets, numbered lists, run-on text, many quotes, other scripts.
#[tokio::test]
async fn every_brief_gives_a_plan_the_app_accepts() {
    let server = common::fake().await;
    let run_on = "and then the fox walks on ".repeat(200);
    let quotes = (0..20)
        .map(|i| format!("\"sign {i}\" "))
        .collect::<String>();
    let briefs = [
        "- Open on the harbour\n- The ship leaves\n* Gulls\n• Night\n1. Dawn\n2) The end",
        run_on.as_str(),
        quotes.as_str(),
        "مرحبا بالعالم. القارب يغادر الميناء! Привет, мир? नमस्ते।",
        "No end mark at all",
        "v1.2 ships today... Really?! Yes.",
    ];
    for brief in briefs {
        for frames in [1, 4, 12] {
            let request = planner::request(MODEL, brief, frames).unwrap();
            let a = answer(send(&server, &request, &[]).await).await;
            let plan = planner::parse(a.text().unwrap(), frames)
                .unwrap_or_else(|e| panic!("{brief:?} / {frames}: {e}"));
            assert!(!plan.frames.is_empty() && plan.frames.len() <= frames);
        }
    }
}
