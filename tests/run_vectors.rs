//! Runs every file of `tests/vectors/cases` against the Rust core, one named test per file.
//! A file with an unknown `type` fails, and so does a run that executed fewer cases than files.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use base64::Engine as _;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use wxpay_terminate::crypto::{MerchantPrivateKey, Signer as _};
use wxpay_terminate::{
    ApiCall, Client, Error, ErrorKind, Method, OPERATIONS, Request, UnsignedRequest, protocol,
};
use wxpay_terminate_conformance::{
    Case, check_manifest, client, config_from_json, key_file, load_cases,
};

type Outcome = Result<(), Failed>;

thread_local! {
    /// The case a worker thread is running, so `check_error` can record its message.
    static CURRENT_CASE: RefCell<String> = const { RefCell::new(String::new()) };
    /// The secrets of that case (see `secrets_of`), which no error text may contain.
    static CURRENT_SECRETS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// What an error's message, `Display` and `Debug` must never contain, for one case: every
/// private key's base64 lines, every client's APIv3 key, the case's `Wechatpay-Signature`, its
/// message body and any ciphertext in it. (tests/vectors/README.md, "Secrets".)
fn secrets_of(case: &Value) -> Vec<String> {
    let mut secrets = Vec::new();
    let keys = wxpay_terminate_conformance::vectors_dir().join("keys");
    if let Ok(dir) = std::fs::read_dir(&keys) {
        for entry in dir.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains("PRIVATE KEY-----") {
                secrets.extend(
                    text.lines()
                        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
                        .map(str::to_owned),
                );
            }
        }
    }
    if let Ok(clients) = wxpay_terminate_conformance::load_clients() {
        secrets.extend(
            clients
                .values()
                .filter_map(|c| c["apiv3_key"].as_str().map(str::to_owned)),
        );
    }
    for message in ["response", "notification"] {
        let m = &case[message];
        if let Some(headers) = m["headers"].as_array() {
            secrets.extend(
                headers
                    .iter()
                    .filter(|h| {
                        h[0].as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case("Wechatpay-Signature"))
                    })
                    .filter_map(|h| h[1].as_str().map(str::to_owned))
                    .filter(|s| s.len() > 8),
            );
        }
        if let Some(body) = m["body"].as_str().filter(|b| b.len() > 16) {
            secrets.push(body.to_owned());
            let json: Value = serde_json::from_str(body).unwrap_or_default();
            let mut ciphertexts = Vec::new();
            collect_ciphertexts(&json, &mut ciphertexts);
            secrets.extend(ciphertexts.into_iter().filter(|c| c.len() > 16));
        }
    }
    secrets
}

fn collect_ciphertexts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                match (k.as_str(), item) {
                    ("ciphertext", Value::String(c)) => out.push(c.clone()),
                    _ => collect_ciphertexts(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_ciphertexts(i, out)),
        _ => {}
    }
}

fn no_secrets(text: &str) -> Outcome {
    CURRENT_SECRETS.with(|secrets| {
        match secrets.borrow().iter().find(|s| text.contains(s.as_str())) {
            Some(_) => Err(format!("error text leaks a secret of the case (key, APIv3 key, signature, body or ciphertext): {text}").into()),
            None => Ok(()),
        }
    })
}

/// The core's message for every error case: `tests/vectors/messages.json` pins them so every
/// binding can assert it shows the very same text. It is our own output, kept for parity across
/// languages, never as an oracle of correctness.
static MESSAGES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

