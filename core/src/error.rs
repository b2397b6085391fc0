//! One short list of error kinds, shared by every binding.
//!
//! Kinds split like h11's local/remote errors: `InvalidInput` and `InvalidKey` come
//! from what the caller gave us (nothing was built or sent), every other kind
//! describes the response the host received. Messages never contain keys,
//! signatures or bodies, so they are safe to log.

use std::fmt;

/// What went wrong, as a stable name the bindings map to exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A parameter, nonce, timestamp or configuration value is missing or malformed.
    InvalidInput,
    /// A key or certificate could not be parsed, is not RSA, or is shorter than 2048 bits.
    InvalidKey,
    /// A 2xx response lacks one of the `Wechatpay-*` signature headers: treat it as forged.
    UnsignedResponse,
    /// The response signature does not verify over the raw body.
    InvalidSignature,
    /// The signature is a WeChat Pay `WECHATPAY/SIGNTEST/` probe: reject the response, as the probe expects.
    SignatureProbe,
    /// `Wechatpay-Serial` names no certificate or public key this client holds.
    UnknownSerial,
    /// `Wechatpay-Timestamp` is more than 300 s away from the host clock.
    ClockSkew,
    /// WeChat Pay answered with a non-2xx status.
    Api,
    /// A verified success body or notification does not decode into its typed shape.
    Decode,
    /// A notification or certificate download could not be decrypted with the APIv3 key
    /// (wrong key, tampered ciphertext, unknown algorithm).
    Decryption,
    /// The library or the host failed, not the input: the OS random number generator, or a
    /// caught panic. Worth reporting as a bug.
    Internal,
}

impl ErrorKind {
    /// Every kind, for bindings that assert they map each one.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidInput,
        ErrorKind::InvalidKey,
        ErrorKind::UnsignedResponse,
        ErrorKind::InvalidSignature,
        ErrorKind::SignatureProbe,
        ErrorKind::UnknownSerial,
        ErrorKind::ClockSkew,
        ErrorKind::Api,
        ErrorKind::Decode,
        ErrorKind::Decryption,
        ErrorKind::Internal,
    ];

    /// The stable snake_case name used in vectors and by every binding.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::UnsignedResponse => "unsigned_response",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::SignatureProbe => "signature_probe",
            ErrorKind::UnknownSerial => "unknown_serial",
            ErrorKind::ClockSkew => "clock_skew",
            ErrorKind::Api => "api",
            ErrorKind::Decode => "decode",
            ErrorKind::Decryption => "decryption",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind named by [`ErrorKind::as_str`].
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error body WeChat Pay sends with a non-2xx status, plus what the host saw.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// `code` from the error body, e.g. `PARAM_ERROR`, `SIGN_ERROR`, `SYSTEM_ERROR`.
    pub code: Option<String>,
    /// `message` from the error body (server text, usually Chinese).
    pub message: Option<String>,
    /// `detail` from the error body, free-form JSON (`field`, `value`, `issue`, `location`, …).
    pub detail: Option<serde_json::Value>,
    /// The `Request-ID` header: quote it to WeChat Pay support.
    pub request_id: Option<String>,
}

impl ApiError {
    /// 5xx and 429 are worth retrying with the same parameters; nothing else is.
    pub fn retryable(&self) -> bool {
        self.status >= 500 || self.status == 429
    }
}

/// Every error this crate returns.
#[derive(Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    serial: Option<String>,
    api: Option<Box<ApiError>>,
}

impl Error {
    /// An error of `kind` (for signers and other seams implemented outside the crate).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            field: None,
            serial: None,
            api: None,
        }
    }

    pub(crate) fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::InvalidInput,
            message: message.into(),
            field: Some(field.into()),
            serial: None,
            api: None,
        }
    }

    pub(crate) fn invalid_key(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidKey, message)
    }

    pub(crate) fn api(api: ApiError) -> Self {
        let message = match (&api.code, &api.message) {
            (Some(code), Some(message)) => format!("HTTP {} {code}: {message}", api.status),
            (Some(code), None) => format!("HTTP {} {code}", api.status),
            _ => format!("HTTP {}", api.status),
        };
        Error {
            kind: ErrorKind::Api,
            message,
            field: None,
            serial: None,
            api: Some(Box::new(api)),
        }
    }

    pub(crate) fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn with_serial(mut self, serial: impl Into<String>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// For `unknown_serial` (and an expired certificate): the `Wechatpay-Serial` at fault, so
    /// the host can download certificates and verify the same bytes again.
    pub fn serial(&self) -> Option<&str> {
        self.serial.as_deref()
    }

    /// The kind, for matching.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A human-readable message without secrets, signatures or bodies.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For `InvalidInput`: the parameter or setting at fault (API field name, `nonce`, `timestamp`, …).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// For `Api`: the status, code, message, detail and request id WeChat Pay sent.
    pub fn api_error(&self) -> Option<&ApiError> {
        self.api.as_deref()
    }

    /// Whether repeating the same request may succeed (5xx and 429 only).
    pub fn retryable(&self) -> bool {
        self.api.as_ref().is_some_and(|a| a.retryable())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(field) = &self.field {
            d.field("field", field);
        }
        if let Some(api) = &self.api {
            d.field("status", &api.status)
                .field("code", &api.code)
                .field("request_id", &api.request_id);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        if let Some(request_id) = self.api.as_ref().and_then(|a| a.request_id.as_deref()) {
            write!(f, " [Request-ID {request_id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error as one flat record with the same names in every language: what the bindings
/// raise. A new error field is one field here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ErrorRecord {
    /// The stable kind name ([`ErrorKind::as_str`]); bindings map it to a class, and an unknown
    /// one to their base class.
    pub kind: String,
    /// The library's message: no keys, signatures or bodies.
    pub message: String,
    /// For `invalid_input` (and some `invalid_key`): the parameter or option at fault.
    pub field: Option<String>,
    /// For `unknown_serial` and an expired certificate: the `Wechatpay-Serial` at fault.
    pub serial: Option<String>,
    /// For `api`: the HTTP status.
    pub status: Option<u16>,
    /// For `api`: WeChat Pay's `code`, e.g. `PARAM_ERROR`.
    pub code: Option<String>,
    /// For `api`: WeChat Pay's own `message` text.
    pub api_message: Option<String>,
    /// For `api`: the error body's `detail` as JSON text.
    pub detail: Option<String>,
    /// For `api`: the `Request-ID` header, for support tickets.
    pub request_id: Option<String>,
    /// Whether sending the same request again may succeed (5xx and 429).
    pub retryable: bool,
}

impl From<&Error> for ErrorRecord {
    fn from(e: &Error) -> Self {
        let api = e.api_error();
        ErrorRecord {
            kind: e.kind().as_str().to_owned(),
            message: e.message().to_owned(),
            field: e.field().map(str::to_owned),
            serial: e.serial().map(str::to_owned),
            status: api.map(|a| a.status),
            code: api.and_then(|a| a.code.clone()),
            api_message: api.and_then(|a| a.message.clone()),
            detail: api.and_then(|a| a.detail.as_ref()).map(|d| d.to_string()),
            request_id: api.and_then(|a| a.request_id.clone()),
            retryable: e.retryable(),
        }
    }
}

impl From<Error> for ErrorRecord {
    fn from(e: Error) -> Self {
        ErrorRecord::from(&e)
    }
}
