//! Verification of what WeChat Pay sends: responses and notifications share one rule set.
//!
//! Checks run in a fixed order so every binding reports the same error for the same bytes:
//! API error (non-2xx) → missing signature headers → probe → unsupported signature type →
//! unknown serial → malformed timestamp or signature → RSA → clock skew.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::crypto::Verifier;
use crate::error::{ApiError, Error, ErrorKind, Result};
use crate::protocol::{self, MAX_CLOCK_SKEW_SECS, PROBE_PREFIX, SIGNATURE_TYPE};

/// Header names WeChat Pay uses, compared case-insensitively.
pub mod header {
    /// Unix seconds when WeChat Pay signed.
    pub const TIMESTAMP: &str = "Wechatpay-Timestamp";
    /// The signer's random string.
    pub const NONCE: &str = "Wechatpay-Nonce";
    /// Base64 RSA signature over `timestamp\nnonce\nbody\n`.
    pub const SIGNATURE: &str = "Wechatpay-Signature";
    /// Platform certificate serial or `PUB_KEY_ID_…` of the signing key; on requests, the key
    /// the merchant wants responses signed with.
    pub const SERIAL: &str = "Wechatpay-Serial";
    /// `WECHATPAY2-SHA256-RSA2048`; optional.
    pub const SIGNATURE_TYPE: &str = "Wechatpay-Signature-Type";
    /// WeChat Pay's request id, for support tickets; optional.
    pub const REQUEST_ID: &str = "Request-ID";
    /// The merchant's signature on a request.
    pub const AUTHORIZATION: &str = "Authorization";
    /// Sent on every request.
    pub const ACCEPT: &str = "Accept";
    /// Sent with a body.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// Names the library and binding.
    pub const USER_AGENT: &str = "User-Agent";
}

/// Prefix of WeChat Pay public key ids as `Wechatpay-Serial` carries them.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// One received header, as any binding or HTTP library holds it: `(name, value)` tuples of
/// `&str` or `String`, or references to them.
pub trait HeaderPair {
    /// The header name (compared case-insensitively).
    fn name(&self) -> &str;
    /// The header value.
    fn value(&self) -> &str;
}

impl<N: AsRef<str>, V: AsRef<str>> HeaderPair for (N, V) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

impl<T: HeaderPair + ?Sized> HeaderPair for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn value(&self) -> &str {
        (**self).value()
    }
}

pub(crate) fn signed_headers(headers: impl IntoIterator<Item = impl HeaderPair>) -> SignedHeaders {
    let pairs: Vec<_> = headers.into_iter().collect();
    SignedHeaders::read(pairs.iter().map(|h| (h.name(), h.value())))
}

/// A verification key and the `Wechatpay-Serial` value that selects it.
#[derive(Clone)]
pub(crate) struct VerificationKey {
    pub(crate) serial: String,
    pub(crate) is_public_key: bool,
    pub(crate) key: Arc<dyn Verifier>,
    pub(crate) spki_der: Vec<u8>,
    /// Validity of a platform certificate (X.509), Unix seconds; `None` for the public key.
    pub(crate) validity: Option<(i64, i64)>,
}

impl VerificationKey {
    pub(crate) fn from_certificate(cert: &crate::crypto::PlatformCertificate) -> Result<Self> {
        Ok(VerificationKey {
            serial: cert.serial_no().to_owned(),
            is_public_key: false,
            key: Arc::new(cert.public_key().clone()),
            spki_der: cert.public_key().spki_der()?,
            validity: Some((cert.not_before(), cert.not_after())),
        })
    }
}

impl VerificationKey {
    /// Public key ids are matched exactly; certificate serials are hex, so case-insensitively.
    fn selected_by(&self, serial: &str) -> bool {
        if self.is_public_key {
            self.serial == serial
        } else {
            self.serial.eq_ignore_ascii_case(serial)
        }
    }
}

/// The headers that carry WeChat Pay's proof, picked out of whatever the host received.
#[derive(Debug, Default)]
pub(crate) struct SignedHeaders {
    timestamp: Option<String>,
    nonce: Option<String>,
    signature: Option<String>,
    serial: Option<String>,
    signature_type: Option<String>,
    pub(crate) request_id: Option<String>,
    /// The first `Wechatpay-*` header that came twice with different values.
    conflict: Option<&'static str>,
}

