//! Admission: who may spend the server's key, decided before a request costs anything, as
//! one reusable sequence for every forwarded route:
//!
//! 1. [`Gate::admit`], from the headers alone: the access token (or `--allow-anonymous`), the
//!    declared body size, the server's and the token's budget not used up, the token's rate
//!    and a concurrency slot. Nothing of the body has been read yet, so a refused request
//!    costs no memory, and at most `concurrency` bodies of one token are ever being read;
//! 2. [`Admitted::read_body`]: the body, within `--max-body-mb` and `--body-timeout-s`, into a
//!    [`Spool`] (memory up to 1 MiB, then an unlinked temporary file);
//! 3. [`Admitted::reserve`], for a budgeted request: its worst-case cost, priced by the caller,
//!    reserved against the token's budget and then the server's, or refused up front;
//! 4. the caller forwards the spool and settles the [`Ticket`] from the response's `usage`.
//!
//! (The cross-site guard runs before step 1: it also answers preflights.)

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use axum::response::Response;

use super::refuse::{self, api_error, mark, BudgetOwner};
use super::spool::{Spool, SpoolError};
use crate::clock;
use crate::config::AccessConfig;
use crate::errors::ApiError;
use crate::limits::{Admit, Ask, BudgetAsk, Counters, Reserve, Ticket, GLOBAL};
use crate::log::Note;
use crate::tokens::{Budget, Lookup, TokenInfo};

/// The admission rules of forward mode.
#[derive(Debug)]
pub struct Gate {
    access: AccessConfig,
    max_body_bytes: usize,
    body_timeout: Duration,
    spool_dir: PathBuf,
}

/// A request admitted from its headers, holding its concurrency slot (and later its
/// reservations) until it is finished or dropped.
#[derive(Debug)]
pub struct Admitted<'g> {
    gate: &'g Gate,
    token: Option<Arc<TokenInfo>>,
    ticket: Option<Ticket>,
    /// The UTC day its spend counts in (fixed at admission).
    day: String,
}

impl Gate {
    /// The rules of `access`; bodies up to `max_body_bytes`, arriving within `body_timeout`,
    /// spooled past 1 MiB into `spool_dir`.
    pub fn new(
        access: AccessConfig,
        max_body_bytes: usize,
        body_timeout: Duration,
        spool_dir: PathBuf,
    ) -> Self {
        Self {
            access,
            max_body_bytes,
            body_timeout,
            spool_dir,
        }
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.access.counters
    }

    /// The request's token: `Ok(None)` for an anonymous request where `--allow-anonymous`
    /// allows it; `Err` holds the 401 (boxed: a response is large and this path is rare).
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Arc<TokenInfo>>, Box<Response>> {
        let refuse = |response, code| Err(Box::new(mark(response, code)));
        match headers.get(header::AUTHORIZATION) {
            None if self.access.allow_anonymous => return Ok(None),
            None => return refuse(refuse::missing_token(), "missing_token"),
            Some(_) => {}
        }
        match self.access.tokens.current().lookup(bearer(headers)) {
            Lookup::Valid(info) => Ok(Some(info)),
            Lookup::Revoked(info) => refuse(refuse::token_revoked(&info.name), "token_revoked"),
            Lookup::Unknown => refuse(refuse::invalid_token(), "invalid_token"),
        }
    }

    /// Step 1: admits a request from its headers, or answers the refusal.
    pub async fn admit(&self, headers: &HeaderMap, note: &Note) -> Result<Admitted<'_>, Response> {
        let token = self.authenticate(headers).map_err(|refusal| *refusal)?;
        if let Some(t) = &token {
            note.token(&t.name);
        }
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_body_bytes as u64) {
            return Err(api_error(ApiError::too_large(self.max_body_bytes)));
        }
        let day = clock::utc_day(clock::unix_seconds());
        let counters = &self.access.counters;
        if let Some(global) = self.access.global_budget {
            let spent = counters
                .spent(GLOBAL, &day)
                .await
                .map_err(|e| unavailable(&e.0))?;
            if spent >= global.micros_per_day {
                return Err(mark(
                    refuse::over_budget(BudgetOwner::Server, global, spent, None),
                    "budget_exceeded",
                ));
            }
        }
        let ticket = match &token {
            None => self
                .access
                .global_budget
                .map(|_| Ticket::anonymous(counters)),
            Some(t) => {
                let ask = Ask {
                    token_id: &t.id,
                    rate: t.limits.rate,
                    concurrency: t.limits.concurrency,
                    budget: t.limits.budget.map(|b| BudgetAsk {
                        day: day.clone(),
                        limit_micros: b.micros_per_day,
                    }),
                };
                match counters.admit(&ask).await {
                    Ok(Admit::Admitted(ticket)) => Some(ticket),
                    Ok(Admit::RateLimited { retry_after_ms }) => {
                        return Err(mark(
                            refuse::rate_limited(&t.name, t.limits.rate, retry_after_ms),
                            "rate_limit_exceeded",
                        ))
                    }
                    Ok(Admit::Busy { limit }) => {
                        return Err(mark(refuse::busy(&t.name, limit), "concurrency_limit"))
                    }
                    Ok(Admit::OverBudget { spent_micros }) => {
                        let budget = t.limits.budget.unwrap_or(Budget { micros_per_day: 0 });
                        return Err(mark(
                            refuse::over_budget(
                                BudgetOwner::Token(&t.name),
                                budget,
                                spent_micros,
                                None,
                            ),
                            "budget_exceeded",
                        ));
                    }
                    Err(e) => return Err(unavailable(&e.0)),
                }
            }
        };
        Ok(Admitted {
            gate: self,
            token,
            ticket,
            day,
        })
    }
}

