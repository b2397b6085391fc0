//! Terminate-and-confirm: every branch of the recipe, with answers signed by the test
//! WeChat Pay key, so the machine sees exactly what a host would hand it.
#![allow(clippy::unwrap_used, clippy::panic)]

use serde_json::json;
use wxpay_terminate::notification::PapayTerminated;
use wxpay_terminate::{
    Client, ConfirmPolicy, ErrorKind, EvidenceSource, Notification, NotificationResource,
    OutcomeKind, Purpose, Request, Step, Termination,
};

mod common;
use common::{Answer, T0, api_error, client, signed};

fn papay(state: &str) -> String {
    papay_by(state, "MCH_API_TERMINATE")
}

fn papay_by(state: &str, mode: &str) -> String {
    let terminate_info = if state == "TERMINATED" {
        json!({"contract_termination_mode": mode, "contract_terminated_time": "2023-11-15T06:13:20+08:00"})
    } else {
        serde_json::Value::Null
    };
    let mut body = json!({
        "mchid": "1900007291", "contract_id": "Wx15463511252015071056489715", "appid": "wxd678efh567hg6787",
        "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_display_account": "微信代扣",
        "contract_state": state, "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    });
    if !terminate_info.is_null() {
        body["contract_terminate_info"] = terminate_info;
    }
    body.to_string()
}

fn papay_termination() -> Termination {
    Termination::new(
        "terminate_papay_contract",
        json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}),
        None,
        ConfirmPolicy::default(),
    )
    .unwrap()
}

struct Run {
    client: Client,
    machine: Termination,
    now_ms: i64,
    sent: Vec<(Purpose, Request)>,
    nonce: u32,
}

impl Run {
    fn new(machine: Termination) -> Run {
        Run {
            client: client(),
            machine,
            now_ms: T0,
            sent: Vec::new(),
            nonce: 0,
        }
    }

    /// Advances through waits to the next send (or the end); returns its purpose.
    fn send(&mut self) -> Option<Purpose> {
        loop {
            self.nonce += 1;
            let nonce = format!("N{:031}", self.nonce);
            match self
                .machine
                .next(&self.client, self.now_ms, &nonce)
                .unwrap()
            {
                Step::Send {
                    request,
                    purpose,
                    attempt,
                } => {
                    assert_eq!(
                        attempt as usize,
                        self.sent.iter().filter(|(p, _)| *p == purpose).count() + 1
                    );
                    self.sent.push((purpose, request));
                    return Some(purpose);
                }
                Step::Wait { until_ms } => {
                    assert!(until_ms > self.now_ms, "a wait must be in the future");
                    self.now_ms = until_ms;
                }
                Step::Done(_) => return None,
            }
        }
    }

    fn answer(&mut self, answer: Answer) {
        let (status, headers, body) = answer;
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.machine
            .on_response(&self.client, status, pairs, &body, self.now_ms)
            .unwrap();
    }

    fn lose(&mut self) {
        self.machine.on_transport_error(self.now_ms).unwrap();
    }

    fn outcome(&mut self) -> wxpay_terminate::Outcome {
        assert_eq!(
            self.send(),
            None,
            "expected the end, the machine wants to send"
        );
        self.machine.outcome().cloned().unwrap()
    }

    fn purposes(&self) -> Vec<Purpose> {
        self.sent.iter().map(|(p, _)| *p).collect()
    }
}

use Purpose::{Query, Terminate};

#[test]
fn success_is_confirmed_by_the_terminate_answer() {
    let mut run = Run::new(papay_termination());
    assert_eq!(run.send(), Some(Terminate));
    let request = &run.sent[0].1;
    assert_eq!(request.method().as_str(), "POST");
    assert!(
        request
            .url()
            .ends_with("/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate")
    );
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    let evidence = outcome.evidence.unwrap();
    assert_eq!(evidence.source, EvidenceSource::TerminateResponse);
    assert_eq!(evidence.status, Some(200));
    assert_eq!(
        evidence.request_id.as_deref(),
        Some("REQ-200-1700000000000")
    );
    assert_eq!(
        evidence.state.as_deref(),
        Some("contract_state TERMINATED (MCH_API_TERMINATE)")
    );
    assert_eq!((outcome.terminate_sends, outcome.query_sends), (1, 0));
}

