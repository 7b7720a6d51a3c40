//! One text call (`POST /v1/responses`, issue 22): the planner, "Describe from images" and the
//! result checks all go through [`send`]. Same endpoint, credential, client header and failure
//! words as the image requests of [`crate::app::client`]; the answer is untrusted and is read by
//! the core's validators before anyone sees it.

use crate::app::client::{body_kind, http_error, net_observation};
use crate::app::edit::{self, Edit};
use crate::app::state::AppState;
use crate::web::clock::{now_ms, random_u64};
use crate::web::http::{Body, Call, ResponseInfo};
use continuity_core::failure::{
    classify, decide_retry, user_message, BodyKind, IncompleteKind, Observation, RetryAfter,
    RetryDecision,
};
use continuity_core::model::action::SeriesEdit;
use continuity_core::model::ledger::TextSpend;
use continuity_core::model::Series;
use continuity_core::openai::responses::{ResponsesAnswer, ResponsesRequest, ResponsesUsage};
use continuity_core::settings::Endpoint;
use continuity_core::text_models::{call_cost_usd, TextModelInfo};
use leptos::prelude::*;
use reactive_stores::Store;
use std::fmt::Display;
use web_sys::AbortSignal;

/// A text call that answered and whose answer passed the validator.
#[derive(Debug, Clone, PartialEq)]
pub struct TextAnswer<T> {
    /// The validated value (a plan, a description, a check report).
    pub value: T,
    /// The answer's `usage`, when it reported one.
    pub usage: Option<ResponsesUsage>,
    /// What the call cost at the model's text rates (0 without `usage`).
    pub cost_usd: f64,
    /// `x-request-id` of the answer, for support.
    pub request_id: Option<String>,
}

/// A text call that did not give a usable value.
#[derive(Debug, Clone, PartialEq)]
pub struct TextFailure {
    /// What happened and what to do, in words (never the key).
    pub message: String,
    /// What the call cost anyway: an answer that arrived and was refused by the validator
    /// (or by the model) was still billed, from its `usage`.
    pub cost_usd: f64,
    /// Whether an attempt may have been billed without a known figure (a 500, a timeout).
    pub may_be_billed: bool,
}

/// Options of one text call.
#[derive(Default)]
pub struct TextOptions<'a> {
    /// Cancels the call and any wait before a retry.
    pub signal: Option<&'a AbortSignal>,
    /// Extra headers for tests (`x-fake-fault`); never credentials.
    pub extra_headers: Vec<(String, String)>,
}

/// Per-attempt timeout of a text call: a plan of many frames takes a while.
const TEXT_TIMEOUT_MS: u64 = 3 * 60 * 1000;

/// Sends `request` to the endpoint's `/responses` with its credential only in the
/// `Authorization` header, retries as the failure rules allow (rate limits, overload), then
/// reads the answer: a refusal, an incomplete or failed answer, or one that `parse` rejects
/// (schema break, limits) is a [`TextFailure`] with a clear message and the call's cost; a
/// value `parse` accepts comes back with its usage and cost at `model`'s text rates.
///
/// `parse` is the core validator of the call (`brief::planner::parse`, `describe::parse`,
/// `check::parse`, bound to what was asked), so every text call of the app shares this door.
pub async fn send<T, E: Display>(
    endpoint: &Endpoint,
    model: &TextModelInfo,
    request: &ResponsesRequest,
    options: &TextOptions<'_>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<TextAnswer<T>, TextFailure> {
    let mut retries = 0u32;
    let mut maybe_billed = false;
    loop {
        let (observation, api_message) = match attempt(endpoint, request, options).await {
            Ok((body, info)) => return read(model, &body, info, maybe_billed, parse),
            Err(failed) => failed,
        };
        let classification = classify(&observation);
        maybe_billed |= classification.may_be_billed;
        let message = user_message(&classification, &request.model, api_message.as_deref());
        let retry_after = match &observation {
            Observation::Http { retry_after, .. } => *retry_after,
            _ => RetryAfter { ms: None },
        };
        match decide_retry(
            &classification,
            &retry_after,
            retries,
            crate::web::clock::jitter(),
        ) {
            RetryDecision::RetryAfterMs(ms) => {
                retries += 1;
                if crate::web::clock::sleep(ms, options.signal).await.is_err() {
                    return Err(TextFailure {
                        message: "Cancelled.".into(),
                        cost_usd: 0.0,
                        may_be_billed: maybe_billed,
                    });
                }
            }
            RetryDecision::GiveUp(why) => {
                let message = match why.message() {
                    Some(extra) => format!("{message} {extra}"),
                    None => message,
                };
                return Err(TextFailure {
                    message,
                    cost_usd: 0.0,
                    may_be_billed: maybe_billed,
                });
            }
        }
    }
}

/// Where a text call made for a series is counted: the series, and the frame a check is for
/// (empty for the bible).
pub struct CountedIn {
    /// The app (for storage).
    pub state: AppState,
    /// The series whose ledger counts the call.
    pub store: Store<Series>,
    /// The frame it was for, or empty.
    pub frame_id: String,
    /// The most the call can cost ([`continuity_core::text_models::worst_case_usd`]): a call
    /// that would take the series past its budget is not sent.
    pub worst_usd: f64,
    /// What the refusal says first ("Not checked", "Not described").
    pub refusal: &'static str,
}

