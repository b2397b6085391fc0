//! The client: configuration, request building and response parsing. No I/O anywhere:
//! time and nonce come in as arguments, bytes go out as a descriptor.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::catalog::{self, BuiltParams, Host, Operation, ResponseBody};
use crate::crypto::{
    MerchantPrivateKey, PlatformCertificate, Signer, Verifier, WechatpayPublicKey,
};
use crate::error::{ApiError, Error, ErrorKind, Result};
use crate::protocol::{self, MAX_CLOCK_SKEW_SECS, PROBE_PREFIX};
use crate::request::{Method, Request, UnsignedRequest};
use crate::url;
use crate::validate::{check_nonce, check_timestamp};

/// Prefix of WeChat Pay public key ids as `Wechatpay-Serial` carries them.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// Everything a [`Client`] needs. Key material is PEM text; the private key is zeroized on drop.
#[derive(Clone, Default)]
pub struct ClientConfig {
    /// 商户号 of the merchant or service provider making the call.
    pub mchid: String,
    /// Serial number of the merchant API certificate (`serial_no` in `Authorization`).
    pub serial_no: String,
    /// Merchant API private key PEM (PKCS#8 or PKCS#1). Leave `None` when the host signs
    /// (KMS, HSM, WebCrypto) through [`Client::prepare_unsigned`].
    pub private_key_pem: Option<Zeroizing<Vec<u8>>>,
    /// WeChat Pay public key id, `PUB_KEY_ID_…`.
    pub wechatpay_public_key_id: Option<String>,
    /// WeChat Pay public key PEM (SPKI) matching `wechatpay_public_key_id`.
    pub wechatpay_public_key_pem: Option<Vec<u8>>,
    /// Platform certificate PEMs (the older verification mode; several during rotation).
    pub platform_certificates_pem: Vec<Vec<u8>>,
    /// Replaces `https://api.mch.weixin.qq.com` (e.g. the backup `https://api2.mch.weixin.qq.com` or a sandbox).
    pub base_url: Option<String>,
    /// Replaces `https://apihk.mch.weixin.qq.com` for cross-border endpoints.
    pub global_base_url: Option<String>,
    /// Names the binding in `User-Agent`, e.g. `python/3.11`; `rust` when unset.
    pub user_agent_platform: Option<String>,
    /// Appended to `User-Agent`, e.g. your application's name and version.
    pub user_agent_suffix: Option<String>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field(
                "private_key_pem",
                &self.private_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .field("wechatpay_public_key_id", &self.wechatpay_public_key_id)
            .field(
                "platform_certificates",
                &self.platform_certificates_pem.len(),
            )
            .field("base_url", &self.base_url)
            .field("global_base_url", &self.global_base_url)
            .finish_non_exhaustive()
    }
}

/// A verification key and the `Wechatpay-Serial` value that selects it.
struct VerificationKey {
    serial: String,
    is_public_key: bool,
    key: Arc<dyn Verifier>,
    spki_der: Vec<u8>,
}

/// A configured merchant. Cheap to share across threads; keys are parsed once here.
pub struct Client {
    mchid: String,
    serial_no: String,
    signer: Option<Arc<dyn Signer>>,
    public_key_id: Option<String>,
    verification_keys: Vec<VerificationKey>,
    api_origin: String,
    global_origin: String,
    user_agent: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("has_private_key", &self.signer.is_some())
            .field("verification_serials", &self.verification_serials())
            .field("api_origin", &self.api_origin)
            .field("global_origin", &self.global_origin)
            .finish_non_exhaustive()
    }
}

/// A verified, decoded success.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed<T> {
    /// HTTP status (200 or 204).
    pub status: u16,
    /// `Request-ID`, for support tickets.
    pub request_id: Option<String>,
    /// The typed result; [`catalog::NoContent`] (JSON `null`) for 204 endpoints.
    pub data: T,
}

/// A call to any APIv3 endpoint by URI template, like the seeds' `chain('v3/…/{var}')`.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// HTTP method.
    pub method: Method,
    /// `v3/…/{var}`, `/v3/…/{var}` or an absolute `https://host/v3/…` template.
    pub template: String,
    /// Values of the template's `{var}`s, unencoded.
    pub path_params: Vec<(String, String)>,
    /// Query parameters, unencoded, in order.
    pub query: Vec<(String, String)>,
    /// JSON body, serialised compactly in the key order given; `None` sends no body.
    pub json: Option<serde_json::Value>,
}

