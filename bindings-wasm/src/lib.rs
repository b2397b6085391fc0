//! The wasm-bindgen bridge behind the npm package. Not API: `js/client.js` is.
//!
//! Everything crosses as the core's own records, serialised: client options are
//! [`ClientConfig::from_json`]'s snake_case object (the JS layer converts camelCase keys), a
//! request is a [`RequestRecord`], an error an [`ErrorRecord`] marked `__wxpayError` that the JS
//! layer turns into its `WxpayError` classes, a notification [`Notification::to_json`], a
//! certificate download a [`CertificateSet`]. Nothing here knows an endpoint or an option:
//! operations are called by catalog id. A terminate-and-confirm machine ([`NativeTermination`])
//! takes and returns one JSON string per step.

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wxpay_terminate::{
    ApiCall, CertificateSet, Client, ClientConfig, ConfirmPolicy, Error, ErrorKind, ErrorRecord,
    Host, KeyMaterial, Method, Notification, NotificationReply, Outcome, Parsed,
    PendingVerification, Purpose, Request, RequestRecord, Step, Termination, UnsignedRequest,
};

/// An error as JS receives it: the core's record plus the mark `native()` looks for.
#[derive(Serialize)]
struct Thrown {
    #[serde(rename = "__wxpayError")]
    mark: bool,
    #[serde(flatten)]
    record: ErrorRecord,
}

/// The one way an error crosses the boundary.
fn thrown(record: ErrorRecord) -> JsValue {
    to_js(&Thrown { mark: true, record })
}

fn js_err(e: Error) -> JsValue {
    thrown(ErrorRecord::from(&e))
}

/// The record of an error this bridge or the JS layer finds itself (`field` names the input).
fn record(kind: ErrorKind, message: String, field: Option<String>) -> ErrorRecord {
    let mut record = ErrorRecord::from(Error::new(kind, message));
    record.field = field;
    record
}

fn input_err(field: &str, message: String) -> JsValue {
    thrown(record(
        ErrorKind::InvalidInput,
        message,
        Some(field.to_owned()),
    ))
}

/// Rust values → plain JS values (objects, not Maps; `None` as `null`): serialised to JSON text
/// here and parsed by the engine's own `JSON.parse`, one crossing instead of one per field.
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // Plain records with string keys: serialising cannot fail, nor parsing what serde_json wrote.
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

/// The one request converter: `{operation, method, url, headers: [{name, value}], body}`.
fn request_value(request: Request) -> JsValue {
    to_js(&RequestRecord::from(request))
}

/// JS value → JSON through the engine's `JSON.stringify` (one crossing), naming the field when
/// JSON cannot carry it.
fn from_js(value: JsValue, field: &str) -> Result<Value, JsValue> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    if value.is_instance_of::<Uint8Array>() {
        return Err(input_err(
            field,
            format!("`{field}` must be a string, not bytes"),
        ));
    }
    let unrepresentable = || input_err(field, format!("`{field}` is not representable as JSON"));
    parsed_from_js(&value).ok_or_else(unrepresentable)
}

/// A JS value through the engine's `JSON.stringify` into `T`; `None` for a BigInt or a cycle (it
/// throws), a function or a symbol (it gives `undefined`), or JSON that is not a `T`.
fn parsed_from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Option<T> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

/// An operation's params as JSON text of an object (`js/client.js` `paramsJson` writes it,
/// naming the field of a value JSON cannot carry).
fn params_from_text(params: &[u8], field: &str) -> Result<Value, JsValue> {
    match serde_json::from_slice(params) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(input_err(
            field,
            format!("{field} must be an object of API field names"),
        )),
    }
}

/// Unix seconds from a JS number: an integer within the safe range.
fn seconds(value: f64, field: &str) -> Result<i64, JsValue> {
    if value.fract() != 0.0 || !value.is_finite() || value.abs() > 9_007_199_254_740_991.0 {
        return Err(input_err(
            field,
            format!("`{field}` must be an integer number of Unix seconds"),
        ));
    }
    // In range and integral, checked above.
    #[allow(clippy::cast_possible_truncation)]
    Ok(value as i64)
}

/// `[name, value]` string pairs (headers, path params, query).
fn pairs(value: JsValue, field: &str) -> Result<Vec<(String, String)>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    parsed_from_js(&value).ok_or_else(|| {
        input_err(
            field,
            format!("`{field}` must be [name, value] pairs of strings"),
        )
    })
}