fn check_messages_file() -> Result<(), String> {
    let path = wxpay_terminate_conformance::vectors_dir().join("messages.json");
    let seen = MESSAGES.lock().map_err(|e| e.to_string())?.clone();
    let text = serde_json::to_string_pretty(&seen).map_err(|e| e.to_string())? + "\n";
    if std::env::var_os("WXPAY_UPDATE_MESSAGES").is_some() {
        return std::fs::write(&path, text).map_err(|e| e.to_string());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        return Err(format!(
            "{} is stale: error messages changed; review and rerun with WXPAY_UPDATE_MESSAGES=1",
            path.display()
        ));
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let cases = match load_cases() {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("cannot load vectors: {e}");
            std::process::exit(1);
        }
    };
    let mut trials: Vec<Trial> = cases
        .iter()
        .cloned()
        .map(|case| {
            Trial::test(case.name.clone(), move || {
                CURRENT_CASE.with(|c| *c.borrow_mut() = case.name.clone());
                CURRENT_SECRETS.with(|c| *c.borrow_mut() = secrets_of(&case.json));
                run_case(&case)
            })
        })
        .collect();
    let all = cases.clone();
    trials.push(Trial::test(
        "coverage::every_operation_has_request_and_response_vectors",
        move || every_operation_covered(&all),
    ));
    let all = cases.clone();
    trials.push(Trial::test(
        "coverage::every_error_kind_has_a_vector",
        move || every_error_kind_covered(&all),
    ));
    let total = cases.len();
    trials.push(Trial::test(
        "coverage::vector_set_is_not_empty",
        move || {
            if total < 50 {
                Err(format!("only {total} vector files found").into())
            } else {
                Ok(())
            }
        },
    ));
    // A deleted, added or edited vector fails here, not only where it happened to be loaded.
    trials.push(Trial::test(
        "coverage::files_match_the_manifest",
        move || match check_manifest()? {
            listed if listed == total => Ok(()),
            listed => {
                Err(format!("manifest.json lists {listed} cases, {total} were loaded").into())
            }
        },
    ));
    let conclusion = libtest_mimic::run(&args, trials);
    // With no filter every file must have run: a skipped vector is a failure.
    if args.filter.is_none()
        && args.skip.is_empty()
        && conclusion.num_passed + conclusion.num_failed != total as u64 + 4
    {
        eprintln!(
            "ran {} of {} vector trials",
            conclusion.num_passed + conclusion.num_failed,
            total + 4
        );
        std::process::exit(1);
    }
    if args.filter.is_none()
        && args.skip.is_empty()
        && !conclusion.has_failed()
        && let Err(e) = check_messages_file()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
    conclusion.exit();
}

fn run_case(case: &Case) -> Outcome {
    let v = &case.json;
    match str_at(v, "type")? {
        "signing" => signing(v),
        "request" => request(v, false),
        "request_generic" => request(v, true),
        "request_error" => request_error(v),
        "client_error" => client_error(v),
        "response" => response(v),
        "notification" => notification(v),
        "certificates" => certificates(v),
        "certificates_request" => request(v, false),
        other => {
            Err(format!("unknown vector type `{other}`: the Rust runner must learn it").into())
        }
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Result<&'a str, Failed> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string `{key}`").into())
}

fn i64_at(v: &Value, key: &str) -> Result<i64, Failed> {
    v.get(key)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("missing integer `{key}`").into())
}

fn check_eq<T: PartialEq + std::fmt::Debug>(what: &str, actual: T, expected: T) -> Outcome {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}:\n  actual   {actual:?}\n  expected {expected:?}").into())
    }
}

fn signing(v: &Value) -> Outcome {
    let expect = &v["expect"];
    let message = match v.get("message").and_then(Value::as_str) {
        Some(message) => message.as_bytes().to_vec(),
        None => {
            let built = protocol::request_string_to_sign(
                str_at(v, "method")?,
                str_at(v, "canonical_url")?,
                i64_at(v, "timestamp")?,
                str_at(v, "nonce")?,
                str_at(v, "body")?.as_bytes(),
            );
            check_eq(
                "string_to_sign",
                String::from_utf8_lossy(&built).as_ref(),
                str_at(expect, "string_to_sign")?,
            )?;
            built
        }
    };
    let key =
        MerchantPrivateKey::from_pem(&key_file(str_at(v, "key")?)?).map_err(|e| e.to_string())?;
    let signature = base64::engine::general_purpose::STANDARD
        .encode(key.sign(&message).map_err(|e| e.to_string())?);
    check_eq(
        "signature",
        signature.as_str(),
        str_at(expect, "signature")?,
    )
}