/// [`send`], counted in the series' ledger and held to its budget: a call whose worst case
/// would take the series past its budget is refused before anything is reserved or sent
/// (text calls count against the budget like images); otherwise it is reserved as "may have
/// been billed" and stored, awaited, before the request leaves, and its answer (or its
/// failure's figure) settles it under the same call id. A tab closed in between leaves the
/// flag: money that may have been spent is never lost.
pub async fn send_counted<T, E: Display>(
    into: CountedIn,
    endpoint: &Endpoint,
    model: &TextModelInfo,
    request: &ResponsesRequest,
    options: &TextOptions<'_>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<TextAnswer<T>, TextFailure> {
    let CountedIn {
        state,
        store,
        frame_id,
        worst_usd,
        refusal,
    } = into;
    if let Some(message) = over_budget(store, worst_usd, refusal) {
        return Err(TextFailure {
            message,
            cost_usd: 0.0,
            may_be_billed: false,
        });
    }
    let call_id = format!("call_{:016x}{:016x}", random_u64(), random_u64());
    let count = |usd: Option<f64>, request_id: Option<String>| {
        let spend = TextSpend {
            call_id: Some(call_id.clone()),
            frame_id: frame_id.clone(),
            usd,
            request_id,
            at_ms: now_ms(),
        };
        // The series may have been closed meanwhile; then there is nowhere left to count.
        let _ = edit::app(state, store, Edit::Series(SeriesEdit::TextSpend(spend)));
    };
    count(None, None);
    state.saver().save_now(state).await;
    let result = send(endpoint, model, request, options, parse).await;
    match &result {
        Ok(answer) => count(Some(answer.cost_usd), answer.request_id.clone()),
        // A figure from the answer's usage, or a call that surely never cost anything, settles
        // it; a failure that may have been billed without a figure keeps the flag.
        Err(failure) if failure.cost_usd > 0.0 || !failure.may_be_billed => {
            count(Some(failure.cost_usd), None)
        }
        Err(_) => {}
    }
    result
}

/// Why a call of at most `worst_usd` may not be sent: it would take the series past its
/// budget. `refusal` starts the message.
fn over_budget(store: Store<Series>, worst_usd: f64, refusal: &str) -> Option<String> {
    store.with_untracked(|s| {
        let budget = s.budget_usd?;
        let spent = s.spent_usd();
        (spent + worst_usd > budget).then(|| {
            format!(
                "{refusal}: the call (up to {}) would go over the series budget ({} left). Raise the budget in Series settings to go on.",
                continuity_core::cost::format_usd(worst_usd),
                continuity_core::cost::format_usd((budget - spent).max(0.0))
            )
        })
    })
}

/// One attempt: the answer's body text, or what went wrong for the failure rules.
async fn attempt(
    endpoint: &Endpoint,
    request: &ResponsesRequest,
    options: &TextOptions<'_>,
) -> Result<(String, ResponseInfo), (Observation, Option<String>)> {
    let mut headers = endpoint.extra_headers();
    headers.extend(options.extra_headers.iter().cloned());
    let mut call = Call::post(
        &endpoint.url("responses"),
        endpoint.bearer.as_deref(),
        Body::Json(request.to_json()),
        &headers,
        options.signal,
        TEXT_TIMEOUT_MS,
    )
    .await
    .map_err(|e| (net_observation(e), None))?;
    let info = call.info();
    if !(200..300).contains(&info.status) {
        return Err(http_error(&mut call, &info).await);
    }
    if body_kind(&info.content_type) != BodyKind::Json {
        return Err((
            Observation::Incomplete(IncompleteKind::WrongContentType),
            None,
        ));
    }
    let text = call.text().await.map_err(|e| (net_observation(e), None))?;
    Ok((text.as_string().unwrap_or_default(), info))
}

/// Reads a 2xx answer: envelope, then the call's own validator.
fn read<T, E: Display>(
    model: &TextModelInfo,
    body: &str,
    info: ResponseInfo,
    maybe_billed: bool,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<TextAnswer<T>, TextFailure> {
    let answer = ResponsesAnswer::parse(body).map_err(|e| TextFailure {
        message: e.to_string(),
        cost_usd: 0.0,
        // An unreadable 200 may still have been billed.
        may_be_billed: true,
    })?;
    let cost_usd = answer
        .usage
        .as_ref()
        .map_or(0.0, |usage| call_cost_usd(model, usage));
    let refused = |message: String| TextFailure {
        message,
        cost_usd,
        may_be_billed: maybe_billed,
    };
    let text = answer.text().map_err(|e| refused(e.to_string()))?;
    let value = parse(text).map_err(|e| {
        refused(format!(
            "The model's answer was refused: {e}. Nothing was changed."
        ))
    })?;
    Ok(TextAnswer {
        value,
        usage: answer.usage,
        cost_usd,
        request_id: info.request_id,
    })
}
