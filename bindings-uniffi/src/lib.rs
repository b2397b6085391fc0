//! The uniffi bridge behind the Kotlin and Swift packages. Not API: the generated bindings are.
//!
//! Configuration, operations, results, request descriptors, headers, notifications and the
//! error record are the core's own uniffi types (`ClientConfig`, `AnyOperation`, `AnyOutput`,
//! `RequestRecord`, `Header`, `Notification`, `ErrorRecord`, …), so nothing here knows an
//! endpoint, an option or an error field: a new one in the core is zero edits here. Time and
//! nonce default to the host clock and the OS RNG.
//!
//! Terminate-and-confirm is the core's machine behind a `Termination` object; its policy, outcome
//! and evidence are the core's records too (`ConfirmPolicy`, `Outcome`, `Evidence`), and only its
//! step is restated here (`TerminationStep`), because it carries the request as a `RequestRecord`.
//!
//! No panic crosses the FFI: every exported constructor, method and function returns
//! `Result<_, WxpayError>` and runs its body through `guard`, which turns a panic (a bug) into
//! the core's `internal` error — `WxpayException.Internal` in Kotlin and Java, `WxpayError.Internal`
//! in Swift — instead of uniffi's `InternalException` (Kotlin) or a `try!` crash (Swift). The one
//! exception is `WxpayError.record()`, the error's own accessor, which runs no core code.

// Every exported function returns `Result<_, WxpayError>`, and each error holds the whole
// `ErrorRecord` by value: uniffi serialises it into a buffer right at the FFI boundary and cannot
// carry a `Box`, so the size of the `Result` on the Rust stack buys nothing to optimise.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use wxpay_terminate::{
    AnyOperation, AnyOutput, ApiCall, CertificateSet, ClientConfig, ConfirmPolicy, ErrorKind,
    ErrorRecord, Header, Host, Method, Notification, NotificationReply, Outcome, Purpose,
    RequestRecord, Step,
};

uniffi::setup_scaffolding!();

/// Every error of the library: one variant per core error kind, each holding the one
/// [`ErrorRecord`], plus `Other` for a kind this list lacks. Kotlin: `WxpayException.InvalidInput`,
/// … with `e.record.field`, `e.record.status`, … and `e.message` exactly `record.message`
/// (kotlin/patch-generated.sh rewrites uniffi's `"record=…"`); Swift: `WxpayError.InvalidInput(record:)`,
/// … whose `errorDescription` is `record().message` (swift/generate.sh patches it likewise).
#[derive(Debug, uniffi::Error)]
pub enum WxpayError {
    /// A parameter, nonce, timestamp or setting is missing or malformed; `record.field` names it.
    InvalidInput { record: ErrorRecord },
    /// A key or certificate cannot be used, or no private key / APIv3 key is configured.
    InvalidKey { record: ErrorRecord },
    /// A 2xx response without the Wechatpay-* signature headers: treat it as forged.
    UnsignedResponse { record: ErrorRecord },
    /// The response or notification signature does not verify over the raw body.
    InvalidSignature { record: ErrorRecord },
    /// A `WECHATPAY/SIGNTEST/` probe: rejecting it is the right answer.
    SignatureProbe { record: ErrorRecord },
    /// `Wechatpay-Serial` names no key of this client.
    UnknownSerial { record: ErrorRecord },
    /// `Wechatpay-Timestamp` is more than 300 s from the host clock.
    ClockSkew { record: ErrorRecord },
    /// WeChat Pay answered with a non-2xx status: `record.status`, `code`, `apiMessage`,
    /// `detail` (JSON text), `requestId`, `retryable`.
    Api { record: ErrorRecord },
    /// A verified success body or notification does not match its documented shape.
    Decode { record: ErrorRecord },
    /// A notification does not decrypt with the APIv3 key (wrong key, tampered ciphertext).
    Decryption { record: ErrorRecord },
    /// The library or the host failed, not the input (e.g. the OS RNG): worth reporting.
    Internal { record: ErrorRecord },
    /// A kind this package does not list yet (a newer core): `record.kind` names it.
    Other { record: ErrorRecord },
}

