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
                                && want["api_message"]
                                    .as_str()
                                    .is_none_or(|m| a.message.as_deref() == Some(m))
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
    for (name, ok) in notifications(&sandbox, &client, &agent, &control) {
        println!("{} {name}", if ok { "ok  " } else { "FAIL" });
        if ok { passed += 1 } else { failed += 1 }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// Header pairs and the exact body bytes of one HTTP request.
type ReceivedRequest = (Vec<(String, String)>, Vec<u8>);

/// One HTTP request read off a socket.
fn read_http(stream: &mut std::net::TcpStream) -> std::io::Result<ReceivedRequest> {
    use std::io::Read;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&data[..header_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Ok((headers, body))
}

/// A merchant termination and a user-initiated one each arrive as a signed, encrypted
/// `ENTRUST.TERMINATE` on a loopback notify_url; both are verified, decrypted, typed and acked.
fn notifications(
    sandbox: &str,
    client: &Client,
    agent: &ureq::Agent,
    control: &dyn Fn(&str, Option<&Value>),
) -> Vec<(&'static str, bool)> {
    use std::io::Write;
    use wxpay_terminate::NotificationResource;
    let merchants: Value = serde_json::from_slice(&read("tests/sandbox/merchants.json"))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let mchid = "1900007291";
    let apiv3_key = merchants["merchants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["mchid"] == mchid)
        .and_then(|m| m["apiv3_key"].as_str())
        .unwrap_or_else(|| fail("merchants.json has no apiv3_key"))
        .to_owned();
    let plan: Value = serde_json::from_slice(&read("tests/sandbox/e2e_plan.json"))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let m = &plan["merchant"];
    let text = |key: &str| m[key].as_str().unwrap_or_default().to_owned();
    let receiver_client = Client::new(&ClientConfig {
        mchid: text("mchid"),
        serial_no: text("serial_no"),
        wechatpay_public_key_id: Some(text("wechatpay_public_key_id")),
        wechatpay_public_key: Some(read(&text("wechatpay_public_key")).into()),
        apiv3_key: Some(apiv3_key.into()),
        ..Default::default()
    })
    .unwrap_or_else(|e| fail(&e.to_string()));

    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| fail(&e.to_string()));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    control("/sandbox/reset", None);
    control(
        &format!("/sandbox/merchants/{mchid}/notify-url"),
        Some(&serde_json::json!({"notify_url": format!("http://127.0.0.1:{port}/notify")})),
    );
    let receive = || -> Option<wxpay_terminate::Notification> {
        let (mut stream, _) = listener.accept().ok()?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .ok()?;
        let (headers, body) = read_http(&mut stream).ok()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let parsed = receiver_client.parse_notification(&headers, &body, now);
        let reply = match &parsed {
            Ok(_) => wxpay_terminate::notification_ack(),
            Err(_) => wxpay_terminate::notification_nack("verification failed").ok()?,
        };
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            reply.status,
            reply.body.len()
        );
        stream.write_all(head.as_bytes()).ok()?;
        stream.write_all(&reply.body).ok()?;
        parsed.ok()
    };
    let is_papay_termination =
        |n: &Option<wxpay_terminate::Notification>, code: &str, mode: &str| {
            n.as_ref().is_some_and(|n| match &n.resource {
                NotificationResource::PapayTerminated(e) => {
                    n.event_type == "ENTRUST.TERMINATE"
                        && e.out_contract_code == code
                        && e.contract_terminate_info
                            .as_ref()
                            .is_some_and(|i| i.contract_termination_mode == mode)
                }
                _ => false,
            })
        };

    let terminated = call(
        client,
        agent,
        "terminate_papay_contract",
        &serde_json::json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
                             "contract_termination_remark": "e2e"}),
    );
    let merchant = receive();
    let merchant_ok = terminated.is_ok()
        && is_papay_termination(&merchant, "wxwtdk20200910100000", "MCH_API_TERMINATE");

    let request = http::Request::post(format!("{sandbox}/sandbox/contracts/terminate"))
        .header("Content-Type", "application/json")
        .body(serde_json::json!({"contract": "papay:12535:wxwtdk20200910100001"}).to_string())
        .unwrap_or_else(|e| fail(&e.to_string()));
    let user_terminated = agent.run(request).is_ok_and(|r| r.status() == 200);
    let user = receive();
    let user_ok =
        user_terminated && is_papay_termination(&user, "wxwtdk20200910100001", "USER_TERMINATE");
    control(
        &format!("/sandbox/merchants/{mchid}/notify-url"),
        Some(&serde_json::json!({"notify_url": null})),
    );
    vec![
        ("notification after a merchant termination", merchant_ok),
        ("notification after a user termination", user_ok),
    ]
}
