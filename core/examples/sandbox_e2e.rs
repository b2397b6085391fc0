//! End to end from Rust with a common HTTP client (ureq), through the `http` crate conversions:
//! runs `tests/sandbox/e2e_plan.json` against the local sandbox named by `SANDBOX_URL`.
//! `make test` runs it under `tests/sandbox/with_sandbox.py`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wxpay_terminate::{Client, ClientConfig, ErrorKind, Parsed};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> Vec<u8> {
    fs::read(root().join(path)).unwrap_or_else(|e| fail(&format!("{path}: {e}")))
}

fn fail(message: &str) -> ! {
    eprintln!("sandbox e2e failed: {message}");
    std::process::exit(1)
}

/// Sends the descriptor with ureq (via `Request::to_http`) and parses the answer by operation id.
fn call(
    client: &Client,
    agent: &ureq::Agent,
    operation: &str,
    params: &Value,
) -> Result<Parsed<Value>, wxpay_terminate::Error> {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    let nonce = wxpay_terminate::generate_nonce()?;
    let request =
        client.sign(client.unsigned_by_id(operation, params.clone(), now(), &nonce)?)?;
    let mut response = agent
        .run(request.to_http()?)
        .unwrap_or_else(|e| fail(&format!("{operation}: HTTP failed: {e}")));
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let body = response
        .body_mut()
        .read_to_vec()
        .unwrap_or_else(|e| fail(&format!("{operation}: body: {e}")));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    client.parse_by_id(Some(operation), status, &headers, &body, now())
}

fn contains(actual: &Value, want: &Value) -> bool {
    match want {
        Value::Object(map) => map
            .iter()
            .all(|(k, v)| actual.get(k).is_some_and(|a| contains(a, v))),
        _ => actual == want,
    }
}

fn main() {
    let sandbox = std::env::var("SANDBOX_URL").unwrap_or_else(|_| fail("SANDBOX_URL is not set"));
    let plan: Value = serde_json::from_slice(&read("tests/sandbox/e2e_plan.json"))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let m = &plan["merchant"];
    let text = |key: &str| m[key].as_str().unwrap_or_default().to_owned();
    let client = Client::new(&ClientConfig {
        mchid: text("mchid"),
        serial_no: text("serial_no"),
        private_key: Some(read(&text("private_key")).into()),
        wechatpay_public_key_id: Some(text("wechatpay_public_key_id")),
        wechatpay_public_key: Some(read(&text("wechatpay_public_key")).into()),
        platform_certificates: vec![read("tests/sandbox/keys/platform_cert.pem").into()],
        base_url: Some(sandbox.clone()),
        global_base_url: Some(sandbox.clone()),
        user_agent_suffix: Some("sandbox-e2e".into()),
        ..Default::default()
    })
    .unwrap_or_else(|e| fail(&e.to_string()));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let control = |path: &str, body: Option<&Value>| {
        let request = http::Request::post(format!("{sandbox}{path}"))
            .header("Content-Type", "application/json")
            .body(body.map(Value::to_string).unwrap_or_default())
            .unwrap_or_else(|e| fail(&e.to_string()));
        agent
            .run(request)
            .unwrap_or_else(|e| fail(&format!("sandbox control {path}: {e}")));
    };

    let mut passed = 0;
    let mut failed = 0;
    for step in plan["terminations"].as_array().into_iter().flatten() {
        control("/sandbox/reset", None);
        let operation = step["operation"].as_str().unwrap_or_default();
        let outcome = call(&client, &agent, operation, &step["params"]);
        let ok = match &outcome {
            Ok(parsed) => {
                u64::from(parsed.status) == step["status"].as_u64().unwrap_or(0)
                    && parsed.request_id.is_some()
                    && (step["data"].is_null() && parsed.data.is_null()
                        || contains(&parsed.data, &step["data"]))
            }
            Err(_) => false,
        };
        println!(
            "{} {operation}: {}",
            if ok { "ok  " } else { "FAIL" },
            outcome
                .map(|p| p.status.to_string())
                .unwrap_or_else(|e| e.to_string())
        );
        if ok { passed += 1 } else { failed += 1 }
    }
    for step in plan["failures"].as_array().into_iter().flatten() {
        control("/sandbox/reset", None);
        if let Some(fault) = step["fault"].as_str() {
            control(
                "/sandbox/faults",
                Some(&serde_json::json!({"fault": fault, "count": 1})),
            );
        }
        let operation = step["operation"].as_str().unwrap_or_default();
        let want = &step["error"];
        let outcome = call(&client, &agent, operation, &step["params"]);
        let ok = match &outcome {
            Err(e) => {
                Some(e.kind().as_str()) == want["kind"].as_str()
                    && (e.kind() != ErrorKind::Api
                        || e.api_error().is_some_and(|a| {
                            Some(u64::from(a.status)) == want["status"].as_u64()
                                && a.code.as_deref() == want["code"].as_str()
                                && a.request_id.is_some()
                        }) && Some(e.retryable()) == want["retryable"].as_bool())
            }
            Ok(_) => false,
        };
        let name = step["name"].as_str().unwrap_or_default();
        println!(
            "{} {name}: {}",
            if ok { "ok  " } else { "FAIL" },
            outcome
                .err()
                .map(|e| e.kind().as_str())
                .unwrap_or("accepted")
        );
        if ok { passed += 1 } else { failed += 1 }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