impl ApiCall {
    /// A call with no parameters yet.
    pub fn new(method: Method, template: impl Into<String>) -> ApiCall {
        ApiCall {
            method,
            template: template.into(),
            path_params: Vec::new(),
            query: Vec::new(),
            json: None,
        }
    }

    /// Adds a path parameter.
    pub fn path_param(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiCall {
        self.path_params.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiCall {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: serde_json::Value) -> ApiCall {
        self.json = Some(body);
        self
    }
}

impl Client {
    /// Parses and checks the configuration. Fails with `InvalidInput` or `InvalidKey`.
    pub fn new(config: &ClientConfig) -> Result<Client> {
        if config.mchid.is_empty() || !config.mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(
                "mchid",
                "mchid must be the merchant number (digits)",
            ));
        }
        if config.serial_no.is_empty() || !config.serial_no.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid_input(
                "serial_no",
                "serial_no must be the merchant API certificate serial (hex)",
            ));
        }
        let signer = match &config.private_key_pem {
            Some(pem) => Some(Arc::new(MerchantPrivateKey::from_pem(pem)?) as Arc<dyn Signer>),
            None => None,
        };

        let mut verification_keys = Vec::new();
        match (
            &config.wechatpay_public_key_id,
            &config.wechatpay_public_key_pem,
        ) {
            (Some(id), Some(pem)) => {
                let valid_id = id.strip_prefix(PUBLIC_KEY_ID_PREFIX).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
                if !valid_id {
                    return Err(Error::invalid_input(
                        "wechatpay_public_key_id",
                        "wechatpay_public_key_id must look like PUB_KEY_ID_0114232134912410000000000000",
                    ));
                }
                let key = WechatpayPublicKey::from_pem(pem)
                    .map_err(|e| e.with_field("wechatpay_public_key"))?;
                let spki_der = key.spki_der()?;
                verification_keys.push(VerificationKey {
                    serial: id.clone(),
                    is_public_key: true,
                    key: Arc::new(key),
                    spki_der,
                });
            }
            (Some(_), None) => {
                return Err(Error::invalid_input(
                    "wechatpay_public_key",
                    "wechatpay_public_key_id is set but wechatpay_public_key is missing",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_input(
                    "wechatpay_public_key_id",
                    "wechatpay_public_key is set but wechatpay_public_key_id is missing",
                ));
            }
            (None, None) => {}
        }
        for pem in &config.platform_certificates_pem {
            let cert = PlatformCertificate::from_pem(pem)
                .map_err(|e| e.with_field("platform_certificates"))?;
            if !verification_keys
                .iter()
                .any(|k| k.serial.eq_ignore_ascii_case(cert.serial_no()))
            {
                verification_keys.push(VerificationKey {
                    serial: cert.serial_no().to_owned(),
                    is_public_key: false,
                    key: Arc::new(cert.public_key().clone()),
                    spki_der: cert.public_key().spki_der()?,
                });
            }
        }
        if verification_keys.is_empty() {
            return Err(Error::invalid_input(
                "wechatpay_public_key",
                "configure the WeChat Pay public key (and its id) or platform certificates: responses cannot be verified without one",
            ));
        }

        let origin = |field: &str, value: &Option<String>, host: Host| match value {
            Some(url) => url::normalize_origin(field, url),
            None => Ok(host.default_origin().to_owned()),
        };
        let mut user_agent = format!(
            "wxpay-terminate/{} ({})",
            env!("CARGO_PKG_VERSION"),
            config.user_agent_platform.as_deref().unwrap_or("rust")
        );
        if let Some(suffix) = &config.user_agent_suffix {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        if user_agent.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(Error::invalid_input(
                "user_agent_suffix",
                "User-Agent parts must be printable ASCII",
            ));
        }
        Ok(Client {
            mchid: config.mchid.clone(),
            serial_no: config.serial_no.clone(),
            signer,
            public_key_id: config.wechatpay_public_key_id.clone(),
            verification_keys,
            api_origin: origin("base_url", &config.base_url, Host::Api)?,
            global_origin: origin("global_base_url", &config.global_base_url, Host::Global)?,
            user_agent,
        })
    }

    /// Replaces the built-in signer (a faster backend, an HSM) while keeping the config.
    pub fn with_signer(mut self, signer: Arc<dyn Signer>) -> Client {
        self.signer = Some(signer);
        self
    }

    /// The `Wechatpay-Serial` values this client can verify: public key id and certificate serials.
    pub fn verification_serials(&self) -> Vec<&str> {
        self.verification_keys
            .iter()
            .map(|k| k.serial.as_str())
            .collect()
    }

    /// The `User-Agent` every request carries.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    // ---- building requests -------------------------------------------------------------

    /// Builds and signs a typed operation.
    pub fn prepare<O: Operation>(&self, op: &O, timestamp: i64, nonce: &str) -> Result<Request> {
        self.sign(self.prepare_unsigned(op, timestamp, nonce)?)
    }

    /// Builds a typed operation for the host to sign (two-phase signing).
    pub fn prepare_unsigned<O: Operation>(
        &self,
        op: &O,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let built = catalog::build_params(op)?;
        self.unsigned_for_spec(O::SPEC, built, timestamp, nonce)
    }

    /// Builds and signs any operation of the catalog (the enum form, for bindings with sum types).
    pub fn prepare_any(
        &self,
        op: &catalog::AnyOperation,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Request> {
        self.sign(self.prepare_any_unsigned(op, timestamp, nonce)?)
    }

    /// [`Client::prepare_any`] for the host to sign.
    pub fn prepare_any_unsigned(
        &self,
        op: &catalog::AnyOperation,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        self.unsigned_for_spec(op.spec(), op.build()?, timestamp, nonce)
    }

    /// Builds and signs an operation named by its catalog id, params given as a JSON object
    /// of the API's field names. This is what the bindings call.
    pub fn prepare_operation(
        &self,
        operation_id: &str,
        params: serde_json::Value,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Request> {
        self.sign(self.prepare_operation_unsigned(operation_id, params, timestamp, nonce)?)
    }

    /// [`Client::prepare_operation`] for the host to sign.
    pub fn prepare_operation_unsigned(
        &self,
        operation_id: &str,
        params: serde_json::Value,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let entry = lookup(operation_id)?;
        let built = (entry.from_json)(params)?;
        self.unsigned_for_spec(entry.spec, built, timestamp, nonce)
    }

    /// Builds and signs a generic call.
    pub fn request(&self, call: &ApiCall, timestamp: i64, nonce: &str) -> Result<Request> {
        self.sign(self.request_unsigned(call, timestamp, nonce)?)
    }

    /// Builds a generic call for the host to sign.
    pub fn request_unsigned(
        &self,
        call: &ApiCall,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let (origin, path) = url::split_origin(&call.template)?;
        let origin = origin.unwrap_or(&self.api_origin);
        let body = match &call.json {
            Some(json) => Some(serde_json::to_vec(json).map_err(|e| {
                Error::invalid_input("json", format!("body could not be serialised ({e})"))
            })?),
            None => None,
        };
        if let Some(json) = &call.json {
            check_json_strings(json)?;
        }
        let params = call
            .path_params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()));
        self.assemble(
            None,
            call.method,
            origin,
            path,
            params,
            &call.query,
            body,
            timestamp,
            nonce,
        )
    }

    fn unsigned_for_spec(
        &self,
        spec: &'static catalog::EndpointSpec,
        built: BuiltParams,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let origin = match spec.host {
            Host::Api => &self.api_origin,
            Host::Global => &self.global_origin,
        };
        let params = built.path_params.iter().map(|(n, v)| (*n, v.as_str()));
        self.assemble(
            Some(spec.id),
            spec.method,
            origin,
            spec.path,
            params,
            &[],
            built.body,
            timestamp,
            nonce,
        )
    }

    /// The one place a descriptor is put together; typed and generic calls both end here.
    #[allow(clippy::too_many_arguments)]
    fn assemble<'a, I>(
        &self,
        operation: Option<&'static str>,
        method: Method,
        origin: &str,
        template: &str,
        path_params: I,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest>
    where
        I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
    {
        check_timestamp(timestamp)?;
        check_nonce(nonce)?;
        let mut url = String::with_capacity(origin.len() + template.len() + 64);
        url.push_str(origin);
        url::expand_path(template, path_params, &mut url)?;
        url::append_query(query, &mut url)?;
        let canonical_url = &url[origin.len()..];
        let string_to_sign = protocol::request_string_to_sign(
            method.as_str(),
            canonical_url,
            timestamp,
            nonce,
            body.as_deref().unwrap_or_default(),
        );

        let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(5);
        headers.push(("Accept", "application/json".to_owned()));
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        headers.push(("User-Agent", self.user_agent.clone()));
        // The migration FAQ: a request's Wechatpay-Serial selects the key that signs the response.
        if let Some(id) = &self.public_key_id {
            headers.push(("Wechatpay-Serial", id.clone()));
        }
        Ok(UnsignedRequest {
            request: Request {
                operation,
                method,
                url,
                headers,
                body,
            },
            string_to_sign,
            mchid: self.mchid.clone(),
            serial_no: self.serial_no.clone(),
            timestamp,
            nonce: nonce.to_owned(),
        })
    }

    fn sign(&self, unsigned: UnsignedRequest) -> Result<Request> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            Error::invalid_key(
                "no merchant private key is configured: pass one, or sign string_to_sign yourself",
            )
        })?;
        unsigned.sign_with(signer.as_ref())
    }

    // ---- parsing responses -------------------------------------------------------------

    /// Verifies a response and decodes a typed operation's result.
    pub fn parse<O: Operation>(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<O::Output>> {
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: O::Output::decode(body)?,
        })
    }

    /// Verifies a response and decodes it for the operation named by its id, as JSON with
    /// absent optional fields left out; `None` (a generic call) returns the raw JSON body
    /// (`null` when empty). This is what the bindings call.
    pub fn parse_operation(
        &self,
        operation_id: Option<&str>,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<serde_json::Value>> {
        // An unknown id is the caller's mistake, whatever the response says.
        let entry = operation_id.map(lookup).transpose()?;
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: decode_with(entry, body)?,
        })
    }

    /// Verifies a response and decodes it into the typed result enum of the operation named by its id.
    pub fn parse_any(
        &self,
        operation_id: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<catalog::AnyOutput>> {
        let entry = lookup(operation_id)?;
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: (entry.decode_output)(body)?,
        })
    }

    /// Checks status and signature. On a 2xx returns the `Request-ID`; anything else is an error.
    pub fn verify(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: i64,
    ) -> Result<Option<String>> {
        let pending = self.begin_verification(status, headers, body)?;
        let valid = self.verification_keys[pending.key_index]
            .key
            .verify(&pending.message, &pending.signature);
        self.finish_verification(pending, valid, now)
    }

    /// Two-phase verification for hosts that verify with their own crypto (WebCrypto): every
    /// check but the RSA one. Non-2xx answers, missing headers, probes and unknown serials fail
    /// here; on success, verify [`PendingVerification::signature`] over
    /// [`PendingVerification::message`] with the key of [`PendingVerification::serial`] (see
    /// [`Client::verification_keys`]) and pass the outcome to [`Client::finish_verification`].
    pub fn begin_verification(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<PendingVerification> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        let request_id = header("Request-ID").map(str::to_owned);
        if !(200..300).contains(&status) {
            return Err(api_error(status, body, request_id));
        }

        let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) = (
            header("Wechatpay-Timestamp"),
            header("Wechatpay-Nonce"),
            header("Wechatpay-Signature"),
            header("Wechatpay-Serial"),
        ) else {
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
        if header("Wechatpay-Signature-Type")
            .is_some_and(|kind| kind != "WECHATPAY2-SHA256-RSA2048")
        {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "unsupported Wechatpay-Signature-Type (expected WECHATPAY2-SHA256-RSA2048)",
            ));
        }
        let key_index = self
            .verification_keys
            .iter()
            .position(|k| if k.is_public_key { k.serial == serial } else { k.serial.eq_ignore_ascii_case(serial) })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownSerial,
                    format!(
                        "Wechatpay-Serial `{serial}` is none of this client's keys ({}); add the certificate or public key",
                        self.verification_serials().join(", ")
                    ),
                )
            })?;
        let parsed_timestamp: i64 = timestamp.parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidSignature,
                "Wechatpay-Timestamp is not a Unix time in seconds",
            )
        })?;
        let raw_signature = BASE64.decode(signature).map_err(|_| {
            Error::new(
                ErrorKind::InvalidSignature,
                "Wechatpay-Signature is not base64",
            )
        })?;
        Ok(PendingVerification {
            request_id,
            message: protocol::response_string_to_verify(timestamp, nonce, body),
            signature: raw_signature,
            key_index,
            serial: self.verification_keys[key_index].serial.clone(),
            timestamp: parsed_timestamp,
        })
    }

    /// Completes [`Client::begin_verification`] with the outcome of the RSA check, then checks
    /// the clock. Returns the `Request-ID`.
    pub fn finish_verification(
        &self,
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
        let skew = i128::from(now) - i128::from(pending.timestamp);
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

    /// [`Client::parse_operation`] after a host-side verification: decodes the body once
    /// [`Client::finish_verification`] accepts the outcome.
    pub fn parse_operation_verified(
        &self,
        operation_id: Option<&str>,
        status: u16,
        pending: PendingVerification,
        signature_valid: bool,
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<serde_json::Value>> {
        let entry = operation_id.map(lookup).transpose()?;
        let request_id = self.finish_verification(pending, signature_valid, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: decode_with(entry, body)?,
        })
    }

    /// Each verification key as `(serial, SubjectPublicKeyInfo DER)`, for hosts that verify
    /// with their own crypto.
    pub fn verification_keys(&self) -> Vec<(&str, &[u8])> {
        self.verification_keys
            .iter()
            .map(|k| (k.serial.as_str(), k.spki_der.as_slice()))
            .collect()
    }
}