impl WxpayError {
    fn record_ref(&self) -> &ErrorRecord {
        match self {
            WxpayError::InvalidInput { record }
            | WxpayError::InvalidKey { record }
            | WxpayError::UnsignedResponse { record }
            | WxpayError::InvalidSignature { record }
            | WxpayError::SignatureProbe { record }
            | WxpayError::UnknownSerial { record }
            | WxpayError::ClockSkew { record }
            | WxpayError::Api { record }
            | WxpayError::Decode { record }
            | WxpayError::Decryption { record }
            | WxpayError::Internal { record }
            | WxpayError::Other { record } => record,
        }
    }

    /// The variant for a record, chosen by its kind only; an unlisted kind is `Other`.
    fn from_record(record: ErrorRecord) -> Self {
        match ErrorKind::from_name(&record.kind) {
            Some(ErrorKind::InvalidInput) => WxpayError::InvalidInput { record },
            Some(ErrorKind::InvalidKey) => WxpayError::InvalidKey { record },
            Some(ErrorKind::UnsignedResponse) => WxpayError::UnsignedResponse { record },
            Some(ErrorKind::InvalidSignature) => WxpayError::InvalidSignature { record },
            Some(ErrorKind::SignatureProbe) => WxpayError::SignatureProbe { record },
            Some(ErrorKind::UnknownSerial) => WxpayError::UnknownSerial { record },
            Some(ErrorKind::ClockSkew) => WxpayError::ClockSkew { record },
            Some(ErrorKind::Api) => WxpayError::Api { record },
            Some(ErrorKind::Decode) => WxpayError::Decode { record },
            Some(ErrorKind::Decryption) => WxpayError::Decryption { record },
            Some(ErrorKind::Internal) => WxpayError::Internal { record },
            _ => WxpayError::Other { record },
        }
    }
}

#[uniffi::export]
impl WxpayError {
    /// The error record, whatever the variant (Kotlin: also the `record` property of each class).
    /// Unguarded on purpose (see the crate docs): a clone of the record, no core code.
    pub fn record(&self) -> ErrorRecord {
        self.record_ref().clone()
    }
}

/// Exactly the record's message.
impl std::fmt::Display for WxpayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.record_ref().message)
    }
}

impl std::error::Error for WxpayError {}

impl From<wxpay_terminate::Error> for WxpayError {
    fn from(e: wxpay_terminate::Error) -> Self {
        WxpayError::from_record(ErrorRecord::from(e))
    }
}

/// An `invalid_input` raised here (JSON text the core never sees as text).
fn input_error(field: &str, message: String) -> WxpayError {
    let mut record = ErrorRecord::from(wxpay_terminate::Error::new(
        ErrorKind::InvalidInput,
        message,
    ));
    record.field = Some(field.to_owned());
    WxpayError::from_record(record)
}

/// The body of every exported entry point: a panic inside it — a bug — becomes the core's
/// `internal` error, the same message as in Python, and the objects stay usable (their locks
/// ignore poisoning). The panic's own text is not carried over: it is for the process's stderr
/// (the panic hook), never for an error message a host may log or show.
fn guard<T>(work: impl FnOnce() -> Result<T, WxpayError>) -> Result<T, WxpayError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(WxpayError::from(wxpay_terminate::Error::new(
            ErrorKind::Internal,
            "wxpay-terminate panicked: please report this as a bug",
        )))
    })
}

/// A verified success with its typed result.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Parsed {
    pub status: u16,
    pub request_id: Option<String>,
    pub data: AnyOutput,
}

/// A verified success with its result as JSON text (null for 204), e.g. for generic calls.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParsedJson {
    pub status: u16,
    pub request_id: Option<String>,
    pub json: Option<String>,
}

/// A generic call to any APIv3 endpoint by URI template.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ApiCallSpec {
    pub method: String,
    /// `v3/…/{var}`, `/v3/…` or an absolute URL.
    pub template: String,
    #[uniffi(default = [])]
    pub path_params: Vec<Header>,
    #[uniffi(default = [])]
    pub query: Vec<Header>,
    /// JSON body text, sent compactly in its key order; null for no body.
    #[uniffi(default = None)]
    pub json: Option<String>,
}

/// A platform certificate the client verifies with.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HeldCertificate {
    /// The serial, as `Wechatpay-Serial` carries it.
    pub serial_no: String,
    /// X.509 notAfter, Unix seconds.
    pub not_after: i64,
}

/// A request before its signature: pass it to `Client.sign`, or sign `stringToSign()` with a
/// key kept in Android Keystore, the iOS Keychain or a KMS and call `complete`.
#[derive(uniffi::Object)]
pub struct UnsignedRequest {
    inner: wxpay_terminate::UnsignedRequest,
}