/// Response or notification headers as UTF-8 `name NUL value NUL …` (`js/client.js`
/// `headerText`, which refuses a NUL inside a name or value, as HTTP and fetch do; bytes because
/// the glue copies a long string character by character): split here without copying.
fn header_pairs(bytes: &[u8]) -> Result<Vec<(&str, &str)>, JsValue> {
    let malformed = || {
        input_err(
            "headers",
            "`headers` must be name and value pairs".to_owned(),
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed())?;
    let mut parts = text.split_terminator('\0');
    let mut pairs = Vec::with_capacity(16);
    while let Some(name) = parts.next() {
        pairs.push((name, parts.next().ok_or_else(malformed)?));
    }
    Ok(pairs)
}

/// A generic call object `{method, template, pathParams, query, json}` (pairs already listed).
fn api_call(call: &JsValue) -> Result<ApiCall, JsValue> {
    let get = |name: &str| Reflect::get(call, &JsValue::from_str(name)).unwrap_or_default();
    let text = |name: &str| {
        get(name)
            .as_string()
            .ok_or_else(|| input_err(name, format!("`{name}` must be a string")))
    };
    let mut call_spec = ApiCall::new(
        Method::parse(&text("method")?).map_err(js_err)?,
        text("template")?,
    );
    call_spec.path_params = pairs(get("pathParams"), "pathParams")?;
    call_spec.query = pairs(get("query"), "query")?;
    call_spec.json = match from_js(get("json"), "json")? {
        Value::Null => None,
        value => Some(value),
    };
    Ok(call_spec)
}

/// The core's own error for an operation id the catalog does not have (`decode_text_by_id`
/// looks the id up before anything else).
fn check_operation(operation: Option<&str>) -> Result<(), JsValue> {
    match operation {
        Some(id) if wxpay_terminate::operation(id).is_none() => {
            Err(wxpay_terminate::decode_text_by_id(Some(id), b"")
                .err()
                .map_or(JsValue::NULL, js_err))
        }
        _ => Ok(()),
    }
}

/// `{status, requestId, data}`: `data` is the core's JSON text of the typed result, spliced in
/// as it is, so the result is written once (in Rust) and parsed once (by the engine).
fn parsed_value(parsed: &Parsed<String>) -> JsValue {
    let request_id = serde_json::to_string(&parsed.request_id).unwrap_or_else(|_| "null".into());
    let text = format!(
        r#"{{"status":{},"requestId":{request_id},"data":{}}}"#,
        parsed.status, parsed.data
    );
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

fn reply_value(reply: &NotificationReply) -> JsValue {
    to_js(reply)
}

fn notification_value(notification: &Notification) -> JsValue {
    js_sys::JSON::parse(&notification.to_json_text()).unwrap_or(JsValue::NULL)
}

/// A request whose signature the JS layer computes (WebCrypto, node:crypto) or the caller's
/// key store does.
#[wasm_bindgen]
pub struct NativeUnsigned {
    inner: UnsignedRequest,
}

#[wasm_bindgen]
impl NativeUnsigned {
    #[wasm_bindgen(getter, js_name = stringToSign)]
    pub fn string_to_sign(&self) -> Uint8Array {
        Uint8Array::from(self.inner.string_to_sign())
    }

    #[wasm_bindgen(getter)]
    pub fn operation(&self) -> Option<String> {
        self.inner.operation().map(str::to_owned)
    }

    /// The request record, completed with a base64 signature (callable more than once).
    pub fn complete(&self, signature_base64: &str) -> Result<JsValue, JsValue> {
        let request = self
            .inner
            .clone()
            .complete(signature_base64)
            .map_err(js_err)?;
        Ok(request_value(request))
    }

    /// The same with the signature as raw bytes, base64-encoded here.
    #[wasm_bindgen(js_name = completeBytes)]
    pub fn complete_bytes(&self, signature: &[u8]) -> Result<JsValue, JsValue> {
        self.complete(&base64::engine::general_purpose::STANDARD.encode(signature))
    }
}

/// A response or notification awaiting the host's RSA verification.
#[wasm_bindgen]
pub struct NativePending {
    inner: PendingVerification,
    /// The response's operation id and status; `None` for a notification.
    response: Option<(Option<String>, u16)>,
}

#[wasm_bindgen]
impl NativePending {
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> Uint8Array {
        Uint8Array::from(self.inner.message())
    }

    #[wasm_bindgen(getter)]
    pub fn signature(&self) -> Uint8Array {
        Uint8Array::from(self.inner.signature())
    }

    #[wasm_bindgen(getter)]
    pub fn serial(&self) -> String {
        self.inner.serial().to_owned()
    }
}

#[wasm_bindgen]
pub struct NativeClient {
    inner: Client,
    /// The host-signing private key until the JS layer has imported it.
    pkcs8: Option<KeyMaterial>,
    /// When the host's crypto holds the private key: the client's signer, handing the core a
    /// signature the host made (see [`NativeTermination::next`]).
    host_signer: Option<Arc<HostSigner>>,
}

#[wasm_bindgen]
impl NativeClient {
    /// `config`: the `ClientConfig` fields, snake_case (`null`/`undefined` = not given). With
    /// `host_signs` the private key is checked, kept out of the client and handed over once as
    /// PKCS#8 by [`NativeClient::take_private_key_pkcs8`] for the host's crypto to import.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, host_signs: bool) -> Result<NativeClient, JsValue> {
        let json = from_js(config, "config")?;
        let mut config = ClientConfig::from_json(json).map_err(js_err)?;
        let host_key = if host_signs {
            config.private_key.take()
        } else {
            None
        };
        let mut inner = Client::new(&config).map_err(js_err)?;
        let pkcs8 = host_key.map(|pem| pkcs8_der(&pem)).transpose()?;
        let host_signer = pkcs8.as_ref().map(|_| Arc::new(HostSigner::default()));
        if let Some(signer) = &host_signer {
            inner = inner.with_signer(signer.clone());
        }
        Ok(NativeClient {
            inner,
            pkcs8,
            host_signer,
        })
    }

    /// The same client again after a recovery (see [`schedule_reinit`]), for a client whose
    /// private key the host's crypto already holds: `config` without the key (nothing to hand
    /// over again), and the host signer in place as [`NativeClient::new`] set it up.
    #[wasm_bindgen(js_name = withHostKey)]
    pub fn with_host_key(config: JsValue) -> Result<NativeClient, JsValue> {
        let json = from_js(config, "config")?;
        let config = ClientConfig::from_json(json).map_err(js_err)?;
        let signer = Arc::new(HostSigner::default());
        let inner = Client::new(&config)
            .map_err(js_err)?
            .with_signer(signer.clone());
        Ok(NativeClient {
            inner,
            pkcs8: None,
            host_signer: Some(signer),
        })
    }

    /// The core's test hook: panics inside the core, which on wasm32 (`panic=abort`) is a trap
    /// the JS layer must turn into an `InternalError` and recover from. Not API.
    #[wasm_bindgen(js_name = panicForTest)]
    pub fn panic_for_test(&self) -> Result<(), JsValue> {
        self.inner.panic_for_test().map_err(js_err)
    }

    /// The private key as PKCS#8 DER (RSA, ≥ 2048 bits, checked), once; afterwards `undefined`.
    #[wasm_bindgen(js_name = takePrivateKeyPkcs8)]
    pub fn take_private_key_pkcs8(&mut self) -> Option<Uint8Array> {
        self.pkcs8
            .take()
            .map(|der| Uint8Array::from(der.as_bytes()))
    }

    /// `[{serial, spki}]`: the verification keys, for the host's crypto to import.
    #[wasm_bindgen(js_name = verificationKeys)]
    pub fn verification_keys(&self) -> Array {
        self.inner
            .verification_keys()
            .into_iter()
            .map(|(serial, der)| {
                let o = Object::new();
                // Setting a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&o, &"serial".into(), &JsValue::from_str(&serial));
                let _ = Reflect::set(&o, &"spki".into(), &Uint8Array::from(&der[..]));
                JsValue::from(o)
            })
            .collect()
    }

    /// Builds an operation by catalog id, for signing by [`NativeClient::sign`] or the host.
    /// `params_json`: the params object as JSON text.
    #[wasm_bindgen(js_name = unsignedById)]
    pub fn unsigned_by_id(
        &self,
        operation: &str,
        params_json: &[u8],
        timestamp: f64,
        nonce: &str,
    ) -> Result<NativeUnsigned, JsValue> {
        let params = params_from_text(params_json, "params")?;
        let inner = self
            .inner
            .unsigned_by_id(operation, params, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(NativeUnsigned { inner })
    }

    /// Builds a generic call: `call` is `{method, template, pathParams, query, json}`.
    #[wasm_bindgen(js_name = unsignedCall)]
    pub fn unsigned_call(
        &self,
        call: JsValue,
        timestamp: f64,
        nonce: &str,
    ) -> Result<NativeUnsigned, JsValue> {
        let call = api_call(&call)?;
        let inner = self
            .inner
            .unsigned_call(&call, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(NativeUnsigned { inner })
    }

    /// The platform-certificate download request, unsigned: `host` is `"api"` or `"global"`.
    #[wasm_bindgen(js_name = unsignedCertificates)]
    pub fn unsigned_certificates(
        &self,
        host: &str,
        timestamp: f64,
        nonce: &str,
    ) -> Result<NativeUnsigned, JsValue> {
        let host = match host {
            "api" => Host::Api,
            "global" => Host::Global,
            _ => {
                return Err(input_err(
                    "host",
                    "`host` must be \"api\" or \"global\"".to_owned(),
                ));
            }
        };
        let inner = self
            .inner
            .unsigned_certificates(host, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(NativeUnsigned { inner })
    }

    /// Decrypts and verifies a certificate download (RSA in WASM): `{certificates: […]}`, the
    /// certificates valid at `now`. The client is unchanged.
    #[wasm_bindgen(js_name = parseCertificates)]
    pub fn parse_certificates(
        &self,
        status: u16,
        headers: &[u8],
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let headers = header_pairs(headers)?;
        let set = self
            .inner
            .parse_certificates(status, headers, body, seconds(now, "now")?)
            .map_err(js_err)?;
        Ok(to_js(&set))
    }

    /// Replaces the client's platform certificates with a set `parseCertificates` returned.
    #[wasm_bindgen(js_name = updateCertificates)]
    pub fn update_certificates(&self, set: JsValue, now: f64) -> Result<(), JsValue> {
        let set: CertificateSet = parsed_from_js(&set).ok_or_else(|| {
            input_err(
                "certificates",
                "pass the set parseCertificates returned: {certificates: [{serial_no, not_before, not_after, pem}]}".to_owned(),
            )
        })?;
        self.inner
            .update_certificates(&set, seconds(now, "now")?)
            .map_err(js_err)
    }

    /// `[[serial, not_after]]` of every platform certificate the client holds.
    pub fn certificates(&self) -> JsValue {
        to_js(&self.inner.certificates())
    }

    /// Whether the host should download certificates now.
    #[wasm_bindgen(js_name = certificatesRefreshDue)]
    pub fn certificates_refresh_due(&self, now: f64) -> Result<bool, JsValue> {
        Ok(self.inner.certificates_refresh_due(seconds(now, "now")?))
    }

    /// Signs with the configured private key, in WASM: the request record.
    pub fn sign(&self, unsigned: &NativeUnsigned) -> Result<JsValue, JsValue> {
        let request = self.inner.sign(unsigned.inner.clone()).map_err(js_err)?;
        Ok(request_value(request))
    }

    /// Verifies (RSA in WASM) and decodes a response: `{status, requestId, data}`.
    pub fn parse(
        &self,
        operation: Option<String>,
        status: u16,
        headers: &[u8],
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let headers = header_pairs(headers)?;
        let parsed = self
            .inner
            .parse_by_id_text(
                operation.as_deref(),
                status,
                headers,
                body,
                seconds(now, "now")?,
            )
            .map_err(js_err)?;
        Ok(parsed_value(&parsed))
    }

    /// Every check but RSA; the JS layer verifies `pending.signature` with its own crypto.
    /// An unknown operation id is refused first, as [`NativeClient::parse`] does.
    #[wasm_bindgen(js_name = beginVerification)]
    pub fn begin_verification(
        &self,
        operation: Option<String>,
        status: u16,
        headers: &[u8],
        body: &[u8],
    ) -> Result<NativePending, JsValue> {
        check_operation(operation.as_deref())?;
        let headers = header_pairs(headers)?;
        let inner = self
            .inner
            .begin_verification(status, headers, body)
            .map_err(js_err)?;
        Ok(NativePending {
            inner,
            response: Some((operation, status)),
        })
    }

    /// Completes [`NativeClient::begin_verification`] and decodes: `{status, requestId, data}`.
    #[wasm_bindgen(js_name = finishParse)]
    pub fn finish_parse(
        &self,
        pending: NativePending,
        signature_valid: bool,
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let now = seconds(now, "now")?;
        let Some((operation, status)) = pending.response else {
            return Err(thrown(record(
                ErrorKind::Internal,
                "a notification's verification cannot finish a response".to_owned(),
                None,
            )));
        };
        let request_id = self
            .inner
            .finish_verification(pending.inner, signature_valid, now)
            .map_err(js_err)?;
        let data =
            wxpay_terminate::decode_text_by_id(operation.as_deref(), body).map_err(js_err)?;
        Ok(parsed_value(&Parsed {
            status,
            request_id,
            data,
        }))
    }

    /// Verifies (RSA in WASM), decrypts and types a notification: its JSON.
    #[wasm_bindgen(js_name = parseNotification)]
    pub fn parse_notification(
        &self,
        headers: &[u8],
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let headers = header_pairs(headers)?;
        let notification = self
            .inner
            .parse_notification(headers, body, seconds(now, "now")?)
            .map_err(js_err)?;
        Ok(notification_value(&notification))
    }

    /// Every check of a notification but RSA (the APIv3 key must be configured).
    #[wasm_bindgen(js_name = beginNotification)]
    pub fn begin_notification(
        &self,
        headers: &[u8],
        body: &[u8],
    ) -> Result<NativePending, JsValue> {
        let headers = header_pairs(headers)?;
        let inner = self
            .inner
            .begin_notification(headers, body)
            .map_err(js_err)?;
        Ok(NativePending {
            inner,
            response: None,
        })
    }

    /// Completes [`NativeClient::begin_notification`]: clock, decryption, typing; its JSON.
    #[wasm_bindgen(js_name = finishNotification)]
    pub fn finish_notification(
        &self,
        pending: NativePending,
        signature_valid: bool,
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let now = seconds(now, "now")?;
        let notification = self
            .inner
            .finish_notification(pending.inner, signature_valid, body, now)
            .map_err(js_err)?;
        Ok(notification_value(&notification))
    }
}

/// The core's signer for a client whose private key the host's crypto holds (node:crypto,
/// WebCrypto: asynchronous, so it cannot be called from inside the core). The core asks for a
/// signature only inside [`Termination::next`]; [`NativeTermination`] runs that step twice: once
/// recording the message to sign (the trial is discarded), then, after the host has signed it,
/// handing that signature over. Each mode lasts one synchronous call, so clients are shared
/// freely between machines.
#[derive(Default)]
struct HostSigner {
    slot: Mutex<Slot>,
}

#[derive(Default)]
enum Slot {
    #[default]
    Idle,
    /// Record the message asked for.
    Record(Option<Vec<u8>>),
    /// Answer this message with this signature.
    Provide {
        message: Vec<u8>,
        signature: Vec<u8>,
    },
}

impl HostSigner {
    fn set(&self, slot: Slot) -> Slot {
        std::mem::replace(
            &mut *self.slot.lock().unwrap_or_else(PoisonError::into_inner),
            slot,
        )
    }
}

impl wxpay_terminate::crypto::Signer for HostSigner {
    fn sign(&self, message: &[u8]) -> wxpay_terminate::Result<Vec<u8>> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *slot {
            Slot::Record(seen) => {
                *seen = Some(message.to_vec());
                Err(Error::new(
                    ErrorKind::Internal,
                    "recorded for the host to sign",
                ))
            }
            Slot::Provide {
                message: signed,
                signature,
            } if signed.as_slice() == message => Ok(signature.clone()),
            Slot::Provide { .. } => Err(Error::new(
                ErrorKind::Internal,
                "the host's signature was made for another request",
            )),
            Slot::Idle => Err(Error::new(
                ErrorKind::InvalidKey,
                "the private key is held by the host's crypto: sign string_to_sign there",
            )),
        }
    }
}

/// Unix milliseconds from a JS number: an integer within the safe range.
fn millis(value: f64) -> Result<i64, JsValue> {
    if value.fract() != 0.0 || !value.is_finite() || value.abs() > 9_007_199_254_740_991.0 {
        return Err(input_err(
            "nowMs",
            "`nowMs` must be an integer number of Unix milliseconds".to_owned(),
        ));
    }
    // In range and integral, checked above.
    #[allow(clippy::cast_possible_truncation)]
    Ok(value as i64)
}

/// One step as JS receives it: `{"type": "send" | "wait" | "done", …}`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Built to be serialised at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum StepRecord {
    Send {
        request: RequestRecord,
        purpose: Purpose,
        attempt: u32,
    },
    Wait {
        until_ms: i64,
    },
    Done {
        outcome: Outcome,
    },
}

fn json_text<T: Serialize>(value: &T) -> String {
    // Plain records with string keys: serialising cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn step_json(step: Step) -> String {
    json_text(&match step {
        Step::Send {
            request,
            purpose,
            attempt,
        } => StepRecord::Send {
            request: RequestRecord::from(request),
            purpose,
            attempt,
        },
        Step::Wait { until_ms } => StepRecord::Wait { until_ms },
        Step::Done(outcome) => StepRecord::Done { outcome },
    })
}

/// One contract's terminate-and-confirm machine (the core's [`Termination`]); `js/client.js`
/// drives it. Steps, outcomes and errors cross as JSON text.
#[wasm_bindgen]
pub struct NativeTermination {
    inner: Termination,
    /// The message a host-signing client must sign before [`NativeTermination::next_signed`].
    to_sign: Option<Vec<u8>>,
}

#[wasm_bindgen]
impl NativeTermination {
    /// `params_json`/`query_params_json`: objects of API field names as JSON text (`null` for
    /// no query params); `policy`: `ConfirmPolicy` fields (snake_case; the JS layer converts).
    /// Everything is validated here, nothing is signed.
    #[wasm_bindgen(constructor)]
    pub fn new(
        operation: &str,
        params_json: &str,
        query_params_json: &str,
        policy: JsValue,
    ) -> Result<NativeTermination, JsValue> {
        let params = params_from_text(params_json.as_bytes(), "params")?;
        let query_params = match query_params_json {
            "null" => None,
            text => Some(params_from_text(text.as_bytes(), "query_params")?),
        };
        let policy = match from_js(policy, "policy")? {
            Value::Null => ConfirmPolicy::default(),
            value => ConfirmPolicy::from_json(value).map_err(js_err)?,
        };
        let inner = Termination::new(operation, params, query_params, policy).map_err(js_err)?;
        Ok(NativeTermination {
            inner,
            to_sign: None,
        })
    }

    /// Restores `toJson` (a request then in flight counts as lost: the query comes first).
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(state: &str) -> Result<NativeTermination, JsValue> {
        let inner = Termination::from_json(state).map_err(js_err)?;
        Ok(NativeTermination {
            inner,
            to_sign: None,
        })
    }

    /// The journal: params and counters, never a signature.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    #[wasm_bindgen(getter)]
    pub fn operation(&self) -> String {
        self.inner.operation().to_owned()
    }

    #[wasm_bindgen(getter, js_name = queryOperation)]
    pub fn query_operation(&self) -> String {
        self.inner.query_operation().to_owned()
    }

    /// `"terminate"` or `"query"` while an answer is awaited.
    #[wasm_bindgen(getter, js_name = inFlight)]
    pub fn in_flight(&self) -> Option<String> {
        self.inner.in_flight().map(|purpose| {
            match purpose {
                Purpose::Terminate => "terminate",
                Purpose::Query => "query",
            }
            .to_owned()
        })
    }

    /// The outcome as JSON, once known.
    #[wasm_bindgen(getter)]
    pub fn outcome(&self) -> Option<String> {
        self.inner.outcome().map(json_text)
    }

    /// The last error seen, as the error record's JSON.
    #[wasm_bindgen(getter, js_name = lastError)]
    pub fn last_error(&self) -> Option<String> {
        self.inner.last_error().map(json_text)
    }

    /// The next step as JSON text; or, when `client`'s key is held by the host's crypto and a
    /// new request must be signed, the message to sign (`Uint8Array`): sign it, then call
    /// [`NativeTermination::next_signed`] with the same `now_ms` and `nonce`.
    pub fn next(
        &mut self,
        client: &NativeClient,
        now_ms: f64,
        nonce: &str,
    ) -> Result<JsValue, JsValue> {
        let now_ms = millis(now_ms)?;
        self.to_sign = None;
        let Some(host) = &client.host_signer else {
            let step = self
                .inner
                .next(&client.inner, now_ms, nonce)
                .map_err(js_err)?;
            return Ok(JsValue::from_str(&step_json(step)));
        };
        let mut trial = self.inner.clone();
        host.set(Slot::Record(None));
        let result = trial.next(&client.inner, now_ms, nonce);
        if let Slot::Record(Some(message)) = host.set(Slot::Idle) {
            let bytes = Uint8Array::from(message.as_slice());
            self.to_sign = Some(message);
            return Ok(bytes.into());
        }
        // Nothing to sign (a wait, the end, or the held request sent again): the step stands.
        let step = result.map_err(js_err)?;
        self.inner = trial;
        Ok(JsValue::from_str(&step_json(step)))
    }

    /// The step [`NativeTermination::next`] asked the host to sign for, with its signature
    /// (raw bytes).
    #[wasm_bindgen(js_name = nextSigned)]
    pub fn next_signed(
        &mut self,
        client: &NativeClient,
        now_ms: f64,
        nonce: &str,
        signature: &[u8],
    ) -> Result<String, JsValue> {
        let now_ms = millis(now_ms)?;
        let (Some(host), Some(message)) = (&client.host_signer, self.to_sign.take()) else {
            return Err(thrown(record(
                ErrorKind::Internal,
                "nextSigned without a message to sign from next() with this client".to_owned(),
                None,
            )));
        };
        host.set(Slot::Provide {
            message,
            signature: signature.to_vec(),
        });
        let step = self.inner.next(&client.inner, now_ms, nonce);
        host.set(Slot::Idle);
        Ok(step_json(step.map_err(js_err)?))
    }

    /// A verified 2xx answer to the request in flight (the JS layer verified it with the
    /// client's own crypto): status, `Request-ID`, raw body.
    #[wasm_bindgen(js_name = onVerified)]
    pub fn on_verified(
        &mut self,
        status: u16,
        request_id: Option<String>,
        body: &[u8],
        now_ms: f64,
    ) -> Result<(), JsValue> {
        let now_ms = millis(now_ms)?;
        self.inner
            .on_verified(status, request_id, body, now_ms)
            .map_err(js_err)
    }

    /// An error for the request in flight: the error record's JSON (an API error or a
    /// verification failure).
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&mut self, error: &str, now_ms: f64) -> Result<(), JsValue> {
        let now_ms = millis(now_ms)?;
        let error: ErrorRecord = serde_json::from_str(error)
            .map_err(|_| input_err("error", "pass the WxpayError that parse threw".to_owned()))?;
        self.inner.on_error(&error, now_ms).map_err(js_err)
    }

    /// No answer arrived for the request in flight (fetch rejected, timed out).
    #[wasm_bindgen(js_name = onTransportError)]
    pub fn on_transport_error(&mut self, now_ms: f64) -> Result<(), JsValue> {
        let now_ms = millis(now_ms)?;
        self.inner.on_transport_error(now_ms).map_err(js_err)
    }

    /// A notification as `parseNotification` returned it (JSON text): whether it reported this
    /// contract's end, which then is the outcome.
    #[wasm_bindgen(js_name = onNotification)]
    pub fn on_notification(&mut self, notification: &str, now_ms: f64) -> Result<bool, JsValue> {
        let now_ms = millis(now_ms)?;
        let value: Value = serde_json::from_str(notification).map_err(|_| {
            input_err(
                "notification",
                "pass the notification parseNotification returned".to_owned(),
            )
        })?;
        let notification = Notification::from_json(&value).map_err(js_err)?;
        Ok(self.inner.on_notification(&notification, now_ms))
    }
}

/// The merchant key as PKCS#8 DER, its errors naming the option as the core does.
fn pkcs8_der(pem: &KeyMaterial) -> Result<KeyMaterial, JsValue> {
    let failed = |e: Error| {
        let mut record = ErrorRecord::from(&e);
        record.field.get_or_insert_with(|| "private_key".to_owned());
        thrown(record)
    };
    let key =
        wxpay_terminate::crypto::MerchantPrivateKey::from_pem(pem.as_bytes()).map_err(failed)?;
    let der = key.to_pkcs8_der().map_err(failed)?;
    Ok(KeyMaterial::from(der.as_slice()))
}

/// Signs bytes with a merchant key in WASM (the vector suite's signing stage).
#[wasm_bindgen(js_name = signMessage)]
pub fn sign_message(pem: &str, message: &[u8]) -> Result<String, JsValue> {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let key = MerchantPrivateKey::from_pem(pem.as_bytes()).map_err(js_err)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key.sign(message).map_err(js_err)?))
}

