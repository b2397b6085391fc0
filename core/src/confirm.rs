//! Terminate-and-confirm: one contract's termination driven to a known final state, sans-IO.
//!
//! A terminate call whose answer is lost (timeout, reset, a 5xx, a response that does not
//! verify) leaves the merchant not knowing whether the contract ended; re-sending it gets an
//! error whose meaning depends on WeChat Pay's message text. [`Termination`] replaces guessing
//! with a recipe: it tells the host what to send next and when, and stops only when the
//! contract's state is *confirmed* — by the terminate's own success, by the family's query
//! (each terminate endpoint names it in `confirm_with`), or by a matching termination
//! notification — or when it is confirmed impossible (not found, refused while still
//! effective), or when the retry budget is spent (then it says so; it never guesses).
//!
//! The recipe, from WeChat Pay's guidance (5xx: "使用原请求参数重试"; 429: slow down):
//! - **429** and **5xx** on the terminate: back off, then send the *same signed request* while
//!   its timestamp is fresh (re-signed after that); a 5xx may have been applied, so it is
//!   remembered.
//! - **No trustworthy answer** (transport error, or a 2xx that fails verification): the
//!   termination may or may not have happened, so the next step is the query, never a blind
//!   resend. Effective → terminate again; terminated → done.
//! - **Any other 4xx** on the terminate (e.g. "协议已解约", whose code is not documented
//!   consistently): the query decides. Terminated → `already_terminated` (or `terminated` when
//!   an earlier attempt may have done it); still effective → `failed` with the refusal.
//!   A 404 before any attempt could have applied is `not_found`; a 401 is `failed` at once
//!   (signature or clock on the host's side: retrying cannot help).
//! - A `TERMINATE_PENDING` answer is polled through the query until it settles.
//!
//! The host supplies the clock (milliseconds) and nonces, performs the HTTP, and reports
//! what happened: a verified answer ([`Termination::on_verified`]), an error
//! ([`Termination::on_error`]), a transport failure ([`Termination::on_transport_error`]) or
//! a notification ([`Termination::on_notification`]). [`Termination::to_json`] /
//! [`Termination::from_json`] persist it (a journal): a request that was in flight when the
//! host stopped is treated as an answer lost, so a resumed run queries before it resends.

use serde::{Deserialize, Serialize};

use crate::catalog::{self, AnyOutput, OperationEntry};
use crate::client::Client;
use crate::error::{Error, ErrorKind, ErrorRecord, Result};
use crate::notification::{Notification, NotificationResource};
use crate::request::Request;

/// How hard to try. Every field has a default; a binding passes only what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default, deny_unknown_fields)]
pub struct ConfirmPolicy {
    /// Terminate sends at most (429, 5xx and resends after a query found it effective).
    pub max_terminate_sends: u32,
    /// Query sends at most.
    pub max_query_sends: u32,
    /// Queries that may still find the contract `TERMINATE_PENDING`.
    pub max_pending_polls: u32,
    /// First back-off after a 429 / 5xx / lost answer, in milliseconds; doubled each time.
    pub backoff_initial_ms: u64,
    /// Longest back-off, in milliseconds.
    pub backoff_max_ms: u64,
    /// Wait between queries of a pending termination, in milliseconds.
    pub pending_poll_ms: u64,
    /// A signed request is sent again unchanged while it is at most this old (seconds):
    /// WeChat Pay rejects timestamps more than 300 s off, so the default leaves a margin.
    pub reuse_window_secs: i64,
}

impl Default for ConfirmPolicy {
    fn default() -> Self {
        ConfirmPolicy {
            max_terminate_sends: 6,
            max_query_sends: 10,
            max_pending_polls: 20,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 60_000,
            pending_poll_ms: 30_000,
            reuse_window_secs: 240,
        }
    }
}

impl ConfirmPolicy {
    /// Reads a policy from a JSON object of the fields to change (bindings pass dicts).
    pub fn from_json(value: serde_json::Value) -> Result<ConfirmPolicy> {
        serde_json::from_value(value).map_err(|e| {
            Error::invalid_input("policy", format!("the confirm policy is malformed ({e})"))
        })
    }
}

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The termination itself.
    Terminate,
    /// The family's query, reading the contract's state.
    Query,
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq, Eq)]
// Returned one at a time and consumed at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Send this request, then report the answer (or its absence).
    Send {
        /// The signed request: send exactly these bytes.
        request: Request,
        /// Terminate or query.
        purpose: Purpose,
        /// 1 for the first send of this purpose.
        attempt: u32,
    },
    /// Call [`Termination::next`] again at (or after) this time, in Unix milliseconds.
    Wait {
        /// Unix milliseconds.
        until_ms: i64,
    },
    /// The contract's final state is known.
    Done(Outcome),
}