/// The token presented in `Authorization: Bearer <token>` ("" for anything else; the scheme
/// is case-insensitive, RFC 9110 §11.1).
pub fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim())
}

/// 503 `limits_unavailable` (logged, sampled).
fn unavailable(why: &str) -> Response {
    let label = || "limits: counters unavailable".to_string();
    crate::log::sampled_line("limits-unavailable-detail", label, || {
        format!("limits: {why}; refusing the request")
    });
    mark(refuse::limits_unavailable(), "limits_unavailable")
}

impl Admitted<'_> {
    /// The access token, if the request has one.
    pub fn token(&self) -> Option<&TokenInfo> {
        self.token.as_deref()
    }

    /// Whether a budget (the token's or the server's) applies, so the request must be priced
    /// and reserved before it is sent.
    pub fn budgeted(&self) -> bool {
        self.gate.access.global_budget.is_some()
            || self
                .token
                .as_ref()
                .is_some_and(|t| t.limits.budget.is_some())
    }

    /// Step 2: reads the body into a spool. A slow client gets 408, naming it as the cause.
    pub async fn read_body(&self, body: Body) -> Result<Spool, Response> {
        let gate = self.gate;
        match Spool::read(
            body,
            gate.max_body_bytes,
            gate.body_timeout,
            &gate.spool_dir,
        )
        .await
        {
            Ok(spool) => Ok(spool),
            Err(SpoolError::TooLarge(limit)) => Err(api_error(ApiError::too_large(limit))),
            Err(SpoolError::Slow(after)) => Err(refuse::slow_body(after.as_secs())),
            Err(SpoolError::Broken) => Err(refuse::broken_body()),
            Err(SpoolError::Io(why)) => {
                let label = || "spool: bodies not stored".to_string();
                crate::log::sampled_line("spool-failed", label, || format!("spool: {why}"));
                Err(mark(refuse::body_not_stored(), "body_not_stored"))
            }
        }
    }

    /// Step 3: reserves `micros` (the request's worst case) against the token's budget, then
    /// the server's; if either refuses, whatever was reserved is given back and the request
    /// is refused with 429 `budget_exceeded`.
    pub async fn reserve(&mut self, micros: u64) -> Result<(), Response> {
        let counters = self.gate.access.counters.clone();
        let mut owners: Vec<(String, Budget, BudgetOwner<'_>)> = Vec::new();
        if let Some(t) = &self.token {
            if let Some(budget) = t.limits.budget {
                owners.push((t.id.clone(), budget, BudgetOwner::Token(&t.name)));
            }
        }
        if let Some(global) = self.gate.access.global_budget {
            owners.push((GLOBAL.to_string(), global, BudgetOwner::Server));
        }
        let Some(ticket) = self.ticket.as_mut() else {
            return Ok(());
        };
        for (owner, budget, whose) in owners {
            let ask = BudgetAsk {
                day: self.day.clone(),
                limit_micros: budget.micros_per_day,
            };
            let refusal = match counters.reserve(ticket, &owner, &ask, micros).await {
                Ok(Reserve::Reserved) => continue,
                Ok(Reserve::OverBudget { spent_micros }) => mark(
                    refuse::over_budget(whose, budget, spent_micros, Some(micros)),
                    "budget_exceeded",
                ),
                Err(e) => unavailable(&e.0),
            };
            if let Some(ticket) = self.ticket.take() {
                ticket.finish(Some(0)).await;
            }
            return Err(refusal);
        }
        Ok(())
    }

    /// The ticket to settle once the response is complete (`None`: nothing to count).
    pub fn into_ticket(mut self) -> Option<Ticket> {
        self.ticket.take()
    }
}