/// `{status, headers: [{name, value}], body}`: 200 and `{"code":"SUCCESS",…}`.
#[wasm_bindgen(js_name = notificationAck)]
pub fn notification_ack() -> JsValue {
    reply_value(&wxpay_terminate::notification_ack())
}

/// `{status, headers: [{name, value}], body}`: 500 and `{"code":"FAIL","message":…}`.
#[wasm_bindgen(js_name = notificationNack)]
pub fn notification_nack(message: &str) -> Result<JsValue, JsValue> {
    let reply = wxpay_terminate::notification_nack(message).map_err(js_err)?;
    Ok(reply_value(&reply))
}

/// Asks wasm-bindgen's glue to replace this instance with a fresh one from the same compiled
/// module before the next export call (`wasm_bindgen::handler::schedule_reinit`; every object
/// of the old instance is then stale). The JS layer calls it after a trap — a panic is one, the
/// build being `panic=abort` — left the instance's state (borrow flags, allocator, stack
/// pointer) as the trap found it. It touches no state of the instance: it only calls the glue's
/// import that sets the flag, so it is safe to call on a trapped instance.
#[wasm_bindgen(js_name = scheduleReinit)]
pub fn schedule_reinit() {
    wasm_bindgen::handler::schedule_reinit();
}

/// The record of an error the JS layer finds itself, shaped like every core error.
#[wasm_bindgen(js_name = errorRecord)]
pub fn error_record(kind: &str, message: String, field: Option<String>) -> JsValue {
    let kind = ErrorKind::from_name(kind).unwrap_or(ErrorKind::Internal);
    thrown(record(kind, message, field))
}