/// The final state of one contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Confirmed terminated: by this termination's success, or — after its answer was lost —
    /// by the query or a notification.
    Terminated,
    /// The termination was refused and the query shows the contract had already ended
    /// (e.g. the user terminated it first).
    AlreadyTerminated,
    /// WeChat Pay does not know the contract (404).
    NotFound,
    /// Not terminated, or not confirmed: `reason` and `error` say why. Never a guess.
    Failed,
}

impl OutcomeKind {
    /// `terminated`, `already_terminated`, `not_found` or `failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Terminated => "terminated",
            OutcomeKind::AlreadyTerminated => "already_terminated",
            OutcomeKind::NotFound => "not_found",
            OutcomeKind::Failed => "failed",
        }
    }
}

/// Which message proved an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// A verified answer to the terminate request (or its 404).
    TerminateResponse,
    /// A verified answer to the query (or its 404).
    QueryResponse,
    /// A verified, decrypted termination notification.
    Notification,
}

/// The message that proved an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Evidence {
    /// Terminate answer, query answer or notification.
    pub source: EvidenceSource,
    /// The operation id, or the notification's event type.
    pub operation: String,
    /// The HTTP status (answers only).
    pub status: Option<u16>,
    /// `Request-ID` of the answer, for support tickets.
    pub request_id: Option<String>,
    /// The notification id (notifications only).
    pub notification_id: Option<String>,
    /// The state as WeChat Pay wrote it (`TERMINATED`, `DELETE`, `UNAVAILABLE`, `CLOSED`, …),
    /// or the error code of a 404.
    pub state: Option<String>,
    /// When the host received it, Unix milliseconds.
    pub at_ms: i64,
}

/// The final state of one contract and how it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Outcome {
    /// Terminated, already terminated, not found or failed.
    pub kind: OutcomeKind,
    /// One line for a report, e.g. `query_papay_contract answered contract_state TERMINATED`.
    pub reason: String,
    /// The message that proved it (`None` only for some failures).
    pub evidence: Option<Evidence>,
    /// The error behind a failure (or the refusal before `already_terminated`).
    pub error: Option<ErrorRecord>,
    /// Terminate requests sent (a resend of the same signed request counts).
    pub terminate_sends: u32,
    /// Query requests sent.
    pub query_sends: u32,
}

/// One operation and its params, as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Call {
    operation: String,
    params: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    Terminate,
    Query,
    Done,
}

/// A signed terminate kept for resending while its timestamp is fresh (never persisted:
/// a journal holds no signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    request: Request,
    timestamp: i64,
}

/// One contract's terminate-and-confirm state machine. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Termination {
    terminate: Call,
    query: Call,
    /// `(name, value)` of every path/query parameter of both calls, for notifications.
    identity: Vec<(String, String)>,
    policy: ConfirmPolicy,
    phase: Phase,
    terminate_sends: u32,
    query_sends: u32,
    pending_polls: u32,
    /// Retries since the last progress, for the back-off.
    retries: u32,
    /// Some terminate may have been applied although no verified success says so.
    may_have_applied: bool,
    /// The 4xx a terminate got, while the query decides what it meant.
    refusal: Option<ErrorRecord>,
    last_error: Option<ErrorRecord>,
    not_before_ms: i64,
    in_flight: Option<Purpose>,
    /// Randomness for the back-off jitter, taken from the host's nonces.
    jitter_seed: u32,
    outcome: Option<Outcome>,
    #[serde(skip)]
    held: Option<Held>,
}

/// Parameters shared by many contracts (a merchant, app, plan or service), so a notification
/// matching only these does not identify one contract.
const SCOPE_FIELDS: [&str; 10] = [
    "mchid",
    "sp_mchid",
    "sub_mchid",
    "appid",
    "sp_appid",
    "sub_appid",
    "service_id",
    "plan_id",
    "channel_id",
    "organization_id",
];

impl Termination {
    /// A termination of `operation` (a terminate id of the catalog) with `params`, confirmed
    /// through the endpoint's `confirm_with` query. The query's params are taken from the
    /// terminate's params by name; `query_params` adds or overrides (e.g. face pay's query needs
    /// `out_user_id`, which the terminate does not take). Both are validated now: bad input is
    /// an `invalid_input` error and nothing is built.
    pub fn new(
        operation: &str,
        params: serde_json::Value,
        query_params: Option<serde_json::Value>,
        policy: ConfirmPolicy,
    ) -> Result<Termination> {
        let entry = catalog::lookup(operation)?;
        let query_id = entry.spec.confirm_with.ok_or_else(|| {
            Error::invalid_input(
                "operation",
                format!("`{operation}` is not a termination: nothing to confirm"),
            )
        })?;
        let query_entry = catalog::lookup(query_id)?;
        (entry.from_json)(params.clone())?;
        let serde_json::Value::Object(given) = params else {
            // from_json above accepts objects only.
            return Err(Error::invalid_input("params", "params must be an object"));
        };
        let mut derived = serde_json::Map::new();
        for field in query_entry.spec.fields {
            if let Some(value) = given.get(field.name).filter(|v| !v.is_null()) {
                derived.insert(field.name.to_owned(), value.clone());
            }
        }
        match query_params {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(extra)) => derived.extend(extra),
            Some(_) => {
                return Err(Error::invalid_input(
                    "query_params",
                    "query_params must be an object of field names to values",
                ));
            }
        }
        let query_params = serde_json::Value::Object(derived);
        (query_entry.from_json)(query_params.clone()).map_err(|e| {
            let missing = e.field().map(str::to_owned);
            let mut error = Error::invalid_input(
                "query_params",
                format!(
                    "`{query_id}` confirms `{operation}` but its params are incomplete ({}): pass them in query_params",
                    e.message()
                ),
            );
            if let Some(field) = missing {
                error = Error::invalid_input(field, error.message().to_owned());
            }
            error
        })?;