impl SignedHeaders {
    /// Reads any sequence of name/value pairs (header maps, tuples, binding arrays).
    pub(crate) fn read<I, N, V>(headers: I) -> SignedHeaders
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut found = SignedHeaders::default();
        for (name, value) in headers {
            let name = name.as_ref();
            let (slot, canonical) = if name.eq_ignore_ascii_case(header::TIMESTAMP) {
                (&mut found.timestamp, header::TIMESTAMP)
            } else if name.eq_ignore_ascii_case(header::NONCE) {
                (&mut found.nonce, header::NONCE)
            } else if name.eq_ignore_ascii_case(header::SIGNATURE) {
                (&mut found.signature, header::SIGNATURE)
            } else if name.eq_ignore_ascii_case(header::SERIAL) {
                (&mut found.serial, header::SERIAL)
            } else if name.eq_ignore_ascii_case(header::SIGNATURE_TYPE) {
                (&mut found.signature_type, header::SIGNATURE_TYPE)
            } else if name.eq_ignore_ascii_case(header::REQUEST_ID) {
                (&mut found.request_id, header::REQUEST_ID)
            } else {
                continue;
            };
            let value = value.as_ref().trim();
            match slot {
                None => *slot = Some(value.to_owned()),
                // Identical repeats (a proxy folding or copying headers) change nothing; two
                // different values of a header that carries the proof are ambiguous.
                Some(first) if first != value && canonical != header::REQUEST_ID => {
                    found.conflict.get_or_insert(canonical);
                }
                Some(_) => {}
            }
        }
        found
    }
}

/// A message that passed every check except the RSA one; see [`crate::Client::begin_verification`].
///
/// It holds the key it was matched with, so a certificate update in between cannot change
/// which key verifies it.
#[derive(Clone)]
pub struct PendingVerification {
    pub(crate) request_id: Option<String>,
    message: Vec<u8>,
    signature: Vec<u8>,
    key: Arc<dyn Verifier>,
    validity: Option<(i64, i64)>,
    serial: String,
    timestamp: i64,
}

impl std::fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingVerification")
            .field("serial", &self.serial)
            .field("timestamp", &self.timestamp)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl PendingVerification {
    /// `TIMESTAMP\nNONCE\nBODY\n`, the signed bytes.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
    /// The raw signature (decoded from base64).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// The `Wechatpay-Serial` of the key to verify with.
    pub fn serial(&self) -> &str {
        &self.serial
    }
}

/// The set of keys a client trusts.
#[derive(Clone, Default)]
pub(crate) struct TrustedKeys {
    keys: Vec<VerificationKey>,
}

impl TrustedKeys {
    /// A copy holding the public key (if any) and exactly `certificates`.
    pub(crate) fn with_certificates(&self, certificates: Vec<VerificationKey>) -> TrustedKeys {
        let mut next = TrustedKeys {
            keys: self
                .keys
                .iter()
                .filter(|k| k.is_public_key)
                .cloned()
                .collect(),
        };
        for key in certificates {
            next.push_unique(key);
        }
        next
    }

    /// `(serial, not_after)` of every platform certificate held.
    pub(crate) fn certificate_validity(&self) -> Vec<(String, i64)> {
        self.keys
            .iter()
            .filter_map(|k| {
                k.validity
                    .map(|(_, not_after)| (k.serial.clone(), not_after))
            })
            .collect()
    }

    pub(crate) fn has_public_key(&self) -> bool {
        self.keys.iter().any(|k| k.is_public_key)
    }