#[test]
fn a_lost_answer_is_resolved_by_the_query_not_by_a_resend() {
    let mut run = Run::new(papay_termination());
    assert_eq!(run.send(), Some(Terminate));
    run.lose(); // the server applied it, the answer never came
    assert_eq!(run.send(), Some(Query));
    let query = &run.sent[1].1;
    assert_eq!(query.method().as_str(), "GET");
    assert!(query.url().ends_with(
        "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000"
    ));
    assert_eq!(query.body(), None);
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    assert_eq!(
        outcome.evidence.unwrap().source,
        EvidenceSource::QueryResponse
    );
    assert_eq!(run.purposes(), [Terminate, Query]);
}

#[test]
fn after_a_lost_answer_the_termination_mode_tells_who_ended_it() {
    // The user ended it before our request landed: the query says USER_TERMINATE.
    let mut run = Run::new(papay_termination());
    run.send();
    run.lose();
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &papay_by("TERMINATED", "USER_TERMINATE"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::AlreadyTerminated);
    assert_eq!(
        outcome.evidence.unwrap().state.as_deref(),
        Some("contract_state TERMINATED (USER_TERMINATE)")
    );
    // A refusal followed by MCH_API_TERMINATE: an earlier request of ours ended it.
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST"));
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);
}

#[test]
fn a_lost_terminate_that_did_not_happen_is_sent_again_after_the_query() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.lose(); // reset before the server applied it
    assert_eq!(run.send(), Some(Query));
    let now = run.now_ms;
    run.answer(signed(200, &papay("SIGNED"), now));
    assert_eq!(run.send(), Some(Terminate));
    // Within the reuse window the very same signed request goes again.
    assert_eq!(run.sent[2].1, run.sent[0].1);
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    assert_eq!((outcome.terminate_sends, outcome.query_sends), (2, 1));
}

#[test]
fn rate_limits_back_off_and_resend_the_same_signed_request_while_fresh() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(429, "RATELIMIT_EXCEEDED"));
    let before = run.now_ms;
    assert_eq!(run.send(), Some(Terminate));
    let waited = run.now_ms - before;
    assert!(
        (500..=1_000).contains(&waited),
        "first back-off is 0.5–1 s, waited {waited} ms"
    );
    assert_eq!(
        run.sent[1].1, run.sent[0].1,
        "same Authorization, same nonce"
    );
    run.answer(api_error(429, "RATELIMIT_EXCEEDED"));
    let before = run.now_ms;
    run.send();
    assert!((1_000..=2_000).contains(&(run.now_ms - before)), "doubled");
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);
    assert_eq!(run.purposes(), [Terminate, Terminate, Terminate]);
}

/// FNV-1a (32-bit) of a nonce: the machine draws its back-off jitter from the host's nonces (it
/// reads no RNG), so a run replayed with the same nonces waits exactly the same.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811C_9DC5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[test]
fn back_off_is_equal_jitter_drawn_from_the_nonces_exactly() {
    // Default policy: 1 s, doubling. Each wait is half the base plus (seed mod half + 1), the
    // seed folding in the nonce of every `next` that went past a wait (rotate 7, xor).
    let mut run = Run::new(papay_termination());
    run.send(); // nonce 1
    let mut seed = fnv1a(&format!("N{:031}", 1));
    run.answer(api_error(429, "RATELIMIT_EXCEEDED"));
    let before = run.now_ms;
    run.send(); // nonce 2: a wait; nonce 3: the resend
    assert_eq!(run.now_ms - before, 500 + i64::from(seed % 501));
    seed = seed.rotate_left(7) ^ fnv1a(&format!("N{:031}", 3));
    run.answer(api_error(500, "SYSTEM_ERROR"));
    let before = run.now_ms;
    run.send(); // nonce 4: a wait; nonce 5: the resend
    assert_eq!(run.now_ms - before, 1_000 + i64::from(seed % 1_001));
}

#[test]
fn a_stale_signed_request_is_signed_again() {
    let policy = ConfirmPolicy {
        backoff_initial_ms: 300_000,
        backoff_max_ms: 600_000,
        ..Default::default()
    };
    let machine = Termination::new(
        "terminate_papay_contract",
        json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}),
        None,
        policy,
    )
    .unwrap();
    let mut run = Run::new(machine);
    run.send();
    run.answer(api_error(503, "SYSTEM_ERROR"));
    run.send();
    assert!(run.now_ms - T0 > 240_000);
    let (first, second) = (&run.sent[0].1, &run.sent[1].1);
    assert_eq!(first.url(), second.url());
    assert_eq!(first.body(), second.body());
    assert_ne!(
        first.header("Authorization"),
        second.header("Authorization")
    );
}

