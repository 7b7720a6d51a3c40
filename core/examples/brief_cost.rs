//! Prints what planning a series from a brief costs at the catalogue's text rates: the worst
//! case the budget reserves (exact, by the app's rule) and an expected figure (an estimate:
//! a token per four bytes of input, and a full answer of the representative size below with
//! as many reasoning tokens again).
//!
//! `cargo run -p continuity-core --example brief_cost`

use continuity_core::brief::planner;
use continuity_core::model::template::Template;
use continuity_core::openai::responses::{CachedTokens, ResponsesUsage};
use continuity_core::text_models::{call_cost_usd, worst_case_usd, TextCallSize, TextCatalogue};

/// A representative frame of an answer (the planner's fields, typical lengths).
const FRAME: &str = r#"{"title":"The fox finds the lantern","what_happens":"At dusk the young fox noses through wet ferns and uncovers a paper lantern glowing faintly amber; its reflection trembles in a puddle.","shot_size":"medium","camera_angle":"low angle","composition":"rule of thirds, lantern on the right third","texts":[{"text":"限时 5 折","language":"zh-Hans"}],"entities":["Fox","Lantern"]},"#;

fn main() {
    let catalogue = TextCatalogue::builtin();
    let brief = "A young fox finds a paper lantern in the forest at dusk. ".repeat(20);
    let request =
        planner::request_for_template("m", &brief, Template::Storyboard).expect("a valid request");
    let size = TextCallSize::of(&request);
    let answer_bytes = FRAME.len() * 12 + 900;
    println!(
        "12-frame storyboard plan, brief of {} characters: request {} bytes (without images), \
         max_output_tokens {}",
        brief.chars().count(),
        size.text_bytes,
        request.max_output_tokens
    );
    for model in &catalogue.text_models {
        let output = (answer_bytes as u64).div_ceil(4) * 2;
        let usage = ResponsesUsage {
            input_tokens: (size.text_bytes as u64).div_ceil(4),
            output_tokens: output,
            total_tokens: 0,
            input_tokens_details: Some(CachedTokens { cached_tokens: 0 }),
        };
        println!(
            "{:<12} worst case ${:.4}   expected ≈ ${:.4} ({} in + {} out tokens){}",
            model.id,
            worst_case_usd(model, &size),
            call_cost_usd(model, &usage),
            usage.input_tokens,
            usage.output_tokens,
            if model.pricing.confirmed {
                ""
            } else {
                "   [prices unconfirmed]"
            }
        );
    }
}