fn api_call(v: &Value) -> Result<ApiCall, Failed> {
    let mut call = ApiCall::new(
        Method::parse(str_at(v, "method")?).map_err(|e| e.to_string())?,
        str_at(v, "template")?,
    );
    if let Some(params) = v.get("path_params").and_then(Value::as_object) {
        for (name, value) in params {
            call = call.path_param(
                name,
                value.as_str().ok_or("path_params values are strings")?,
            );
        }
    }
    for pair in v
        .get("query")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
            return Err("query items are [name, value] string pairs".into());
        };
        call = call.query(name, value);
    }
    call.json = v.get("json").cloned();
    Ok(call)
}

/// Why building a case's request failed: the core said no, or the vector itself is malformed.
enum BuildError {
    Core(Error),
    Vector(Failed),
}

impl From<Error> for BuildError {
    fn from(e: Error) -> Self {
        BuildError::Core(e)
    }
}

type Built = (Request, Result<UnsignedRequest, Error>);

/// Builds a case's request both in one step and through two-phase signing.
fn build(client: &Client, v: &Value, generic: bool) -> Result<Built, BuildError> {
    let (ts, nonce) = (
        v["timestamp"].as_i64().unwrap_or(-1),
        v["nonce"].as_str().unwrap_or(""),
    );
    if v["type"] == "certificates_request" {
        let host = match v["host"].as_str() {
            Some("global") => wxpay_terminate::Host::Global,
            _ => wxpay_terminate::Host::Api,
        };
        Ok((
            client.sign(client.unsigned_certificates(host, ts, nonce)?)?,
            client.unsigned_certificates(host, ts, nonce),
        ))
    } else if generic {
        let call = api_call(v).map_err(BuildError::Vector)?;
        Ok((
            client.sign(client.unsigned_call(&call, ts, nonce)?)?,
            client.unsigned_call(&call, ts, nonce),
        ))
    } else {
        let op = v["operation"].as_str().unwrap_or("");
        Ok((
            client.sign(client.unsigned_by_id(op, v["params"].clone(), ts, nonce)?)?,
            client.unsigned_by_id(op, v["params"].clone(), ts, nonce),
        ))
    }
}

fn built(result: Result<Built, BuildError>) -> Result<Built, Failed> {
    match result {
        Ok(built) => Ok(built),
        Err(BuildError::Core(e)) => Err(format!("build failed: {e}").into()),
        Err(BuildError::Vector(e)) => Err(e),
    }
}

fn request(v: &Value, generic: bool) -> Outcome {
    let client = client(str_at(v, "client")?)?;
    let expect = &v["expect"];
    let (req, unsigned) = built(build(&client, v, generic))?;
    let unsigned = unsigned.map_err(|e| format!("unsigned build failed: {e}"))?;

    check_eq(
        "string_to_sign",
        String::from_utf8_lossy(unsigned.string_to_sign()).as_ref(),
        str_at(expect, "string_to_sign")?,
    )?;
    let expected_signature = str_at(expect, "signature")?;
    check_eq(
        "authorization",
        req.header("Authorization"),
        Some(str_at(expect, "authorization")?),
    )?;
    if !str_at(expect, "authorization")?.contains(&format!("signature=\"{expected_signature}\"")) {
        return Err("vector inconsistent: authorization does not hold the signature".into());
    }
    // Two-phase signing with the oracle's signature must give the identical descriptor.
    let completed = unsigned
        .complete(expected_signature)
        .map_err(|e| e.to_string())?;
    check_eq("two-phase descriptor", &completed, &req)?;

    let want = &expect["request"];
    check_eq("method", req.method().as_str(), str_at(want, "method")?)?;
    check_eq("url", req.url(), str_at(want, "url")?)?;
    let headers = want["headers"]
        .as_object()
        .ok_or("expect.request.headers is an object")?;
    for (name, value) in headers {
        check_eq(&format!("header {name}"), req.header(name), value.as_str())?;
    }
    for name in want["absent_headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        check_eq(&format!("absent header {name}"), req.header(name), None)?;
    }
    let prefix = str_at(want, "user_agent_prefix")?;
    let ua = req.header("User-Agent").ok_or("no User-Agent")?;
    if !ua.starts_with(prefix) {
        return Err(format!("User-Agent `{ua}` does not start with `{prefix}`").into());
    }
    for (name, _) in req.headers() {
        if !name.eq_ignore_ascii_case("User-Agent")
            && !headers.keys().any(|k| k.eq_ignore_ascii_case(name))
        {
            return Err(format!("unexpected header {name}").into());
        }
    }
    let body = req.body().map(|b| String::from_utf8_lossy(b).into_owned());
    check_eq("body", body.as_deref(), want["body"].as_str())?;

    // The http crate view carries the same bytes.
    let http = req.to_http().map_err(|e| e.to_string())?;
    check_eq("http uri", http.uri().to_string().as_str(), req.url())?;
    check_eq(
        "http body",
        http.body().as_slice(),
        req.body().unwrap_or_default(),
    )
}