#[test]
fn server_errors_until_the_budget_is_spent_end_in_a_query_not_a_guess() {
    let mut run = Run::new(papay_termination());
    for _ in 0..6 {
        assert_eq!(run.send(), Some(Terminate));
        run.answer(api_error(500, "SYSTEM_ERROR"));
    }
    // A 5xx may have been applied: the query decides.
    assert_eq!(run.send(), Some(Query));
    let now = run.now_ms;
    run.answer(signed(200, &papay("SIGNED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(
        outcome
            .reason
            .contains("gave up after 6 terminate requests"),
        "{}",
        outcome.reason
    );
    assert_eq!(outcome.error.unwrap().code.as_deref(), Some("SYSTEM_ERROR"));
}

#[test]
fn rate_limited_until_the_budget_is_spent_fails_without_a_query() {
    let mut run = Run::new(papay_termination());
    for _ in 0..6 {
        run.send();
        run.answer(api_error(429, "RATELIMIT_EXCEEDED"));
    }
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert_eq!(
        run.purposes(),
        [Terminate; 6],
        "a 429 is never applied, so nothing to query"
    );
}

#[test]
fn a_refusal_is_explained_by_the_query() {
    // The user had already ended it: the terminate is refused, the query shows TERMINATED.
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST"));
    assert_eq!(run.send(), Some(Query));
    let now = run.now_ms;
    run.answer(signed(200, &papay_by("TERMINATED", "USER_TERMINATE"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::AlreadyTerminated);
    assert_eq!(
        outcome.error.unwrap().code.as_deref(),
        Some("INVALID_REQUEST")
    );

    // Refused while still effective: failed, with the refusal.
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(403, "NO_AUTH"));
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &papay("SIGNED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(
        outcome.reason.contains("HTTP 403 NO_AUTH"),
        "{}",
        outcome.reason
    );
    assert!(
        outcome.reason.contains("contract_state SIGNED"),
        "{}",
        outcome.reason
    );
}

#[test]
fn a_refusal_after_a_lost_attempt_is_terminated_not_already_terminated() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(502, "SERVICE_UNAVAILABLE")); // may have been applied
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST")); // "协议已解约": by our first send
    assert_eq!(run.send(), Some(Query));
    let now = run.now_ms;
    run.answer(signed(200, &papay("TERMINATED"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);
}

#[test]
fn not_found_and_unauthorised_end_at_once() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(404, "NOT_FOUND"));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::NotFound);
    assert_eq!(
        outcome.evidence.unwrap().state.as_deref(),
        Some("NOT_FOUND")
    );

    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(401, "SIGN_ERROR"));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert_eq!(run.purposes(), [Terminate]);
}

#[test]
fn answers_that_do_not_verify_are_treated_as_lost() {
    for spoil in ["probe", "tampered", "unsigned", "skew"] {
        let mut run = Run::new(papay_termination());
        run.send();
        let now = run.now_ms;
        let (status, mut headers, mut body) = signed(200, &papay("TERMINATED"), now);
        match spoil {
            "probe" => headers[4].1 = "WECHATPAY/SIGNTEST/AAAA".to_owned(),
            "tampered" => body[10] ^= 1,
            "unsigned" => headers.truncate(1),
            _ => {
                let skewed = signed(200, &papay("TERMINATED"), now - 600_000);
                headers = skewed.1;
            }
        }
        run.answer((status, headers, body));
        assert_eq!(run.send(), Some(Query), "{spoil}");
        let last = run.machine.last_error().unwrap().kind.clone();
        assert_ne!(last, "api", "{spoil}");
        let now = run.now_ms;
        run.answer(signed(200, &papay("TERMINATED"), now));
        let outcome = run.outcome();
        assert_eq!(outcome.kind, OutcomeKind::Terminated, "{spoil}");
        assert_eq!(
            outcome.evidence.unwrap().source,
            EvidenceSource::QueryResponse,
            "{spoil}"
        );
    }
}

