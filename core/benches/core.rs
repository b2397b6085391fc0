//! `make bench`: the per-request work of the core. Keys and responses are the shared vectors.

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use wxpay_terminate::{Client, ClientConfig, TerminatePapayContract};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read(relative: &str) -> Vec<u8> {
    fs::read(vectors().join(relative)).expect("vector file")
}

fn client() -> Client {
    Client::new(&ClientConfig {
        mchid: "1234567890".into(),
        serial_no: "F5765756002FDD77".into(),
        private_key: Some(read("keys/merchant_go_pkcs8.pem").into()),
        platform_certificates: vec![
            read("keys/platform_cert_a.pem").into(),
            read("keys/platform_cert_b.pem").into(),
        ],
        apiv3_key: Some("go_platform_test_apiv3_key_00002".into()),
        ..Default::default()
    })
    .expect("valid client")
}

fn op() -> TerminatePapayContract {
    TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    }
}

/// Names carry the backend so `make bench` can run both and keep both results.
const BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "rsa"
};

fn bench(c: &mut Criterion) {
    let client = client();
    let op = op();
    let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
    c.bench_function(&format!("{BACKEND}/prepare_sign"), |b| {
        b.iter(|| {
            client
                .prepare(black_box(&op), 1_700_000_000, nonce)
                .expect("signed")
        })
    });
    c.bench_function(&format!("{BACKEND}/prepare_unsigned"), |b| {
        b.iter(|| {
            client
                .unsigned(black_box(&op), 1_700_000_000, nonce)
                .expect("built")
        })
    });

    let case: Value =
        serde_json::from_slice(&read("cases/response/papay_200_cert_a.json")).expect("json");
    let response = &case["response"];
    let headers: Vec<(&str, &str)> = response["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|p| (p[0].as_str().expect("name"), p[1].as_str().expect("value")))
        .collect();
    let body = response["body"].as_str().expect("body").as_bytes();
    let now = case["now"].as_i64().expect("now");
    c.bench_function(&format!("{BACKEND}/parse_verify_200"), |b| {
        b.iter(|| {
            client
                .parse::<TerminatePapayContract>(200, black_box(&headers), black_box(body), now)
                .expect("ok")
        })
    });

    // A termination notification: verify + AES-256-GCM + typed decode.
    let case: Value = serde_json::from_slice(&read(
        "cases/notification/entrust_terminate_direct_cert_a.json",
    ))
    .expect("json");
    let notification = &case["notification"];
    let headers: Vec<(&str, &str)> = notification["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|p| (p[0].as_str().expect("name"), p[1].as_str().expect("value")))
        .collect();
    let body = notification["body"].as_str().expect("body").as_bytes();
    let now = case["now"].as_i64().expect("now");
    c.bench_function(&format!("{BACKEND}/parse_notification"), |b| {
        b.iter(|| {
            client
                .parse_notification(black_box(&headers), black_box(body), now)
                .expect("ok")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