/// The client option names (`ClientConfig`'s fields, snake_case), read from its `Deserialize`
/// implementation, so a new core option needs no edit here: the JS layer names an error's
/// `field` in camelCase when it is one of these.
#[wasm_bindgen(js_name = optionNames)]
pub fn option_names() -> Array {
    use serde::Deserialize as _;
    match ClientConfig::deserialize(probe::Fields) {
        Err(probe::Found::Fields(names)) => names.iter().map(|n| JsValue::from_str(n)).collect(),
        _ => Array::new(),
    }
}

/// A deserializer that only records the field names a struct asks for.
mod probe {
    use std::fmt;

    use serde::de::Visitor;

    #[derive(Debug)]
    pub(crate) enum Found {
        Fields(&'static [&'static str]),
        Other,
    }

    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("field-name probe")
        }
    }

    impl std::error::Error for Found {}

    impl serde::de::Error for Found {
        fn custom<T: fmt::Display>(_: T) -> Self {
            Found::Other
        }
    }

    pub(crate) struct Fields;

    impl<'de> serde::Deserializer<'de> for Fields {
        type Error = Found;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found::Other)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found::Fields(fields))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
}

/// `ConfirmPolicy::default()` as JSON: the policy fields and their defaults (for index.d.ts).
#[wasm_bindgen(js_name = confirmPolicyDefaults)]
pub fn confirm_policy_defaults() -> String {
    json_text(&ConfirmPolicy::default())
}

/// The core's `catalog_json()`, written by build.rs (so schemars is not in the `.wasm`).
#[wasm_bindgen(js_name = catalogJson)]
pub fn catalog_json() -> String {
    include_str!(concat!(env!("OUT_DIR"), "/catalog.json")).to_owned()
}

#[wasm_bindgen(js_name = errorKinds)]
pub fn error_kinds() -> Array {
    ErrorKind::ALL
        .iter()
        .map(|k| JsValue::from_str(k.as_str()))
        .collect()
}