#[test]
fn an_unanswered_query_is_retried_then_reported_unconfirmed() {
    let policy = ConfirmPolicy {
        max_query_sends: 3,
        ..Default::default()
    };
    let machine = Termination::new(
        "terminate_papay_contract",
        json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "r"}),
        None,
        policy,
    )
    .unwrap();
    let mut run = Run::new(machine);
    run.send();
    run.lose();
    for _ in 0..3 {
        assert_eq!(run.send(), Some(Query));
        run.lose();
    }
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(
        outcome.reason.starts_with("not confirmed"),
        "{}",
        outcome.reason
    );
    assert_eq!(run.purposes(), [Terminate, Query, Query, Query]);
}

#[test]
fn a_pending_termination_is_polled_until_it_settles() {
    let body = |state: &str| {
        json!({"mchid": "1900007291", "contract_id": "C1", "appid": "wx1", "plan_id": 12535,
               "out_contract_code": "insur20240101000001", "contract_state": state, "openid": "o1"})
        .to_string()
    };
    let machine = Termination::new(
        "terminate_papay_insurance_contract",
        json!({"plan_id": 12535, "out_contract_code": "insur20240101000001", "contract_termination_remark": "r"}),
        None,
        ConfirmPolicy::default(),
    )
    .unwrap();
    let mut run = Run::new(machine);
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &body("TERMINATE_PENDING"), now));
    let before = run.now_ms;
    assert_eq!(run.send(), Some(Query));
    assert_eq!(run.now_ms - before, 30_000, "the pending poll interval");
    let now = run.now_ms;
    run.answer(signed(200, &body("TERMINATE_PENDING"), now));
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &body("TERMINATED"), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    assert_eq!(run.purposes(), [Terminate, Query, Query]);
}

