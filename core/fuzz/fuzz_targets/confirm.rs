//! The terminate-and-confirm machine under arbitrary journals and arbitrary event sequences.
//!
//! Input: `[mode][journal or script]`. Mode 0: the rest is a journal → `Termination::from_json`
//! (a corrupted or hand-edited journal must be `invalid_input`, never a panic), then the script
//! runs on it when it loads. Other modes: a papay termination, then the bytes are a script of
//! events — `next` (the clock moves on), a verified answer with a fuzzer-chosen body, an error
//! record of any kind and status, a lost answer, a notification from fuzzer-chosen JSON, a
//! save/restore through the journal.
//!
//! Invariants: nothing panics; a step is `Send` only while undecided and while no answer is
//! awaited; an outcome never changes once reached; `terminated`, `already_terminated` and
//! `not_found` always carry evidence; the sends never exceed the policy; a saved machine restores.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::crypto::Signer;
use wxpay_terminate::{
    Client, ClientConfig, ConfirmPolicy, ErrorKind, ErrorRecord, Notification, OutcomeKind, Step,
    Termination,
};

/// RSA is not under test here (the `response` and `keys` targets cover it): a constant
/// "signature" keeps the machine's own logic at thousands of runs per second.
struct ConstantSigner;

impl Signer for ConstantSigner {
    fn sign(&self, _message: &[u8]) -> wxpay_terminate::Result<Vec<u8>> {
        Ok(vec![7; 256])
    }
}

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let config = ClientConfig {
            mchid: "1900007291".into(),
            serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
            platform_certificates: Vec::new(),
            ..Default::default()
        };
        Client::new(&ClientConfig {
            wechatpay_public_key_id: Some("PUB_KEY_ID_0119000072912025112400000000000001".into()),
            wechatpay_public_key: Some(
                std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/keys/wechatpay_public_key.pem"))
                    .expect("test key")
                    .into(),
            ),
            ..config
        })
        .expect("a client")
        .with_signer(Arc::new(ConstantSigner))
    })
}