    pub(crate) fn push_unique(&mut self, key: VerificationKey) {
        if !self.keys.iter().any(|k| k.selected_by(&key.serial)) {
            self.keys.push(key);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn serials(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.serial.as_str()).collect()
    }

    pub(crate) fn spki(&self) -> Vec<(&str, &[u8])> {
        self.keys
            .iter()
            .map(|k| (k.serial.as_str(), k.spki_der.as_slice()))
            .collect()
    }

    /// Every check but RSA on a signed message (a 2xx response or a notification).
    pub(crate) fn begin(&self, headers: SignedHeaders, body: &[u8]) -> Result<PendingVerification> {
        if let Some(name) = headers.conflict {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                format!(
                    "the message carries two different `{name}` headers: which one was signed is ambiguous, so it is rejected"
                ),
            ));
        }
        let SignedHeaders {
            timestamp: Some(timestamp),
            nonce: Some(nonce),
            signature: Some(signature),
            serial: Some(serial),
            signature_type,
            request_id,
            conflict: _,
        } = headers
        else {
            return Err(Error::new(
                ErrorKind::UnsignedResponse,
                "a success response without Wechatpay-Timestamp, -Nonce, -Signature and -Serial must be treated as forged",
            ));
        };
        if signature.starts_with(PROBE_PREFIX) {
            return Err(Error::new(
                ErrorKind::SignatureProbe,
                "WeChat Pay sent a signature probe (WECHATPAY/SIGNTEST/); the response is rejected as the probe expects",
            ));
        }
        if signature_type.is_some_and(|kind| kind != SIGNATURE_TYPE) {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "unsupported Wechatpay-Signature-Type (expected WECHATPAY2-SHA256-RSA2048)",
            ));
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.selected_by(&serial))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownSerial,
                    format!(
                        "Wechatpay-Serial `{serial}` is none of this client's keys ({}); download the platform certificates, then verify the same bytes again",
                        self.serials().join(", ")
                    ),
                )
                .with_serial(serial.clone())
            })?;
        let parsed_timestamp: i64 = timestamp.parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidSignature,
                "Wechatpay-Timestamp is not a Unix time in seconds",
            )
        })?;
        let raw_signature = BASE64.decode(&signature).map_err(|_| {
            Error::new(
                ErrorKind::InvalidSignature,
                "Wechatpay-Signature is not base64",
            )
        })?;
        Ok(PendingVerification {
            request_id,
            message: protocol::response_string_to_verify(&timestamp, &nonce, body),
            signature: raw_signature,
            key: key.key.clone(),
            validity: key.validity,
            serial: key.serial.clone(),
            timestamp: parsed_timestamp,
        })
    }
}

impl PendingVerification {
    /// The RSA check with the key [`TrustedKeys::begin`] selected.
    pub(crate) fn check_signature(&self) -> bool {
        self.key.verify(&self.message, &self.signature)
    }
}

/// Completes a verification with the outcome of the RSA check, then checks the clock.
pub(crate) fn finish(
    pending: PendingVerification,
    signature_valid: bool,
    now: i64,
) -> Result<Option<String>> {
    if !signature_valid {
        return Err(Error::new(
            ErrorKind::InvalidSignature,
            format!(
                "the response signature does not verify with key `{}`: the body or headers were altered",
                pending.serial
            ),
        ));
    }
    if let Some((not_before, not_after)) = pending.validity
        && !(not_before..=not_after).contains(&now)
    {
        return Err(Error::invalid_key(format!(
            "platform certificate `{}` is not valid at the host's clock (expired or not yet valid): download current certificates",
            pending.serial
        ))
        .with_serial(pending.serial.clone()));
    }
    let skew = i128::from(now).saturating_sub(i128::from(pending.timestamp));
    if skew.abs() > i128::from(MAX_CLOCK_SKEW_SECS) {
        return Err(Error::new(
            ErrorKind::ClockSkew,
            format!(
                "Wechatpay-Timestamp is {skew} s from the host clock (at most {MAX_CLOCK_SKEW_SECS} s allowed): check NTP or replay"
            ),
        ));
    }
    Ok(pending.request_id)
}

/// Non-2xx responses are not signed reliably (WeChat Pay omits the headers on many), so they
/// are reported as-is; the error body is parsed leniently.
pub(crate) fn api_error(status: u16, body: &[u8], request_id: Option<String>) -> Error {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).ok();
    let text = |key: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let detail = parsed
        .as_ref()
        .and_then(|m| m.get("detail"))
        .filter(|v| !v.is_null())
        .cloned();
    Error::api(ApiError {
        status,
        code: text("code"),
        message: text("message"),
        detail,
        request_id,
    })
}