#[test]
fn a_journal_holds_no_signature_and_a_request_in_flight_resumes_as_lost() {
    let mut run = Run::new(papay_termination());
    run.send();
    let saved = run.machine.to_json();
    let authorization = run.sent[0].1.header("Authorization").unwrap().to_owned();
    let signature = authorization
        .split("signature=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        !saved.contains(signature) && !saved.contains("WECHATPAY2"),
        "{saved}"
    );
    // The process dies here; a new one restores the journal entry.
    let mut resumed = Run::new(Termination::from_json(&saved).unwrap());
    assert_eq!(resumed.machine.in_flight(), None);
    assert_eq!(
        resumed.send(),
        Some(Query),
        "the resumed run queries before it resends"
    );
    let now = resumed.now_ms;
    resumed.answer(signed(200, &papay("TERMINATED"), now));
    assert_eq!(resumed.outcome().kind, OutcomeKind::Terminated);

    assert_eq!(
        Termination::from_json("{").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

fn papay_notification(out_contract_code: &str, state: &str) -> Notification {
    let resource: PapayTerminated = serde_json::from_value(json!({
        "contract_id": "Wx15463511252015071056489715", "plan_id": 12535,
        "out_contract_code": out_contract_code, "contract_state": state,
        "contract_terminate_info": {"contract_termination_mode": "USER_TERMINATE"},
    }))
    .unwrap();
    Notification {
        id: "EV-2018-022511223320873".into(),
        create_time: "2023-11-15T06:13:20+08:00".into(),
        event_type: "ENTRUST.TERMINATE".into(),
        resource_type: "encrypt-resource".into(),
        summary: None,
        original_type: Some("entrust".into()),
        resource: NotificationResource::PapayTerminated(resource),
    }
}

#[test]
fn a_matching_termination_notification_confirms_it() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.lose();
    assert!(!run.machine.on_notification(
        &papay_notification("wxwtdk20200910100009", "TERMINATED"),
        run.now_ms
    ));
    assert!(!run.machine.on_notification(
        &papay_notification("wxwtdk20200910100000", "SIGNED"),
        run.now_ms
    ));
    assert!(run.machine.on_notification(
        &papay_notification("wxwtdk20200910100000", "TERMINATED"),
        run.now_ms
    ));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    let evidence = outcome.evidence.unwrap();
    assert_eq!(evidence.source, EvidenceSource::Notification);
    assert_eq!(
        evidence.notification_id.as_deref(),
        Some("EV-2018-022511223320873")
    );
    // A late answer to a request that was in flight changes nothing.
    let mut late = Run::new(papay_termination());
    late.send();
    assert!(late.machine.on_notification(
        &papay_notification("wxwtdk20200910100000", "TERMINATED"),
        late.now_ms
    ));
    late.machine.on_transport_error(late.now_ms).unwrap();
    assert_eq!(late.outcome().kind, OutcomeKind::Terminated);
}

#[test]
fn query_params_come_from_the_terminate_or_must_be_given() {
    // Face pay's query is keyed by out_user_id, which the termination does not take.
    let params = json!({"organization_id": "1000032", "user_id": "FACEUSER0000000001"});
    let err = Termination::new(
        "terminate_facepay_user_contract",
        params.clone(),
        None,
        ConfirmPolicy::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("out_user_id"));
    assert!(
        err.message().contains("query_facepay_user"),
        "{}",
        err.message()
    );
    let machine = Termination::new(
        "terminate_facepay_user_contract",
        params,
        Some(json!({"out_user_id": "student-0001"})),
        ConfirmPolicy::default(),
    )
    .unwrap();
    assert_eq!(machine.query_operation(), "query_facepay_user");

    // Partner papay: sub_mchid moves from the body to the query string.
    let mut run = Run::new(
        Termination::new(
            "terminate_papay_partner_contract",
            json!({"plan_id": 12535, "out_contract_code": "c1", "sub_mchid": "1900000109", "contract_termination_remark": "r"}),
            None,
            ConfirmPolicy::default(),
        )
        .unwrap(),
    );
    run.send();
    run.lose();
    run.send();
    assert!(
        run.sent[1]
            .1
            .url()
            .ends_with("/out-contract-code/c1?sub_mchid=1900000109"),
        "{}",
        run.sent[1].1.url()
    );

    // Bad input is refused before anything is built.
    for (op, params) in [
        (
            "terminate_papay_contract",
            json!({"plan_id": 1, "out_contract_code": "x"}),
        ),
        (
            "query_papay_contract",
            json!({"plan_id": 1, "out_contract_code": "x"}),
        ),
        ("no_such_operation", json!({})),
    ] {
        let err = Termination::new(op, params, None, ConfirmPolicy::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{op}");
    }
    let err = ConfirmPolicy::from_json(json!({"max_query_sends": -1})).unwrap_err();
    assert_eq!(err.field(), Some("policy"));
}

#[test]
fn a_query_404_confirms_only_where_the_docs_say_terminated_contracts_vanish() {
    // edu-papay: older pages answer a terminated contract with an error.
    let mut run = Run::new(
        Termination::new(
            "terminate_edu_papay_contract",
            json!({"contract_id": "204009101000000000000001"}),
            Some(json!({"appid": "wxd678efh567hg6787"})),
            ConfirmPolicy::default(),
        )
        .unwrap(),
    );
    run.send();
    run.lose();
    run.send();
    assert!(
        run.sent[1].1.url().ends_with(
            "/v3/edu-papay/contracts/id/204009101000000000000001?appid=wxd678efh567hg6787"
        )
    );
    run.answer(api_error(404, "NOT_FOUND"));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);

    // papay: a 404 from the query means there is no such contract.
    let mut run = Run::new(papay_termination());
    run.send();
    run.lose();
    run.send();
    run.answer(api_error(404, "NOT_FOUND"));
    assert_eq!(run.outcome().kind, OutcomeKind::NotFound);
}

#[test]
fn webizpay_reads_the_entry_of_the_revoked_employee() {
    let mut run = Run::new(
        Termination::new(
            "revoke_webizpay_employee",
            json!({"employee_id": "WeBizPay_b", "sp_mchid": "1900007291", "sub_mchid": "43214321"}),
            Some(json!({"user_id": "employee123"})),
            ConfirmPolicy::default(),
        )
        .unwrap(),
    );
    run.send();
    run.lose();
    run.send();
    let now = run.now_ms;
    let list = json!({"sp_mchid": "1900007291", "sub_mchid": "43214321", "user_id": "employee123", "employee_list": [
        {"employee_id": "WeBizPay_a", "authorization_state": "REVOKED"},
        {"employee_id": "WeBizPay_b", "authorization_state": "AUTHORIZED"},
    ]});
    run.answer(signed(200, &list.to_string(), now));
    assert_eq!(
        run.send(),
        Some(Terminate),
        "WeBizPay_b is still authorized"
    );
}

#[test]
fn a_typed_termination_gives_the_same_machine_as_its_params_by_id() {
    let typed = wxpay_terminate::AnyOperation::from(wxpay_terminate::TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    });
    let machine = Termination::of(&typed, None, ConfirmPolicy::default()).unwrap();
    assert_eq!(machine.to_json(), papay_termination().to_json());
    let partner = wxpay_terminate::AnyOperation::from(wxpay_terminate::QueryGlobalPapayContract {
        contract_id: "1".into(),
        appid: None,
        sub_mchid: Some("2".into()),
        sp_appid: Some("wx3".into()),
        sub_appid: None,
    });
    assert_eq!(
        partner.params_json(),
        json!({"contract_id": "1", "sub_mchid": "2", "sp_appid": "wx3"})
    );
    // A query is not a termination.
    let err = Termination::of(&partner, None, ConfirmPolicy::default()).unwrap_err();
    assert_eq!(err.field(), Some("operation"));
}