const KINDS: [&str; 8] = [
    "api",
    "invalid_signature",
    "signature_probe",
    "unknown_serial",
    "unsigned_response",
    "clock_skew",
    "decode",
    "invalid_input",
];
const STATUSES: [u16; 8] = [400, 401, 403, 404, 429, 500, 502, 503];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let client = client();
    let policy = ConfirmPolicy {
        max_terminate_sends: 4,
        max_query_sends: 5,
        max_pending_polls: 3,
        ..ConfirmPolicy::default()
    };
    let (mut machine, script) = if mode == 0 {
        let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let Ok(journal) = std::str::from_utf8(&rest[..split]) else {
            return;
        };
        match Termination::from_json(journal) {
            Ok(machine) => (machine, rest.get(split + 1..).unwrap_or_default()),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidInput);
                return;
            }
        }
    } else {
        static PAPAY: OnceLock<Termination> = OnceLock::new();
        let machine = PAPAY
            .get_or_init(|| {
                Termination::new(
                    "terminate_papay_contract",
                    serde_json::json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
                                       "contract_termination_remark": "r"}),
                    None,
                    ConfirmPolicy {
                        max_terminate_sends: 4,
                        max_query_sends: 5,
                        max_pending_polls: 3,
                        ..ConfirmPolicy::default()
                    },
                )
                .expect("a valid termination")
            })
            .clone();
        (machine, rest)
    };
    // A fuzzed journal may carry any policy: a bounded script keeps every run short (the
    // interesting sequences are a few dozen events long; the policy caps sends at 4 + 5).
    const MAX_EVENTS: usize = 32;
    let mut now_ms: i64 = 1_700_000_000_000;
    let mut settled: Option<wxpay_terminate::Outcome> = None;
    let mut awaiting = machine.in_flight().is_some();
    let mut authorizations: Vec<String> = Vec::new();
    let mut bytes = script.iter().copied();
    let mut steps = 0;
    while let Some(event) = bytes.next() {
        steps += 1;
        if steps > MAX_EVENTS {
            break;
        }
        let arg = bytes.next().unwrap_or(0);
        match event % 7 {
            0 => {
                now_ms += i64::from(arg) * 1_000;
                match machine.next(client, now_ms, "593BEC0C930BF1AFEB40B4A08C8FB242") {
                    Ok(Step::Send { purpose, attempt, request }) => {
                        assert!(settled.is_none() && !awaiting, "sent while settled or awaiting");
                        assert!(attempt >= 1);
                        if mode != 0 {
                            assert!(request.url().starts_with("https://api.mch.weixin.qq.com/v3/papay/"));
                        }
                        let _ = purpose;
                        if let Some(authorization) = request.header("Authorization") {
                            authorizations.push(authorization.to_owned());
                        }
                        awaiting = true;
                    }
                    Ok(Step::Wait { until_ms }) => assert!(until_ms > now_ms && settled.is_none()),
                    Ok(Step::Done(outcome)) => {
                        if let Some(before) = &settled {
                            assert_eq!(before, &outcome, "an outcome changed");
                        }
                        settled = Some(outcome);
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::InvalidInput);
                        assert!(awaiting, "next() refused while nothing was in flight: {e:?}");
                    }
                }
            }
            1 => {
                let len = usize::from(arg);
                let body: Vec<u8> = bytes.by_ref().take(len).collect();
                let result = machine.on_verified(200 + u16::from(arg % 5), Some("R".into()), &body, now_ms);
                assert_eq!(result.is_err(), !awaiting && machine.outcome().is_none());
                awaiting = false;
            }
            2 => {
                let kind = KINDS[usize::from(arg) % KINDS.len()];
                let status = (kind == "api").then(|| STATUSES[usize::from(arg / 8) % STATUSES.len()]);
                let record = ErrorRecord {
                    kind: kind.to_owned(),
                    message: "fuzz".to_owned(),
                    field: None,
                    serial: None,
                    status,
                    code: status.map(|s| format!("CODE_{s}")),
                    api_message: None,
                    detail: None,
                    request_id: Some("R".to_owned()),
                    retryable: status.is_some_and(|s| s == 429 || s >= 500),
                };
                let result = machine.on_error(&record, now_ms);
                assert_eq!(result.is_err(), !awaiting && machine.outcome().is_none());
                awaiting = false;
            }
            3 => {
                let result = machine.on_transport_error(now_ms);
                assert_eq!(result.is_err(), !awaiting && machine.outcome().is_none());
                awaiting = false;
            }
            4 => {
                let len = usize::from(arg);
                let json: Vec<u8> = bytes.by_ref().take(len).collect();
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&json)
                    && let Ok(notification) = Notification::from_json(&value)
                    && machine.on_notification(&notification, now_ms)
                {
                    awaiting = false;
                }
            }
            5 => {
                let saved = machine.to_json();
                // (Not a text search for "WECHATPAY2": a decode error may name a key of a
                // fuzzer-written body, and the fuzzer found that first.)
                for authorization in &authorizations {
                    let signature = authorization.split("signature=\"").nth(1).unwrap_or_default();
                    assert!(!saved.contains(authorization.as_str()), "a journal holds an Authorization");
                    assert!(signature.len() < 8 || !saved.contains(signature), "a journal holds a signature");
                }
                machine = Termination::from_json(&saved).expect("a saved machine restores");
                awaiting = false; // restored: an in-flight request counts as lost
            }
            _ => now_ms += i64::from(arg) * 60_000,
        }
        if let Some(outcome) = machine.outcome() {
            if let Some(before) = &settled {
                assert_eq!(before, outcome, "an outcome changed");
            }
            if outcome.kind != OutcomeKind::Failed {
                assert!(outcome.evidence.is_some(), "{:?} without evidence", outcome.kind);
            }
            if mode != 0 {
                assert!(outcome.terminate_sends <= policy.max_terminate_sends);
                assert!(outcome.query_sends <= policy.max_query_sends);
            }
            settled = Some(outcome.clone());
        }
    }
});