fn check_error(err: &Error, want: &Value) -> Outcome {
    let case = CURRENT_CASE.with(|c| c.borrow().clone());
    if let Ok(mut messages) = MESSAGES.lock() {
        messages.insert(case, err.message().to_owned());
    }
    check_eq("error kind", err.kind().as_str(), str_at(want, "kind")?)?;
    if let Some(field) = want.get("field").and_then(Value::as_str) {
        check_eq("error field", err.field(), Some(field))?;
    }
    if err.kind() == ErrorKind::Api {
        let api = err.api_error().ok_or("api error without details")?;
        if let Some(status) = want.get("status") {
            check_eq("status", Some(u64::from(api.status)), status.as_u64())?;
        }
        if let Some(code) = want.get("code") {
            check_eq("code", api.code.as_deref(), code.as_str())?;
        }
        if let Some(message) = want.get("message") {
            check_eq("message", api.message.as_deref(), message.as_str())?;
        }
        if let Some(detail) = want.get("detail") {
            check_eq(
                "detail",
                api.detail.as_ref().unwrap_or(&Value::Null),
                detail,
            )?;
        }
    }
    if let Some(request_id) = want.get("request_id") {
        check_eq(
            "request_id",
            err.api_error().and_then(|a| a.request_id.as_deref()),
            request_id.as_str(),
        )?;
    }
    if let Some(retryable) = want.get("retryable") {
        check_eq("retryable", Some(err.retryable()), retryable.as_bool())?;
    }
    // Messages are for logs: they must never carry key material, a signature or a body.
    let text = format!(
        "{err} {err:?} {:?}",
        wxpay_terminate::ErrorRecord::from(err)
    );
    if text.contains("MII") || text.contains("KEY-----") {
        return Err(format!("error message leaks key material: {text}").into());
    }
    no_secrets(&text)
}

fn request_error(v: &Value) -> Outcome {
    let client = client(str_at(v, "client")?)?;
    let generic = v.get("operation").is_none_or(Value::is_null) && v.get("template").is_some();
    match build(&client, v, generic) {
        Ok(_) => Err("bad input was accepted".into()),
        Err(BuildError::Core(err)) => check_error(&err, &v["expect"]["error"]),
        Err(BuildError::Vector(e)) => Err(e),
    }
}

fn client_error(v: &Value) -> Outcome {
    let config = config_from_json(&v["config"])?;
    match Client::new(&config) {
        Ok(_) => Err("bad configuration was accepted".into()),
        Err(err) => check_error(&err, &v["expect"]["error"]),
    }
}