#[test]
fn misuse_is_a_typed_error() {
    let mut machine = papay_termination();
    let err = machine.on_transport_error(T0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let client = client();
    assert!(matches!(
        machine.next(&client, T0, "N1").unwrap(),
        Step::Send { .. }
    ));
    let err = machine.next(&client, T0, "N2").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let bad = machine.next(&client, T0, "bad nonce");
    assert!(bad.is_err());
}

// ---- the details cargo-mutants found untested ----------------------------------------------

fn machine(
    operation: &str,
    params: serde_json::Value,
    query: Option<serde_json::Value>,
) -> Termination {
    Termination::new(operation, params, query, ConfirmPolicy::default()).unwrap()
}

#[test]
fn names_and_accessors_report_what_they_hold() {
    assert_eq!(
        [
            OutcomeKind::Terminated,
            OutcomeKind::AlreadyTerminated,
            OutcomeKind::NotFound,
            OutcomeKind::Failed
        ]
        .map(OutcomeKind::as_str),
        ["terminated", "already_terminated", "not_found", "failed"]
    );
    let mut run = Run::new(papay_termination());
    assert_eq!(run.machine.operation(), "terminate_papay_contract");
    assert_eq!(run.machine.query_operation(), "query_papay_contract");
    assert_eq!(run.machine.in_flight(), None);
    run.send();
    assert_eq!(run.machine.in_flight(), Some(Terminate));
    run.lose();
    run.send();
    assert_eq!(run.machine.in_flight(), Some(Query));
}

#[test]
fn pending_answers_are_polled_exactly_max_pending_polls_times() {
    let policy = ConfirmPolicy {
        max_pending_polls: 2,
        ..Default::default()
    };
    let body = json!({"mchid": "1900007291", "contract_id": "C1", "appid": "wx1", "plan_id": 12535,
                      "out_contract_code": "c1", "contract_state": "TERMINATE_PENDING", "openid": "o1"})
    .to_string();
    let machine = Termination::new(
        "terminate_papay_insurance_contract",
        json!({"plan_id": 12535, "out_contract_code": "c1", "contract_termination_remark": "r"}),
        None,
        policy,
    )
    .unwrap();
    let mut run = Run::new(machine);
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &body, now)); // pending answer 1
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &body, now)); // pending answer 2: still within the limit
    assert_eq!(run.send(), Some(Query));
    let now = run.now_ms;
    run.answer(signed(200, &body, now)); // 3 > 2
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(
        outcome.reason.starts_with("still pending after 3 answers"),
        "{}",
        outcome.reason
    );
}

fn payscore() -> Termination {
    machine(
        "terminate_payscore_permission_by_authorization_code",
        json!({"authorization_code": "authcode1", "service_id": "500001", "reason": "r"}),
        None,
    )
}

fn payscore_state(state: &str) -> String {
    json!({"service_id": "500001", "appid": "wx1", "mchid": "1900007291", "authorization_code": "authcode1",
           "authorization_state": state})
    .to_string()
}

#[test]
fn without_a_termination_mode_a_refusal_alone_means_already_terminated() {
    // Pay-score answers say UNAVAILABLE but not who revoked it.
    let mut run = Run::new(payscore());
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST"));
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &payscore_state("UNAVAILABLE"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::AlreadyTerminated);

    let mut run = Run::new(payscore());
    run.send();
    run.lose();
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &payscore_state("UNAVAILABLE"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);

    // A 5xx that may have been applied, then a refusal: our first send ended it.
    let mut run = Run::new(payscore());
    run.send();
    run.answer(api_error(503, "SYSTEM_ERROR"));
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST"));
    run.send();
    let now = run.now_ms;
    run.answer(signed(200, &payscore_state("UNAVAILABLE"), now));
    assert_eq!(run.outcome().kind, OutcomeKind::Terminated);
}