        let identity = identity_of(entry, &given, query_entry, &query_params);
        Ok(Termination {
            terminate: Call {
                operation: entry.spec.id.to_owned(),
                params: serde_json::Value::Object(given),
            },
            query: Call {
                operation: query_id.to_owned(),
                params: query_params,
            },
            identity,
            policy,
            phase: Phase::Terminate,
            terminate_sends: 0,
            query_sends: 0,
            pending_polls: 0,
            retries: 0,
            may_have_applied: false,
            refusal: None,
            last_error: None,
            not_before_ms: 0,
            in_flight: None,
            jitter_seed: 0,
            outcome: None,
            held: None,
        })
    }

    /// [`Termination::new`] for a typed termination.
    pub fn of(
        operation: &catalog::AnyOperation,
        query_params: Option<serde_json::Value>,
        policy: ConfirmPolicy,
    ) -> Result<Termination> {
        Termination::new(
            operation.spec().id,
            operation.params_json(),
            query_params,
            policy,
        )
    }

    /// The terminate operation id.
    pub fn operation(&self) -> &str {
        &self.terminate.operation
    }

    /// The query operation id that confirms it.
    pub fn query_operation(&self) -> &str {
        &self.query.operation
    }

    /// The final outcome, once known.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The request whose answer is awaited, if any.
    pub fn in_flight(&self) -> Option<Purpose> {
        self.in_flight
    }

    /// The last error seen (for progress displays and logs; messages hold no secrets).
    pub fn last_error(&self) -> Option<&ErrorRecord> {
        self.last_error.as_ref()
    }

    /// The machine as JSON, for a journal. Holds params and counters, never a signature.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Restores [`Termination::to_json`]. A request in flight when it was saved is treated as
    /// sent with its answer lost: the termination may have happened, so a query comes first.
    pub fn from_json(json: &str) -> Result<Termination> {
        let mut machine: Termination = serde_json::from_str(json).map_err(|e| {
            Error::invalid_input(
                "state",
                format!(
                    "not a saved termination (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        // A journal from another version, or edited by hand, must still describe a valid
        // termination and the query that confirms it.
        let entry = catalog::lookup(&machine.terminate.operation)?;
        if entry.spec.confirm_with != Some(machine.query.operation.as_str()) {
            return Err(Error::invalid_input(
                "state",
                "the saved query is not the one that confirms the saved termination",
            ));
        }
        (entry.from_json)(machine.terminate.params.clone())?;
        (catalog::lookup(&machine.query.operation)?.from_json)(machine.query.params.clone())?;
        if machine.in_flight.is_some() {
            machine.lost_answer(0);
        }
        Ok(machine)
    }

    /// What to do now. `now_ms` is the host's clock in Unix milliseconds; `nonce` a fresh
    /// random nonce (used only when a new request is signed).
    pub fn next(&mut self, client: &Client, now_ms: i64, nonce: &str) -> Result<Step> {
        if let Some(outcome) = &self.outcome {
            return Ok(Step::Done(outcome.clone()));
        }
        if self.in_flight.is_some() {
            return Err(Error::invalid_input(
                "step",
                "the answer to the last request has not been reported yet (on_verified, on_error or on_transport_error)",
            ));
        }
        if now_ms < self.not_before_ms {
            return Ok(Step::Wait {
                until_ms: self.not_before_ms,
            });
        }
        self.jitter_seed = self.jitter_seed.rotate_left(7) ^ seed_of(nonce);
        let now_secs = now_ms.div_euclid(1000);
        match self.phase {
            Phase::Done => Ok(Step::Done(
                self.fail("the termination ended without an outcome", None),
            )),
            Phase::Terminate if self.terminate_sends >= self.policy.max_terminate_sends => {
                if self.may_have_applied {
                    // One of the sends may have worked: the query tells.
                    self.phase = Phase::Query;
                    return self.next(client, now_ms, nonce);
                }
                let reason = format!("gave up after {} terminate requests", self.terminate_sends);
                let error = self.last_error.clone();
                Ok(Step::Done(self.fail(&reason, error)))
            }
            Phase::Terminate => {
                let request = match &self.held {
                    Some(held)
                        if now_secs.saturating_sub(held.timestamp)
                            <= self.policy.reuse_window_secs =>
                    {
                        held.request.clone()
                    }
                    _ => {
                        let request = sign(client, &self.terminate, now_secs, nonce)?;
                        self.held = Some(Held {
                            request: request.clone(),
                            timestamp: now_secs,
                        });
                        request
                    }
                };
                self.terminate_sends = self.terminate_sends.saturating_add(1);
                self.in_flight = Some(Purpose::Terminate);
                Ok(Step::Send {
                    request,
                    purpose: Purpose::Terminate,
                    attempt: self.terminate_sends,
                })
            }
            Phase::Query => {
                if self.query_sends >= self.policy.max_query_sends {
                    let reason = format!(
                        "not confirmed: {} queries gave no usable answer",
                        self.query_sends
                    );
                    let error = self.last_error.clone();
                    return Ok(Step::Done(self.fail(&reason, error)));
                }
                let request = sign(client, &self.query, now_secs, nonce)?;
                self.query_sends = self.query_sends.saturating_add(1);
                self.in_flight = Some(Purpose::Query);
                Ok(Step::Send {
                    request,
                    purpose: Purpose::Query,
                    attempt: self.query_sends,
                })
            }
        }
    }

    /// Verifies the answer to the request in flight with `client` and reports it: the
    /// convenience for hosts that verify in the core (Rust, Python, Kotlin).
    pub fn on_response<H: crate::verify::HeaderPair>(
        &mut self,
        client: &Client,
        status: u16,
        headers: impl IntoIterator<Item = H>,
        body: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        match client.verify(status, headers, body, now_ms.div_euclid(1000)) {
            Ok(request_id) => self.on_verified(status, request_id, body, now_ms),
            Err(e) => self.on_error(&ErrorRecord::from(&e), now_ms),
        }
    }

    /// Reports a verified 2xx answer (status, `Request-ID`, raw body) to the request in flight.
    pub fn on_verified(
        &mut self,
        status: u16,
        request_id: Option<String>,
        body: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        let Some(purpose) = self.take_in_flight()? else {
            return Ok(());
        };
        let call = match purpose {
            Purpose::Terminate => &self.terminate,
            Purpose::Query => &self.query,
        };
        let entry = catalog::lookup(&call.operation)?;
        let output = match (entry.decode_output)(body) {
            Ok(output) => output,
            Err(e) => return self.after_error(purpose, ErrorRecord::from(&e), now_ms),
        };
        let observed = observe(&output, &self.identity);
        let evidence = Evidence {
            source: match purpose {
                Purpose::Terminate => EvidenceSource::TerminateResponse,
                Purpose::Query => EvidenceSource::QueryResponse,
            },
            operation: call.operation.clone(),
            status: Some(status),
            request_id,
            notification_id: None,
            state: observed.state_text(),
            at_ms: now_ms,
        };
        self.retries = 0;
        match (purpose, observed) {
            (Purpose::Terminate, Observed::Pending(_)) | (Purpose::Query, Observed::Pending(_)) => {
                self.may_have_applied = true;
                self.pending_polls = self.pending_polls.saturating_add(1);
                if self.pending_polls > self.policy.max_pending_polls {
                    let reason = format!(
                        "still pending after {} answers ({})",
                        self.pending_polls,
                        evidence.state.as_deref().unwrap_or("pending")
                    );
                    self.finish(OutcomeKind::Failed, reason, Some(evidence), None);
                } else {
                    self.phase = Phase::Query;
                    self.not_before_ms = now_ms.saturating_add(to_i64(self.policy.pending_poll_ms));
                }
            }
            // A verified 2xx to the terminate is the termination itself.
            (Purpose::Terminate, _) => {
                let reason = format!("{} succeeded ({status})", call.operation);
                self.finish(OutcomeKind::Terminated, reason, Some(evidence), None);
            }
            (Purpose::Query, Observed::Terminated(state, by_merchant)) => {
                // Who ended it, where the answer says; else: refused and never possibly applied.
                let already = match by_merchant {
                    Some(by_merchant) => !by_merchant,
                    None => self.refusal.is_some() && !self.may_have_applied,
                };
                let kind = if already {
                    OutcomeKind::AlreadyTerminated
                } else {
                    OutcomeKind::Terminated
                };
                let reason = format!("{} answered {state}", self.query.operation);
                let error = self.refusal.clone();
                self.finish(kind, reason, Some(evidence), error);
            }
            (Purpose::Query, Observed::Effective(state)) => {
                if let Some(refusal) = self.refusal.clone() {
                    let reason = format!(
                        "the termination was refused ({}) and {} answered {state}",
                        describe(&refusal),
                        self.query.operation
                    );
                    self.finish(OutcomeKind::Failed, reason, Some(evidence), Some(refusal));
                } else if self.terminate_sends >= self.policy.max_terminate_sends {
                    let reason = format!(
                        "gave up after {} terminate requests; {} answered {state}",
                        self.terminate_sends, self.query.operation
                    );
                    let error = self.last_error.clone();
                    self.finish(OutcomeKind::Failed, reason, Some(evidence), error);
                } else {
                    // The lost terminate did not happen: terminate again.
                    self.phase = Phase::Terminate;
                    self.not_before_ms = now_ms;
                }
            }
        }
        Ok(())
    }

    /// Reports an error for the request in flight: an `api` error (non-2xx) or a verification
    /// failure of a 2xx (`invalid_signature`, `signature_probe`, `unknown_serial`,
    /// `unsigned_response`, `clock_skew`, `decode`).
    pub fn on_error(&mut self, error: &ErrorRecord, now_ms: i64) -> Result<()> {
        let Some(purpose) = self.take_in_flight()? else {
            return Ok(());
        };
        self.after_error(purpose, error.clone(), now_ms)
    }

    /// Reports that no answer arrived for the request in flight (timeout, connection reset,
    /// DNS, TLS): it may or may not have reached WeChat Pay.
    pub fn on_transport_error(&mut self, now_ms: i64) -> Result<()> {
        if self.take_in_flight()?.is_none() {
            return Ok(());
        }
        self.last_error = None;
        self.lost_answer(now_ms);
        Ok(())
    }

    /// Offers a verified notification. Returns `true` when it is a termination notification of
    /// this contract, which then confirms the outcome (`terminated`).
    pub fn on_notification(&mut self, notification: &Notification, now_ms: i64) -> bool {
        if self.outcome.is_some() || !self.matches(notification) {
            return false;
        }
        let evidence = Evidence {
            source: EvidenceSource::Notification,
            operation: notification.event_type.clone(),
            status: None,
            request_id: None,
            notification_id: Some(notification.id.clone()),
            state: None,
            at_ms: now_ms,
        };
        let reason = format!("notification {} reported it", notification.event_type);
        // The notification proves the end state; a refusal alone means someone else ended it.
        let kind = if self.refusal.is_some() && !self.may_have_applied {
            OutcomeKind::AlreadyTerminated
        } else {
            OutcomeKind::Terminated
        };
        self.in_flight = None;
        self.finish(kind, reason, Some(evidence), None);
        true
    }

    /// Whether `notification` reports the end of this contract.
    pub fn matches(&self, notification: &Notification) -> bool {
        if !reports_termination(&notification.resource) {
            return false;
        }
        let Some(resource) = resource_fields(&notification.resource) else {
            return false;
        };
        let mut identified = false;
        for (name, value) in &self.identity {
            match resource.get(name).and_then(scalar_text) {
                Some(sent) if sent == *value => {
                    identified |= !SCOPE_FIELDS.contains(&name.as_str());
                }
                Some(_) => return false,
                None => {}
            }
        }
        identified
    }

    // ---- transitions ----------------------------------------------------------------

    fn take_in_flight(&mut self) -> Result<Option<Purpose>> {
        if self.outcome.is_some() {
            // A late answer after a notification settled it changes nothing.
            self.in_flight = None;
            return Ok(None);
        }
        self.in_flight.take().map(Some).ok_or_else(|| {
            Error::invalid_input("step", "no request is in flight: call next() first")
        })
    }

    fn after_error(&mut self, purpose: Purpose, error: ErrorRecord, now_ms: i64) -> Result<()> {
        self.last_error = Some(error.clone());
        let kind = ErrorKind::from_name(&error.kind);
        let status = error.status.unwrap_or(0);
        match kind {
            Some(ErrorKind::Api) if status == 429 || status >= 500 => {
                if purpose == Purpose::Terminate && status >= 500 {
                    // "系统错误": the termination may have been applied before the error.
                    self.may_have_applied = true;
                }
                self.back_off(now_ms);
            }
            Some(ErrorKind::Api) if status == 401 => {
                let reason = format!(
                    "{} was rejected ({}): check the merchant key, serial and clock",
                    self.call_of(purpose).operation,
                    describe(&error)
                );
                self.finish(OutcomeKind::Failed, reason, None, Some(error));
            }
            Some(ErrorKind::Api) => match purpose {
                Purpose::Terminate if status == 404 && !self.may_have_applied => {
                    let evidence = self.error_evidence(purpose, &error, now_ms);
                    let reason =
                        format!("{} answered {}", self.terminate.operation, describe(&error));
                    self.finish(OutcomeKind::NotFound, reason, Some(evidence), None);
                }
                Purpose::Terminate => {
                    self.refusal = Some(error);
                    self.phase = Phase::Query;
                    self.retries = 0;
                    self.not_before_ms = now_ms;
                }
                Purpose::Query if status == 404 => {
                    let gone = catalog::lookup(&self.query.operation)
                        .map(|e| e.spec.gone_when_terminated)
                        .unwrap_or(false);
                    let evidence = self.error_evidence(purpose, &error, now_ms);
                    let reason = format!("{} answered {}", self.query.operation, describe(&error));
                    if gone && self.may_have_applied {
                        self.finish(OutcomeKind::Terminated, reason, Some(evidence), None);
                    } else {
                        self.finish(OutcomeKind::NotFound, reason, Some(evidence), None);
                    }
                }
                Purpose::Query => {
                    let reason = format!(
                        "not confirmed: {} was refused ({})",
                        self.query.operation,
                        describe(&error)
                    );
                    self.finish(OutcomeKind::Failed, reason, None, Some(error));
                }
            },
            // The answer cannot be trusted, so it says nothing about the contract.
            Some(
                ErrorKind::InvalidSignature
                | ErrorKind::SignatureProbe
                | ErrorKind::UnknownSerial
                | ErrorKind::UnsignedResponse
                | ErrorKind::ClockSkew
                | ErrorKind::Decode,
            ) => match purpose {
                Purpose::Terminate => self.lost_answer(now_ms),
                Purpose::Query => self.back_off(now_ms),
            },
            // The host's own input or environment: retrying the same thing cannot help.
            _ => {
                let reason = format!("stopped: {}", describe(&error));
                self.finish(OutcomeKind::Failed, reason, None, Some(error));
            }
        }
        Ok(())
    }

    /// No trustworthy answer to a terminate: it may have been applied, so query next.
    fn lost_answer(&mut self, now_ms: i64) {
        self.in_flight = None;
        if self.phase == Phase::Terminate {
            self.may_have_applied = true;
            self.phase = Phase::Query;
            self.retries = 0;
            self.not_before_ms = now_ms;
        } else {
            self.back_off(now_ms);
        }
    }

    fn back_off(&mut self, now_ms: i64) {
        let shift = self.retries.min(20);
        self.retries = self.retries.saturating_add(1);
        let base = self
            .policy
            .backoff_initial_ms
            .saturating_mul(1u64 << shift)
            .min(self.policy.backoff_max_ms);
        // Half fixed, half random ("equal jitter"), from the host's nonces.
        let half = base / 2;
        let jitter = if half == 0 {
            0
        } else {
            u64::from(self.jitter_seed)
                .checked_rem(half.saturating_add(1))
                .unwrap_or(0)
        };
        self.not_before_ms = now_ms.saturating_add(to_i64(half.saturating_add(jitter)));
    }

    fn fail(&mut self, reason: &str, error: Option<ErrorRecord>) -> Outcome {
        self.finish(OutcomeKind::Failed, reason.to_owned(), None, error);
        self.outcome.clone().unwrap_or_else(|| Outcome {
            kind: OutcomeKind::Failed,
            reason: reason.to_owned(),
            evidence: None,
            error: None,
            terminate_sends: self.terminate_sends,
            query_sends: self.query_sends,
        })
    }

    fn finish(
        &mut self,
        kind: OutcomeKind,
        reason: String,
        evidence: Option<Evidence>,
        error: Option<ErrorRecord>,
    ) {
        self.phase = Phase::Done;
        self.held = None;
        self.outcome = Some(Outcome {
            kind,
            reason,
            evidence,
            error,
            terminate_sends: self.terminate_sends,
            query_sends: self.query_sends,
        });
    }

    fn call_of(&self, purpose: Purpose) -> &Call {
        match purpose {
            Purpose::Terminate => &self.terminate,
            Purpose::Query => &self.query,
        }
    }

    fn error_evidence(&self, purpose: Purpose, error: &ErrorRecord, now_ms: i64) -> Evidence {
        Evidence {
            source: match purpose {
                Purpose::Terminate => EvidenceSource::TerminateResponse,
                Purpose::Query => EvidenceSource::QueryResponse,
            },
            operation: self.call_of(purpose).operation.clone(),
            status: error.status,
            request_id: error.request_id.clone(),
            notification_id: None,
            state: error.code.clone(),
            at_ms: now_ms,
        }
    }
}

fn sign(client: &Client, call: &Call, timestamp: i64, nonce: &str) -> Result<Request> {
    let unsigned = client.unsigned_by_id(&call.operation, call.params.clone(), timestamp, nonce)?;
    client.sign(unsigned)
}

fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn seed_of(nonce: &str) -> u32 {
    nonce.bytes().fold(0x811C_9DC5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn describe(error: &ErrorRecord) -> String {
    match (error.status, error.code.as_deref()) {
        (Some(status), Some(code)) => format!("HTTP {status} {code}"),
        (Some(status), None) => format!("HTTP {status}"),
        _ => error.kind.clone(),
    }
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Every path and query parameter of both calls, as text: what identifies the contract.
fn identity_of(
    terminate: &OperationEntry,
    terminate_params: &serde_json::Map<String, serde_json::Value>,
    query: &OperationEntry,
    query_params: &serde_json::Value,
) -> Vec<(String, String)> {
    let mut identity: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: Option<&serde_json::Value>| {
        if let Some(text) = value.and_then(scalar_text)
            && !identity.iter().any(|(n, _)| n == name)
        {
            identity.push((name.to_owned(), text));
        }
    };
    for field in terminate.spec.fields {
        if field.location == crate::validate::Location::Path {
            add(field.name, terminate_params.get(field.name));
        }
    }
    for field in query.spec.fields {
        if field.location != crate::validate::Location::Body {
            add(field.name, query_params.get(field.name));
        }
    }
    identity
}

/// What an answer says about the contract.
enum Observed {
    /// Ended; `Some(true)` when the answer says the merchant's API ended it, `Some(false)` when
    /// someone else did (the user, customer service, the system), `None` when it does not say.
    Terminated(String, Option<bool>),
    Pending(String),
    Effective(String),
}

impl Observed {
    fn state_text(&self) -> Option<String> {
        match self {
            Observed::Terminated(s, _) | Observed::Pending(s) | Observed::Effective(s) => {
                Some(s.clone())
            }
        }
    }

    /// Adds who ended it, from the answer's termination mode (the merchant's own API modes
    /// named in `by_merchant`).
    fn ended_by(self, mode: Option<&str>, by_merchant: &[&str]) -> Observed {
        match (self, mode) {
            (Observed::Terminated(text, _), Some(mode)) => Observed::Terminated(
                format!("{text} ({mode})"),
                Some(by_merchant.contains(&mode)),
            ),
            (other, _) => other,
        }
    }
}

/// Termination modes of the papay families that mean "by the merchant's API call".
const PAPAY_BY_MERCHANT: &[&str] = &["MCH_API_TERMINATE", "API"];

fn papay_like(state: &str, info: &Option<crate::catalog::ContractTerminateInfo>) -> Observed {
    by_state(
        "contract_state",
        state,
        &["TERMINATED"],
        &["TERMINATE_PENDING"],
    )
    .ended_by(
        info.as_ref().map(|i| i.contract_termination_mode.as_str()),
        PAPAY_BY_MERCHANT,
    )
}

/// `field value`, as a reason shows it.
fn field_is(field: &str, value: &str) -> String {
    format!("{field} {value}")
}

fn by_state(field: &str, state: &str, terminated: &[&str], pending: &[&str]) -> Observed {
    let text = field_is(field, state);
    if terminated.contains(&state) {
        Observed::Terminated(text, None)
    } else if pending.contains(&state) {
        Observed::Pending(text)
    } else {
        Observed::Effective(text)
    }
}

/// The contract state each result type reports. One arm per result type: a new type does not
/// compile until it says how its state reads.
fn observe(output: &AnyOutput, identity: &[(String, String)]) -> Observed {
    const PAPAY: (&[&str], &[&str]) = (&["TERMINATED"], &["TERMINATE_PENDING"]);
    match output {
        AnyOutput::NoContent => Observed::Terminated("204 No Content".to_owned(), None),
        // Echo-only answers of a successful termination.
        AnyOutput::PasswordExemptContract(_) | AnyOutput::CombinePapayContract(_) => {
            Observed::Terminated("200 OK".to_owned(), None)
        }
        AnyOutput::PapayContract(c) => papay_like(&c.contract_state, &c.contract_terminate_info),
        AnyOutput::PapayPartnerContract(c) => {
            papay_like(&c.contract_state, &c.contract_terminate_info)
        }
        AnyOutput::InsuranceContract(c) => {
            papay_like(&c.contract_state, &c.contract_terminate_info)
        }
        AnyOutput::CreditRepaymentTermination(t) => match &t.contract_info {
            Some(c) => by_state(
                "contract_state",
                &c.contract_state,
                &["CONTRACT_STATE_TERMINATED"],
                &[],
            ),
            None => Observed::Terminated("200 OK".to_owned(), None),
        },
        AnyOutput::CreditRepaymentContract(c) => by_state(
            "contract_state",
            &c.contract_state,
            &["CONTRACT_STATE_TERMINATED"],
            &[],
        )
        .ended_by(
            c.contract_terminated_mode.as_deref(),
            &["TERMINATION_MODE_BY_MERCHANT"],
        ),
        AnyOutput::TransferAuthorization(a) => by_state("state", &a.state, &["CLOSED"], &[])
            .ended_by(
                a.close_info.as_ref().map(|i| i.close_reason.as_str()),
                &["CLOSE_VIA_MCH_API"],
            ),
        AnyOutput::EmployeeRevocation(r) => by_state(
            "authorization_state",
            &r.authorization_state,
            &["REVOKED"],
            &[],
        ),
        AnyOutput::PasswordExemptContractDetails(c) => {
            let mode = c
                .contract_terminate_info
                .as_ref()
                .map(|i| i.contract_termination_mode.as_str());
            if c.contract_terminate_info.is_some() {
                Observed::Terminated(field_is("contract_state", &c.contract_state), None)
                    .ended_by(mode, PAPAY_BY_MERCHANT)
            } else {
                by_state("contract_state", &c.contract_state, PAPAY.0, PAPAY.1)
            }
        }
        AnyOutput::CombinePapayContractDetails(c) => {
            by_state("contract_state", &c.contract_state, &["TERMINATED"], &[]).ended_by(
                c.contract_terminate_info
                    .as_ref()
                    .map(|i| i.contract_termination_mode.as_str()),
                PAPAY_BY_MERCHANT,
            )
        }
        AnyOutput::GlobalPapayContract(c) => match (&c.state, &c.terminated_time) {
            (Some(state), _) => by_state("state", state, &["TERMINATED"], &[]),
            (None, Some(_)) => Observed::Terminated("terminated_time set".to_owned(), None),
            (None, None) => Observed::Effective("no state".to_owned()),
        }
        .ended_by(c.termination_mode.as_deref(), &["MERCHANT"]),
        AnyOutput::EduPapayContract(c) => by_state(
            "contract_status",
            &c.contract_information.contract_status,
            &["DELETE"],
            &[],
        ),
        AnyOutput::EduschoolpayContract(c) => {
            by_state("contract_status", &c.contract_status, &["DELETE"], &[])
        }
        AnyOutput::FacepayUser(u) => match &u.contract_state {
            Some(state) => by_state("contract_state", state, &["TERMINATED"], &[]),
            None => Observed::Effective("no contract_state".to_owned()),
        },
        AnyOutput::PayscorePermission(p) => by_state(
            "authorization_state",
            &p.authorization_state,
            &["UNAVAILABLE"],
            &[],
        ),
        AnyOutput::PayscoreUserServiceState(s) => by_state(
            "use_service_state",
            &s.use_service_state,
            &["UNAVAILABLE"],
            &[],
        ),
        AnyOutput::WebizpayEmployeeAuthorizations(list) => {
            let employee = identity
                .iter()
                .find(|(name, _)| name == "employee_id")
                .map(|(_, value)| value.as_str());
            match list
                .employee_list
                .iter()
                .find(|e| Some(e.employee_id.as_str()) == employee)
            {
                Some(e) => by_state(
                    "authorization_state",
                    &e.authorization_state,
                    &["REVOKED"],
                    &[],
                ),
                None => Observed::Effective("no authorization with this employee_id".to_owned()),
            }
        }
    }
}

/// Whether a notification's own fields say the contract ended (not merely changed). One arm
/// per termination event type.
fn reports_termination(resource: &NotificationResource) -> bool {
    match resource {
        NotificationResource::PapayTerminated(r) => r.contract_state == "TERMINATED",
        NotificationResource::InsuranceTerminated(r) => r.contract_state == "TERMINATED",
        NotificationResource::CombinePapayTerminated(_) => true,
        NotificationResource::CreditRepaymentTerminated(r) => {
            r.contract_state == "CONTRACT_STATE_TERMINATED"
        }
        NotificationResource::GlobalPapayTerminated(_) => true,
        NotificationResource::EduPapayReleased(r) => {
            r.contract_information.contract_status == "DELETE"
        }
        NotificationResource::PayscoreServiceClosed(r) => {
            r.user_service_status
                .as_deref()
                .is_none_or(|s| s == "USER_CLOSE_SERVICE")
                && r.contract_status.as_deref().is_none_or(|s| s == "DELETE")
        }
        // A state change without the new state: the query has to tell.
        NotificationResource::FacepayUserStateChanged(_) => false,
        NotificationResource::TransferAuthorizationClosed(r) => r.state == "CLOSED",
        NotificationResource::WebizpayRevoked(r) => r.authorization_state == "REVOKED",
        NotificationResource::Other { .. } => false,
    }
}

fn resource_fields(
    resource: &NotificationResource,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let value = match resource {
        NotificationResource::PapayTerminated(r) => serde_json::to_value(r),
        NotificationResource::InsuranceTerminated(r) => serde_json::to_value(r),
        NotificationResource::CombinePapayTerminated(r) => serde_json::to_value(r),
        NotificationResource::CreditRepaymentTerminated(r) => serde_json::to_value(r),
        NotificationResource::GlobalPapayTerminated(r) => serde_json::to_value(r),
        NotificationResource::EduPapayReleased(r) => serde_json::to_value(r),
        NotificationResource::PayscoreServiceClosed(r) => serde_json::to_value(r),
        NotificationResource::FacepayUserStateChanged(r) => serde_json::to_value(r),
        NotificationResource::TransferAuthorizationClosed(r) => serde_json::to_value(r),
        NotificationResource::WebizpayRevoked(r) => serde_json::to_value(r),
        NotificationResource::Other { .. } => return None,
    };
    match value {
        Ok(serde_json::Value::Object(mut map)) => {
            // `contract_information.contract_id` identifies edu-papay contracts.
            if let Some(id) = map
                .get("contract_information")
                .and_then(|info| info.get("contract_id"))
                .cloned()
            {
                map.entry("contract_id").or_insert(id);
            }
            Some(map)
        }
        _ => None,
    }
}