fn response(v: &Value) -> Outcome {
    let client = client(str_at(v, "client")?)?;
    let r = &v["response"];
    let body = match (
        r.get("body").and_then(Value::as_str),
        r.get("body_base64").and_then(Value::as_str),
    ) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string())?,
        (None, None) => return Err("response needs body or body_base64".into()),
    };
    let headers: Vec<(&str, &str)> = r["headers"]
        .as_array()
        .ok_or("response.headers is a list of pairs")?
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap_or_default(),
                pair[1].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let status = u16::try_from(i64_at(r, "status")?).map_err(|e| e.to_string())?;
    let result = client.parse_by_id(
        v["operation"].as_str(),
        status,
        &headers,
        &body,
        i64_at(v, "now")?,
    );
    // Two-phase verification, as WebCrypto hosts do it, must reach the same outcome.
    let two_phase = two_phase_parse(
        &client,
        v["operation"].as_str(),
        status,
        &headers,
        &body,
        i64_at(v, "now")?,
    );
    check_eq(
        "two-phase outcome",
        format!("{two_phase:?}"),
        format!("{result:?}"),
    )?;
    // The JSON-text form (what the npm package takes) must reach the same outcome and JSON.
    let as_text = client.parse_by_id_text(
        v["operation"].as_str(),
        status,
        &headers,
        &body,
        i64_at(v, "now")?,
    );
    match (&as_text, &result) {
        (Ok(text), Ok(parsed)) => check_eq(
            "data as JSON text",
            &serde_json::from_str::<Value>(&text.data)?,
            &parsed.data,
        )?,
        (Err(text_err), Err(err)) => check_eq(
            "JSON-text outcome",
            format!("{text_err:?}"),
            format!("{err:?}"),
        )?,
        _ => check_eq("JSON-text outcome", as_text.is_ok(), result.is_ok())?,
    }
    let expect = &v["expect"];
    match (result, expect.get("ok"), expect.get("error")) {
        (Ok(parsed), Some(ok), None) => {
            check_eq(
                "status",
                Some(u64::from(parsed.status)),
                ok["status"].as_u64(),
            )?;
            check_eq(
                "request_id",
                parsed.request_id.as_deref(),
                ok["request_id"].as_str(),
            )?;
            check_eq("data", &parsed.data, &ok["data"])
        }
        (Err(err), None, Some(want)) => {
            let signature = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("Wechatpay-Signature"))
                .map(|(_, v)| *v);
            let text = format!("{err} {err:?}");
            if signature.is_some_and(|s| s.len() > 8 && text.contains(s)) {
                return Err(format!("error message leaks the signature: {text}").into());
            }
            if body.len() > 16 && text.contains(String::from_utf8_lossy(&body).as_ref()) {
                return Err(format!("error message leaks the body: {text}").into());
            }
            check_error(&err, want)
        }
        (Ok(parsed), _, _) => Err(format!("expected an error, got {parsed:?}").into()),
        (Err(err), _, _) => Err(format!("expected success, got {err}").into()),
    }
}

/// The RSA step of two-phase verification, done as a host would: the key exported by serial.
fn host_verify(
    client: &Client,
    pending: &wxpay_terminate::PendingVerification,
) -> Result<bool, Error> {
    use wxpay_terminate::crypto::{Verifier as _, WechatpayPublicKey};
    let der = client
        .verification_keys()
        .into_iter()
        .find(|(serial, _)| *serial == pending.serial())
        .map(|(_, der)| der);
    let key = WechatpayPublicKey::from_spki_der(&der.unwrap_or_default())?;
    Ok(key.verify(pending.message(), pending.signature()))
}

fn two_phase_parse(
    client: &Client,
    operation: Option<&str>,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    now: i64,
) -> Result<wxpay_terminate::Parsed<Value>, Error> {
    let pending = client.begin_verification(status, headers, body)?;
    let valid = host_verify(client, &pending)?;
    let request_id = client.finish_verification(pending, valid, now)?;
    Ok(wxpay_terminate::Parsed {
        status,
        request_id,
        data: wxpay_terminate::decode_by_id(operation, body)?,
    })
}

fn every_operation_covered(cases: &[Case]) -> Outcome {
    let covered = |kind: &str| -> BTreeSet<String> {
        cases
            .iter()
            .filter(|c| c.json["type"] == kind)
            .filter_map(|c| c.json["operation"].as_str().map(str::to_owned))
            .collect()
    };
    let (requests, responses) = (covered("request"), covered("response"));
    let missing: Vec<_> = OPERATIONS
        .iter()
        .map(|e| e.spec.id)
        .filter(|id| !requests.contains(*id) || !responses.contains(*id))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("operations without request and response vectors: {missing:?}").into())
    }
}