#[test]
fn a_notification_after_a_refusal_means_already_terminated() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer(api_error(400, "INVALID_REQUEST"));
    let notification = papay_notification("wxwtdk20200910100000", "TERMINATED");
    assert!(run.machine.on_notification(&notification, run.now_ms));
    assert_eq!(run.outcome().kind, OutcomeKind::AlreadyTerminated);
}

#[test]
fn a_refused_query_is_unconfirmed_not_a_404() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.lose();
    run.send();
    run.answer(api_error(403, "NO_AUTH"));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(
        outcome
            .reason
            .starts_with("not confirmed: query_papay_contract was refused (HTTP 403 NO_AUTH)"),
        "{}",
        outcome.reason
    );
}

#[test]
fn a_reason_names_the_status_when_the_error_body_had_no_code() {
    let mut run = Run::new(papay_termination());
    run.send();
    run.answer((
        401,
        vec![("Request-ID".to_owned(), "R".to_owned())],
        b"<html>".to_vec(),
    ));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert!(outcome.reason.contains("(HTTP 401)"), "{}", outcome.reason);
}

fn papay_resource(fields: serde_json::Value) -> Notification {
    let mut n = papay_notification("wxwtdk20200910100000", "TERMINATED");
    let mut value = n.to_json();
    for (k, v) in fields.as_object().unwrap() {
        value["resource"][k] = v.clone();
    }
    n = Notification::from_json(&value).unwrap();
    n
}

#[test]
fn a_notification_must_agree_on_every_identifying_field_it_carries() {
    let papay = papay_termination();
    assert!(papay.matches(&papay_resource(json!({}))));
    // The same code under another plan is another contract (plan_id compared as a number).
    assert!(!papay.matches(&papay_resource(json!({"plan_id": 99999}))));
    // Partner papay: sub_mchid, which the termination sends in its body, is checked too.
    let partner = machine(
        "terminate_papay_partner_contract",
        json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "sub_mchid": "1900000109",
               "contract_termination_remark": "r"}),
        None,
    );
    assert!(partner.matches(&papay_resource(json!({"sub_mchid": "1900000109"}))));
    assert!(!partner.matches(&papay_resource(json!({"sub_mchid": "1900000110"}))));
    // Fields shared by many contracts (the service) do not identify one.
    let closed = |resource: serde_json::Value| {
        Notification::from_json(
            &json!({"id": "E", "create_time": "t", "event_type": "PAYSCORE.USER_CLOSE_SERVICE",
                                        "resource_type": "encrypt-resource", "resource": resource}),
        )
        .unwrap()
    };
    let payscore = payscore();
    assert!(!payscore.matches(&closed(json!({"service_id": "500001"}))));
    assert!(payscore.matches(&closed(
        json!({"service_id": "500001", "authorization_code": "authcode1"})
    )));
    assert!(!payscore.matches(&closed(
        json!({"service_id": "500001", "authorization_code": "authcode1",
                                             "user_service_status": "USER_OPEN_SERVICE"})
    )));
}