#[uniffi::export]
impl UnsignedRequest {
    /// The bytes to sign with RSASSA-PKCS1-v1_5 / SHA-256 (SHA256withRSA).
    pub fn string_to_sign(&self) -> Result<Vec<u8>, WxpayError> {
        guard(|| Ok(self.inner.string_to_sign().to_vec()))
    }

    /// The catalog id, or null for a generic call.
    pub fn operation(&self) -> Result<Option<String>, WxpayError> {
        guard(|| Ok(self.inner.operation().map(str::to_owned)))
    }

    /// Completes the request from the base64 signature.
    pub fn complete(&self, signature_base64: String) -> Result<RequestRecord, WxpayError> {
        guard(|| Ok(self.inner.clone().complete(&signature_base64)?.into()))
    }
}

fn now_or(timestamp: Option<i64>) -> i64 {
    timestamp.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// When and with which nonce a request is signed; null parts come from the host.
struct Stamp {
    timestamp: i64,
    nonce: String,
}

impl Stamp {
    fn or_host(timestamp: Option<i64>, nonce: Option<String>) -> Result<Stamp, WxpayError> {
        let nonce = match nonce {
            Some(nonce) => nonce,
            None => wxpay_terminate::generate_nonce()?,
        };
        Ok(Stamp {
            timestamp: now_or(timestamp),
            nonce,
        })
    }
}

fn parse_json_text(field: &str, text: &str) -> Result<serde_json::Value, WxpayError> {
    serde_json::from_str(text)
        .map_err(|e| input_error(field, format!("`{field}` is not valid JSON ({e})")))
}

/// `User-Agent` names the package: Kotlin on Android, Swift on Apple platforms, Kotlin on the
/// JVM elsewhere. The generated code cannot pass it, so it is chosen from the target this
/// library was compiled for; a JVM app on macOS sets `userAgentPlatform` itself.
const fn default_platform() -> &'static str {
    if cfg!(target_os = "android") {
        "kotlin/android"
    } else if cfg!(any(target_os = "ios", target_os = "macos")) {
        "swift"
    } else {
        "kotlin/jvm"
    }
}

/// A configured merchant; thread-safe, keys parsed once.
#[derive(uniffi::Object)]
pub struct Client {
    inner: wxpay_terminate::Client,
}

#[uniffi::export]
impl Client {
    /// Parses and checks the configuration (the core's `ClientConfig`, unchanged).
    #[uniffi::constructor]
    pub fn new(mut config: ClientConfig) -> Result<Arc<Self>, WxpayError> {
        guard(|| {
            if config.user_agent_platform.is_none() {
                config.user_agent_platform = Some(default_platform().to_owned());
            }
            Ok(Arc::new(Client {
                inner: wxpay_terminate::Client::new(&config)?,
            }))
        })
    }

    /// The `Wechatpay-Serial` values this client verifies.
    pub fn verification_serials(&self) -> Result<Vec<String>, WxpayError> {
        guard(|| Ok(self.inner.verification_serials()))
    }

    /// The `User-Agent` every request carries.
    pub fn user_agent(&self) -> Result<String, WxpayError> {
        guard(|| Ok(self.inner.user_agent().to_owned()))
    }

    /// Test hook only, not API: panics inside the core on purpose, to show that a panic comes
    /// back as `WxpayException.Internal` (Swift: `WxpayError.Internal`) and leaves this client
    /// usable. Never call it outside tests.
    pub fn panic_for_test(&self) -> Result<(), WxpayError> {
        guard(|| Ok(self.inner.panic_for_test()?))
    }

    // ---- building: one unsigned builder per input shape, one `sign` --------------------

    /// Builds and signs a typed operation. Null timestamp/nonce: host clock and a random nonce.
    /// (Each operation also has its own method, e.g. `terminatePapayContract(params)`.)
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn prepare(
        &self,
        operation: AnyOperation,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<RequestRecord, WxpayError> {
        guard(|| {
            let unsigned = self.unsigned_request(operation, timestamp, nonce)?;
            Ok(self.inner.sign(unsigned)?.into())
        })
    }

    /// A typed operation before its signature.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn unsigned(
        &self,
        operation: AnyOperation,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        guard(|| {
            let inner = self.unsigned_request(operation, timestamp, nonce)?;
            Ok(Arc::new(UnsignedRequest { inner }))
        })
    }