/// A response that passed every check except the RSA one; see [`Client::begin_verification`].
#[derive(Debug, Clone)]
pub struct PendingVerification {
    request_id: Option<String>,
    message: Vec<u8>,
    signature: Vec<u8>,
    key_index: usize,
    serial: String,
    timestamp: i64,
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

/// The catalog entry of an operation id, or the caller's `InvalidInput`.
fn lookup(id: &str) -> Result<&'static catalog::OperationEntry> {
    catalog::operation(id).ok_or_else(|| {
        Error::invalid_input(
            "operation",
            format!("`{id}` is not an operation of the catalog"),
        )
    })
}

/// A verified body as the operation's typed result in JSON, or as raw JSON for a generic call.
fn decode_with(entry: Option<&catalog::OperationEntry>, body: &[u8]) -> Result<serde_json::Value> {
    match entry {
        Some(entry) => (entry.decode)(body),
        None if body.is_empty() => Ok(serde_json::Value::Null),
        None => catalog::decode_json(body),
    }
}

/// Strings anywhere in a generic JSON body follow the same 3-byte UTF-8 rule as typed fields.
fn check_json_strings(value: &serde_json::Value) -> Result<()> {
    let has_four_byte = |s: &str| s.chars().any(|c| c as u32 > 0xFFFF);
    match value {
        serde_json::Value::String(s) if has_four_byte(s) => Err(Error::invalid_input(
            "json",
            "the body contains a 4-byte UTF-8 character (e.g. an emoji), which WeChat Pay rejects",
        )),
        serde_json::Value::Array(items) => items.iter().try_for_each(check_json_strings),
        serde_json::Value::Object(map) => {
            if map.keys().any(|k| has_four_byte(k)) {
                return Err(Error::invalid_input(
                    "json",
                    "a body key contains a 4-byte UTF-8 character",
                ));
            }
            map.values().try_for_each(check_json_strings)
        }
        _ => Ok(()),
    }
}

/// Non-2xx responses are not signed reliably (WeChat Pay omits the headers on many), so they
/// are reported as-is; the error body is parsed leniently.
fn api_error(status: u16, body: &[u8], request_id: Option<String>) -> Error {
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

/// 32 upper-case hex characters from the OS RNG, the shape of the official examples.
#[cfg(feature = "getrandom")]
pub fn generate_nonce() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| Error::invalid_input("nonce", "the OS random number generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02X}")).collect())
}