#[test]
fn each_event_type_confirms_only_the_end_it_reports() {
    let cases: [(
        &str,
        serde_json::Value,
        serde_json::Value,
        &str,
        serde_json::Value,
    ); 8] = [
        (
            "ENTRUST.TERMINATE",
            json!({"contract_id": "C", "plan_id": 12535, "out_contract_code": "c1", "contract_state": "TERMINATED"}),
            json!({"contract_state": "SIGNED"}),
            "terminate_papay_contract",
            json!({"plan_id": 12535, "out_contract_code": "c1", "contract_termination_remark": "r"}),
        ),
        (
            "INSURANCE_ENTRUST.TERMINATE",
            json!({"mchid": "1", "contract_id": "C", "appid": "wx", "plan_id": 12535, "out_contract_code": "c1",
                "contract_state": "TERMINATED", "openid": "o"}),
            json!({"contract_state": "TERMINATE_PENDING"}),
            "terminate_papay_insurance_contract",
            json!({"plan_id": 12535, "out_contract_code": "c1", "contract_termination_remark": "r"}),
        ),
        (
            "CREDIT_REPAYMENT.TERMINATE_CONTRACT",
            json!({"contract_id": "C", "plan_id": "1", "out_contract_code": "100001256", "contract_state": "CONTRACT_STATE_TERMINATED"}),
            json!({"contract_state": "CONTRACT_STATE_EFFECTIVE"}),
            "terminate_credit_repayment_contract",
            json!({"out_contract_code": "100001256", "contract_termination_remark": "r"}),
        ),
        (
            "ENTRUST.RELEASE",
            json!({"contract_information": {"contract_id": "204009101000000000000001", "contract_status": "DELETE"}}),
            json!({"contract_information": {"contract_id": "204009101000000000000001", "contract_status": "ADD"}}),
            "terminate_edu_papay_contract",
            json!({"contract_id": "204009101000000000000001"}),
        ),
        (
            "PAYSCORE.USER_CLOSE_SERVICE",
            json!({"service_id": "500001", "authorization_code": "authcode1", "user_service_status": "USER_CLOSE_SERVICE"}),
            json!({"user_service_status": "USER_OPEN_SERVICE"}),
            "terminate_payscore_permission_by_authorization_code",
            json!({"authorization_code": "authcode1", "service_id": "500001", "reason": "r"}),
        ),
        (
            "PAYSCORE.USER_CLOSE_SERVICE",
            json!({"service_id": "1", "contract_id": "2045011120563805041758214605", "contract_status": "DELETE"}),
            json!({"contract_status": "ADD"}),
            "terminate_eduschoolpay_contract",
            json!({"contract_id": "2045011120563805041758214605"}),
        ),
        (
            "MCHTRANSFER.AUTHORIZATION.CLOSED",
            json!({"out_authorization_no": "plfk1", "state": "CLOSED"}),
            json!({"state": "TAKING_EFFECT"}),
            "close_transfer_authorization",
            json!({"out_authorization_no": "plfk1"}),
        ),
        (
            "WEBIZPAY.REVOKED",
            json!({"sub_mchid": "43214321", "user_id": "employee123", "authorization_state": "REVOKED"}),
            json!({"authorization_state": "AUTHORIZED"}),
            "revoke_webizpay_employee",
            json!({"employee_id": "WeBizPay_a", "sp_mchid": "1900007291", "sub_mchid": "43214321"}),
        ),
    ];
    for (event, ended, change, operation, params) in cases {
        let query = match operation {
            "terminate_edu_papay_contract" => Some(json!({"appid": "wx1"})),
            "revoke_webizpay_employee" => Some(json!({"user_id": "employee123"})),
            _ => None,
        };
        let machine = machine(operation, params, query);
        let notification = |resource: &serde_json::Value| {
            Notification::from_json(&json!({"id": "E", "create_time": "t", "event_type": event,
                                            "resource_type": "encrypt-resource", "resource": resource}))
            .unwrap()
        };
        assert!(
            machine.matches(&notification(&ended)),
            "{event} confirms {operation}"
        );
        let mut other = ended.clone();
        for (k, v) in change.as_object().unwrap() {
            other[k] = v.clone();
        }
        assert!(
            !machine.matches(&notification(&other)),
            "{event} with {change} does not"
        );
    }
}

#[test]
fn webizpay_confirms_when_the_revoked_employee_reads_revoked() {
    let mut run = Run::new(machine(
        "revoke_webizpay_employee",
        json!({"employee_id": "WeBizPay_b", "sp_mchid": "1900007291", "sub_mchid": "43214321"}),
        Some(json!({"user_id": "employee123"})),
    ));
    run.send();
    run.lose();
    run.send();
    let now = run.now_ms;
    let list = json!({"sp_mchid": "1900007291", "sub_mchid": "43214321", "user_id": "employee123", "employee_list": [
        {"employee_id": "WeBizPay_a", "authorization_state": "AUTHORIZED"},
        {"employee_id": "WeBizPay_b", "authorization_state": "REVOKED"},
    ]});
    run.answer(signed(200, &list.to_string(), now));
    let outcome = run.outcome();
    assert_eq!(outcome.kind, OutcomeKind::Terminated);
    assert_eq!(
        outcome.evidence.unwrap().state.as_deref(),
        Some("authorization_state REVOKED")
    );
}