    /// An operation named by its catalog id, params as a JSON object text, before its signature.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn unsigned_by_id(
        &self,
        operation_id: String,
        params_json: String,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        guard(|| {
            let params = parse_json_text("params", &params_json)?;
            let stamp = Stamp::or_host(timestamp, nonce)?;
            let inner =
                self.inner
                    .unsigned_by_id(&operation_id, params, stamp.timestamp, &stamp.nonce)?;
            Ok(Arc::new(UnsignedRequest { inner }))
        })
    }

    /// A generic call by URI template, before its signature.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn unsigned_call(
        &self,
        call: ApiCallSpec,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        guard(|| {
            let call = api_call(call)?;
            let stamp = Stamp::or_host(timestamp, nonce)?;
            let inner = self
                .inner
                .unsigned_call(&call, stamp.timestamp, &stamp.nonce)?;
            Ok(Arc::new(UnsignedRequest { inner }))
        })
    }

    /// Signs with the configured private key.
    pub fn sign(&self, unsigned: Arc<UnsignedRequest>) -> Result<RequestRecord, WxpayError> {
        guard(|| Ok(self.inner.sign(unsigned.inner.clone())?.into()))
    }

    // ---- responses ---------------------------------------------------------------------

    /// Verifies the response to `request` and returns its typed result.
    #[uniffi::method(default(now = None))]
    pub fn parse(
        &self,
        request: RequestRecord,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<Parsed, WxpayError> {
        guard(|| {
            let operation = request.operation.ok_or_else(|| {
                input_error(
                    "request",
                    "a generic call has no typed result: use parseById".to_owned(),
                )
            })?;
            let parsed = self
                .inner
                .parse_any(&operation, status, &headers, &body, now_or(now))?;
            Ok(Parsed {
                status: parsed.status,
                request_id: parsed.request_id,
                data: parsed.data,
            })
        })
    }

    /// Verifies a response and returns the result as JSON text; `operation_id` null for a
    /// generic call.
    #[uniffi::method(default(now = None))]
    pub fn parse_by_id(
        &self,
        operation_id: Option<String>,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<ParsedJson, WxpayError> {
        guard(|| {
            let parsed = self.inner.parse_by_id(
                operation_id.as_deref(),
                status,
                &headers,
                &body,
                now_or(now),
            )?;
            let json = (!parsed.data.is_null()).then(|| parsed.data.to_string());
            Ok(ParsedJson {
                status: parsed.status,
                request_id: parsed.request_id,
                json,
            })
        })
    }

    // ---- notifications -----------------------------------------------------------------

    /// Verifies, decrypts (APIv3 key) and types a notification from the raw request headers
    /// and body bytes. Answer with `notificationAck()` or `notificationNack(message)`.
    #[uniffi::method(default(now = None))]
    pub fn parse_notification(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<Notification, WxpayError> {
        guard(|| {
            Ok(self
                .inner
                .parse_notification(&headers, &body, now_or(now))?)
        })
    }

    // ---- platform certificates ---------------------------------------------------------

    /// The certificate download (`GET /v3/certificates?algorithm_type=RSA`, or
    /// `/v3/global/certificates` for `Host.GLOBAL`) before its signature; `sign` it and send it.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn unsigned_certificates(
        &self,
        host: Host,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        guard(|| {
            let stamp = Stamp::or_host(timestamp, nonce)?;
            let inner = self
                .inner
                .unsigned_certificates(host, stamp.timestamp, &stamp.nonce)?;
            Ok(Arc::new(UnsignedRequest { inner }))
        })
    }

    /// Decrypts (APIv3 key) and verifies a certificate download; the certificates valid at
    /// `now`. The client is unchanged: pass the set to `updateCertificates`.
    #[uniffi::method(default(now = None))]
    pub fn parse_certificates(
        &self,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<CertificateSet, WxpayError> {
        guard(|| {
            Ok(self
                .inner
                .parse_certificates(status, &headers, &body, now_or(now))?)
        })
    }

    /// Replaces the client's platform certificates (the public key, if any, stays), safely
    /// while other threads verify.
    #[uniffi::method(default(now = None))]
    pub fn update_certificates(
        &self,
        set: CertificateSet,
        now: Option<i64>,
    ) -> Result<(), WxpayError> {
        guard(|| Ok(self.inner.update_certificates(&set, now_or(now))?))
    }

    /// The platform certificates the client holds.
    pub fn certificates(&self) -> Result<Vec<HeldCertificate>, WxpayError> {
        guard(|| {
            Ok(self
                .inner
                .certificates()
                .into_iter()
                .map(|(serial_no, not_after)| HeldCertificate {
                    serial_no,
                    not_after,
                })
                .collect())
        })
    }

    /// Whether to download certificates now (12 h since the last download, one expiring within
    /// 24 h, or an unknown serial seen; the last two at most once a minute).
    #[uniffi::method(default(now = None))]
    pub fn certificates_refresh_due(&self, now: Option<i64>) -> Result<bool, WxpayError> {
        guard(|| Ok(self.inner.certificates_refresh_due(now_or(now))))
    }
}

impl Client {
    fn unsigned_request(
        &self,
        operation: AnyOperation,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<wxpay_terminate::UnsignedRequest, WxpayError> {
        let stamp = Stamp::or_host(timestamp, nonce)?;
        Ok(self
            .inner
            .unsigned_any(&operation, stamp.timestamp, &stamp.nonce)?)
    }
}

fn api_call(spec: ApiCallSpec) -> Result<ApiCall, WxpayError> {
    let mut call = ApiCall::new(Method::parse(&spec.method)?, spec.template);
    call.path_params = spec
        .path_params
        .into_iter()
        .map(|h| (h.name, h.value))
        .collect();
    call.query = spec.query.into_iter().map(|h| (h.name, h.value)).collect();
    call.json = spec
        .json
        .as_deref()
        .map(|text| parse_json_text("json", text))
        .transpose()?;
    Ok(call)
}

/// One method per catalog operation (`client.terminatePapayContract(TerminatePapayContract(…))`),
/// stamped out from the core's list so adding an endpoint does not touch this crate.
macro_rules! operation_methods {
    ($($op:ident => $method:ident,)*) => {
        #[uniffi::export]
        impl Client {
            $(
                #[uniffi::method(default(timestamp = None, nonce = None))]
                pub fn $method(
                    &self,
                    params: wxpay_terminate::$op,
                    timestamp: Option<i64>,
                    nonce: Option<String>,
                ) -> Result<RequestRecord, WxpayError> {
                    guard(|| self.prepare(params.into(), timestamp, nonce))
                }
            )*
        }
    };
}

wxpay_terminate::for_each_operation!(operation_methods);

// ---- terminate-and-confirm ------------------------------------------------------------------

/// The host clock in Unix milliseconds, unless given.
fn now_ms_or(now_ms: Option<i64>) -> i64 {
    now_ms.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

fn optional_json(
    field: &str,
    text: Option<String>,
) -> Result<Option<serde_json::Value>, WxpayError> {
    text.as_deref()
        .map(|t| parse_json_text(field, t))
        .transpose()
}

/// What the host does next: the core's `Step`, the request as the `RequestRecord` every other
/// method returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
// Returned one at a time and serialised across the FFI at once (as the core's `Step`): a box
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum TerminationStep {
    /// Send this request exactly as signed, then report the answer (`onResponse`) or its absence
    /// (`onTransportError`).
    Send {
        request: RequestRecord,
        /// Terminate or query.
        purpose: Purpose,
        /// 1 for the first send of this purpose.
        attempt: u32,
    },
    /// Call `next` again at (or after) this time, Unix milliseconds.
    Wait { until_ms: i64 },
    /// The contract's final state is known.
    Done { outcome: Outcome },
}

impl From<Step> for TerminationStep {
    fn from(step: Step) -> Self {
        match step {
            Step::Send {
                request,
                purpose,
                attempt,
            } => TerminationStep::Send {
                request: request.into(),
                purpose,
                attempt,
            },
            Step::Wait { until_ms } => TerminationStep::Wait { until_ms },
            Step::Done(outcome) => TerminationStep::Done { outcome },
        }
    }
}

/// The core's default `ConfirmPolicy` (6 terminate sends, 10 queries, back-off from 1 s to 60 s, …),
/// to change a field of (Kotlin: `ConfirmPolicy.default().copy(…)`).
#[uniffi::export]
pub fn default_confirm_policy() -> Result<ConfirmPolicy, WxpayError> {
    guard(|| Ok(ConfirmPolicy::default()))
}

/// A `ConfirmPolicy` from a JSON object of the fields to change, by their snake_case names
/// (`{"backoff_initial_ms": 200}`); the others keep their defaults. Unknown or mistyped fields
/// are an `InvalidInput` with `field == "policy"`.
#[uniffi::export]
pub fn confirm_policy_from_json(json: String) -> Result<ConfirmPolicy, WxpayError> {
    guard(|| Ok(ConfirmPolicy::from_json(parse_json_text("policy", &json)?)?))
}

/// One contract's terminate-and-confirm machine (the core's `Termination`): it says what to send
/// and when, and stops only when the contract's final state is confirmed — or says it is not.
/// Sans-IO: the host sends the requests, sleeps through `Wait`, and reports what came back.
/// Thread-safe; one machine per contract. `toJson()` is a journal that never holds a signature.
#[derive(uniffi::Object)]
pub struct Termination {
    inner: Mutex<wxpay_terminate::Termination>,
}

impl Termination {
    fn wrap(machine: wxpay_terminate::Termination) -> Arc<Self> {
        Arc::new(Termination {
            inner: Mutex::new(machine),
        })
    }

    /// The machine, locked for one call. The lock is this machine's alone: the RSA work of one
    /// contract never waits for another's, and the client is shared without a lock.
    fn with<T>(&self, work: impl FnOnce(&mut wxpay_terminate::Termination) -> T) -> T {
        work(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl Termination {
    /// A termination by catalog id (`terminate_papay_contract`, …) with its params as a JSON object
    /// text. The confirming query takes its params from them by name; `query_params_json` adds what
    /// the termination does not carry (face pay: `out_user_id`; WeBizPay: `user_id`; edu-papay:
    /// `appid`). Null policy: the core's defaults. Bad input is an `InvalidInput` now, before
    /// anything is signed.
    #[uniffi::constructor(default(query_params_json = None, policy = None))]
    pub fn new(
        operation_id: String,
        params_json: String,
        query_params_json: Option<String>,
        policy: Option<ConfirmPolicy>,
    ) -> Result<Arc<Self>, WxpayError> {
        guard(|| {
            let params = parse_json_text("params", &params_json)?;
            let query_params = optional_json("query_params", query_params_json)?;
            Ok(Self::wrap(wxpay_terminate::Termination::new(
                &operation_id,
                params,
                query_params,
                policy.unwrap_or_default(),
            )?))
        })
    }

    /// A termination from a typed operation (`AnyOperation.TerminatePapayContract(…)`).
    #[uniffi::constructor(default(query_params_json = None, policy = None))]
    pub fn of(
        operation: AnyOperation,
        query_params_json: Option<String>,
        policy: Option<ConfirmPolicy>,
    ) -> Result<Arc<Self>, WxpayError> {
        guard(|| {
            let query_params = optional_json("query_params", query_params_json)?;
            Ok(Self::wrap(wxpay_terminate::Termination::of(
                &operation,
                query_params,
                policy.unwrap_or_default(),
            )?))
        })
    }

    /// Restores `toJson()`. A request in flight when it was saved counts as sent with its answer
    /// lost: the termination may have happened, so the query comes first.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, WxpayError> {
        guard(|| Ok(Self::wrap(wxpay_terminate::Termination::from_json(&json)?)))
    }

    /// The machine as JSON, for a journal: params and counters, never a signature.
    pub fn to_json(&self) -> Result<String, WxpayError> {
        guard(|| Ok(self.with(|m| m.to_json())))
    }

    /// The terminate operation id.
    pub fn operation(&self) -> Result<String, WxpayError> {
        guard(|| Ok(self.with(|m| m.operation().to_owned())))
    }

    /// The query operation id that confirms it.
    pub fn query_operation(&self) -> Result<String, WxpayError> {
        guard(|| Ok(self.with(|m| m.query_operation().to_owned())))
    }

    /// The final outcome, once known.
    pub fn outcome(&self) -> Result<Option<Outcome>, WxpayError> {
        guard(|| Ok(self.with(|m| m.outcome().cloned())))
    }

    /// The last error seen (for progress displays and logs; messages hold no secrets).
    pub fn last_error(&self) -> Result<Option<ErrorRecord>, WxpayError> {
        guard(|| Ok(self.with(|m| m.last_error().cloned())))
    }

    /// What to do now. Null `now_ms`: the host clock (Unix milliseconds); null nonce: a random one
    /// (used only when a new request is signed).
    #[uniffi::method(default(now_ms = None, nonce = None))]
    pub fn next(
        &self,
        client: Arc<Client>,
        now_ms: Option<i64>,
        nonce: Option<String>,
    ) -> Result<TerminationStep, WxpayError> {
        guard(|| {
            let nonce = match nonce {
                Some(nonce) => nonce,
                None => wxpay_terminate::generate_nonce()?,
            };
            let now_ms = now_ms_or(now_ms);
            Ok(self.with(|m| m.next(&client.inner, now_ms, &nonce))?.into())
        })
    }

    /// Verifies the answer to the request in flight with `client` and reports it: a 2xx that does
    /// not verify counts as no answer, an error status is read by the recipe. Errors here are misuse
    /// (no request in flight), never the answer's.
    #[uniffi::method(default(now_ms = None))]
    pub fn on_response(
        &self,
        client: Arc<Client>,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now_ms: Option<i64>,
    ) -> Result<(), WxpayError> {
        guard(|| {
            let now_ms = now_ms_or(now_ms);
            Ok(self.with(|m| m.on_response(&client.inner, status, &headers, &body, now_ms))?)
        })
    }

    /// No answer arrived for the request in flight (timeout, reset, DNS, TLS): it may or may not
    /// have reached WeChat Pay.
    #[uniffi::method(default(now_ms = None))]
    pub fn on_transport_error(&self, now_ms: Option<i64>) -> Result<(), WxpayError> {
        guard(|| {
            let now_ms = now_ms_or(now_ms);
            Ok(self.with(|m| m.on_transport_error(now_ms))?)
        })
    }

    /// Offers a verified notification (`parseNotification`); true when it reports the end of this
    /// contract, which then confirms the outcome.
    #[uniffi::method(default(now_ms = None))]
    pub fn on_notification(
        &self,
        notification: Notification,
        now_ms: Option<i64>,
    ) -> Result<bool, WxpayError> {
        guard(|| {
            let now_ms = now_ms_or(now_ms);
            Ok(self.with(|m| m.on_notification(&notification, now_ms)))
        })
    }
}

/// The notification as the JSON text of docs/notifications.md (what Python and JS receive).
#[uniffi::export]
pub fn notification_json(notification: Notification) -> Result<String, WxpayError> {
    guard(|| Ok(notification.to_json().to_string()))
}

/// The reply that acknowledges a notification: 200, `{"code":"SUCCESS","message":"成功"}`.
#[uniffi::export]
pub fn notification_ack() -> Result<NotificationReply, WxpayError> {
    guard(|| Ok(wxpay_terminate::notification_ack()))
}

/// The reply that makes WeChat Pay retry: 500, `{"code":"FAIL","message":…}`; 1–64 characters.
#[uniffi::export]
pub fn notification_nack(message: String) -> Result<NotificationReply, WxpayError> {
    guard(|| Ok(wxpay_terminate::notification_nack(&message)?))
}

/// Signs arbitrary bytes with a merchant key (SHA256withRSA), base64 — e.g. a JSAPI `paySign`.
#[uniffi::export]
pub fn sign_message(private_key_pem: String, message: Vec<u8>) -> Result<String, WxpayError> {
    guard(|| {
        use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
        let key = MerchantPrivateKey::from_pem(private_key_pem.as_bytes())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(key.sign(&message)?))
    })
}

/// The catalog with result schemas, as JSON text.
#[uniffi::export]
pub fn catalog_json() -> Result<String, WxpayError> {
    guard(|| Ok(wxpay_terminate::catalog_json().to_string()))
}

/// Every core error kind name (snake_case), for parity checks.
#[uniffi::export]
pub fn error_kinds() -> Result<Vec<String>, WxpayError> {
    guard(|| {
        Ok(ErrorKind::ALL
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect())
    })
}

/// 32 random upper-case hex characters from the OS RNG.
#[uniffi::export]
pub fn generate_nonce() -> Result<String, WxpayError> {
    guard(|| Ok(wxpay_terminate::generate_nonce()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_own_variant_and_unknown_kinds_to_other() {
        for kind in ErrorKind::ALL {
            let record = ErrorRecord::from(wxpay_terminate::Error::new(kind, "m"));
            let error = WxpayError::from_record(record);
            assert!(!matches!(error, WxpayError::Other { .. }), "{kind}");
            assert_eq!(error.to_string(), "m");
        }
        let mut record = ErrorRecord::from(wxpay_terminate::Error::new(ErrorKind::Api, "x"));
        record.kind = "rate_limited".to_owned();
        assert!(matches!(
            WxpayError::from_record(record),
            WxpayError::Other { .. }
        ));
    }

    fn doc_client() -> Arc<Client> {
        let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/keys");
        let read = |name: &str| std::fs::read_to_string(keys.join(name)).unwrap_or_default();
        Client::new(ClientConfig {
            mchid: "1900007291".into(),
            serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
            private_key: Some(read("merchant_doc_pkcs8.pem").into()),
            wechatpay_public_key_id: Some("PUB_KEY_ID_0119000072912025112400000000000001".into()),
            wechatpay_public_key: Some(read("wechatpay_public_key.pem").into()),
            ..Default::default()
        })
        .unwrap_or_else(|e| unreachable!("the doc client: {e}"))
    }

    #[test]
    fn a_termination_steps_as_records_and_misuse_is_an_error_not_a_panic() {
        let client = doc_client();
        let params = r#"{"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "r"}"#;
        let machine =
            Termination::new("terminate_papay_contract".into(), params.into(), None, None)
                .unwrap_or_else(|e| unreachable!("{e}"));
        let step = machine
            .next(
                client.clone(),
                Some(1_700_000_000_000),
                Some("N0NCE".into()),
            )
            .unwrap_or_else(|e| unreachable!("{e}"));
        let TerminationStep::Send {
            request,
            purpose,
            attempt,
        } = step
        else {
            unreachable!("a send first, got {step:?}")
        };
        assert_eq!((purpose, attempt), (Purpose::Terminate, 1));
        assert_eq!(
            request.operation.as_deref(),
            Some("terminate_papay_contract")
        );
        assert!(matches!(
            machine.next(client, None, None),
            Err(WxpayError::InvalidInput { .. })
        ));
        let saved = machine.to_json().unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!saved.contains("WECHATPAY2"));
        assert!(Termination::from_json(saved).is_ok());

        let bad = Termination::new("terminate_papay_contract".into(), "{".into(), None, None);
        assert!(
            matches!(&bad, Err(WxpayError::InvalidInput { record }) if record.field.as_deref() == Some("params"))
        );
        let bad = confirm_policy_from_json(r#"{"max_query_sends": "many"}"#.into());
        assert!(
            matches!(&bad, Err(WxpayError::InvalidInput { record }) if record.field.as_deref() == Some("policy"))
        );
        assert_eq!(
            default_confirm_policy().ok(),
            Some(ConfirmPolicy::default())
        );
    }

    #[test]
    fn a_panic_is_the_internal_error_and_the_client_stays_usable() {
        let client = doc_client();
        for _ in 0..3 {
            match client.panic_for_test() {
                Err(WxpayError::Internal { record }) => {
                    assert_eq!(record.kind, "internal");
                    assert_eq!(
                        record.message,
                        "wxpay-terminate panicked: please report this as a bug"
                    );
                }
                other => unreachable!("expected the internal error, got {other:?}"),
            }
        }
        let params = r#"{"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "r"}"#;
        let unsigned = client.unsigned_by_id(
            "terminate_papay_contract".into(),
            params.into(),
            Some(1_700_000_000),
            Some("N0NCE".into()),
        );
        assert!(unsigned.and_then(|u| client.sign(u)).is_ok());
    }

    /// Every exported entry point (each `pub fn` of this file: they are all exported, the
    /// per-operation methods included) runs its body through `guard`, but `WxpayError::record`.
    #[test]
    fn every_exported_function_body_is_guarded() {
        let source = include_str!("lib.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let mut checked = Vec::new();
        let mut unguarded = Vec::new();
        for (at, _) in source.match_indices("pub fn ") {
            let rest = &source[at + "pub fn ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            let body = rest
                .find('{')
                .map_or("", |open| rest[open + 1..].trim_start());
            if name != "record" && !body.starts_with("guard(") {
                unguarded.push(name.clone());
            }
            checked.push(name);
        }
        assert!(
            unguarded.is_empty(),
            "unguarded entry points: {unguarded:?}"
        );
        // The scan sees them all: a guarded constructor, method and function, and the macro's.
        for name in [
            "new",
            "panic_for_test",
            "on_notification",
            "catalog_json",
            "$method",
        ] {
            assert!(
                checked.iter().any(|n| n == name),
                "{name} not found in {checked:?}"
            );
        }
        assert!(checked.len() >= 40, "{checked:?}");
    }
}