fn every_error_kind_covered(cases: &[Case]) -> Outcome {
    let seen: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.json["expect"]["error"]["kind"].as_str())
        .collect();
    // `internal` (an OS RNG failure, a caught panic) cannot be produced by input bytes.
    let missing: Vec<_> = ErrorKind::ALL
        .iter()
        .filter(|k| **k != ErrorKind::Internal)
        .map(|k| k.as_str())
        .filter(|k| !seen.contains(k))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("error kinds without a vector: {missing:?}").into())
    }
}

/// A message's `headers`: `[name, value]` pairs, in order (duplicates kept).
fn header_pairs(headers: &Value) -> Result<Vec<(String, String)>, Failed> {
    Ok(headers
        .as_array()
        .ok_or("headers is a list of pairs")?
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap_or_default().to_owned(),
                pair[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// The raw body of a `response` or `notification` message: `body` text or `body_base64`.
fn message_body(r: &Value) -> Result<Vec<u8>, Failed> {
    match (
        r.get("body").and_then(Value::as_str),
        r.get("body_base64").and_then(Value::as_str),
    ) {
        (Some(text), _) => Ok(text.as_bytes().to_vec()),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string().into()),
        (None, None) => Err("a message needs body or body_base64".into()),
    }
}

fn notification(v: &Value) -> Outcome {
    let client = client(str_at(v, "client")?)?;
    let n = &v["notification"];
    let body = message_body(n)?;
    let headers = header_pairs(&n["headers"])?;
    let now = i64_at(v, "now")?;
    let result = client.parse_notification(&headers, &body, now);
    // Two-phase, as WebCrypto hosts do it, must reach the same outcome.
    let two_phase = client
        .begin_notification(&headers, &body)
        .and_then(|pending| {
            let valid = host_verify(&client, &pending)?;
            client.finish_notification(pending, valid, &body, now)
        });
    check_eq(
        "two-phase outcome",
        format!("{two_phase:?}"),
        format!("{result:?}"),
    )?;
    let expect = &v["expect"];
    match (result, expect.get("ok"), expect.get("error")) {
        (Ok(parsed), Some(ok), None) => {
            check_eq("notification", &parsed.to_json(), ok)?;
            check_eq(
                "notification as JSON text",
                &serde_json::from_str::<Value>(&parsed.to_json_text())?,
                ok,
            )
        }
        (Err(err), None, Some(want)) => {
            let text = format!("{err} {err:?}");
            if body.len() > 16 && text.contains(String::from_utf8_lossy(&body).as_ref()) {
                return Err(format!("error message leaks the body: {text}").into());
            }
            check_error(&err, want)
        }
        (Ok(parsed), _, _) => Err(format!("expected an error, got {parsed:?}").into()),
        (Err(err), _, _) => Err(format!("expected success, got {err}").into()),
    }
}

fn certificates(v: &Value) -> Outcome {
    let client = client(str_at(v, "client")?)?;
    let r = &v["response"];
    let body = message_body(r)?;
    let headers = header_pairs(&r["headers"])?;
    let status = u16::try_from(i64_at(r, "status")?).map_err(|e| e.to_string())?;
    let result = client.parse_certificates(status, &headers, &body, i64_at(v, "now")?);
    let expect = &v["expect"];
    match (result, expect.get("ok"), expect.get("error")) {
        (Ok(set), Some(ok), None) => check_eq(
            "certificates",
            &serde_json::to_value(&set).map_err(|e| e.to_string())?,
            ok,
        ),
        (Err(err), None, Some(want)) => check_error(&err, want),
        (Ok(set), _, _) => Err(format!("expected an error, got {set:?}").into()),
        (Err(err), _, _) => Err(format!("expected success, got {err}").into()),
    }
}
