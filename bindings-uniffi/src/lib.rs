//! The uniffi bridge behind the Kotlin and Swift packages. Not API: the generated bindings are.
//!
//! Operations and results are the core's own types (`AnyOperation`, `AnyOutput` and the
//! records they hold), so nothing here knows an endpoint. Time and nonce default to the host
//! clock and the OS RNG.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use wxpay_terminate::{AnyOperation, AnyOutput, ApiCall, ErrorKind, Method};

uniffi::setup_scaffolding!();

/// Every error of the library. Kotlin: `WxpayException.*`; Swift: `WxpayError`.
#[derive(Debug, uniffi::Error)]
pub enum WxpayError {
    /// A parameter, nonce, timestamp or setting is missing or malformed; `field` names it.
    InvalidInput {
        reason: String,
        field: Option<String>,
    },
    /// A key or certificate cannot be used, or no private key is configured.
    InvalidKey { reason: String },
    /// A 2xx response without the Wechatpay-* signature headers: treat it as forged.
    UnsignedResponse { reason: String },
    /// The response signature does not verify over the raw body.
    InvalidSignature { reason: String },
    /// A `WECHATPAY/SIGNTEST/` probe: rejecting it is the right answer.
    SignatureProbe { reason: String },
    /// `Wechatpay-Serial` names no key of this client.
    UnknownSerial { reason: String },
    /// `Wechatpay-Timestamp` is more than 300 s from the host clock.
    ClockSkew { reason: String },
    /// WeChat Pay answered with a non-2xx status.
    Api {
        reason: String,
        status: u16,
        code: Option<String>,
        api_message: Option<String>,
        /// The error body's `detail` as JSON text.
        detail_json: Option<String>,
        request_id: Option<String>,
        retryable: bool,
    },
    /// A verified success body does not match the documented result.
    Decode { reason: String },
}

impl std::fmt::Display for WxpayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WxpayError::InvalidInput { reason, .. }
            | WxpayError::InvalidKey { reason }
            | WxpayError::UnsignedResponse { reason }
            | WxpayError::InvalidSignature { reason }
            | WxpayError::SignatureProbe { reason }
            | WxpayError::UnknownSerial { reason }
            | WxpayError::ClockSkew { reason }
            | WxpayError::Api { reason, .. }
            | WxpayError::Decode { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for WxpayError {}

impl From<wxpay_terminate::Error> for WxpayError {
    fn from(e: wxpay_terminate::Error) -> Self {
        let reason = e.to_string();
        match e.kind() {
            ErrorKind::InvalidInput => WxpayError::InvalidInput {
                reason,
                field: e.field().map(str::to_owned),
            },
            ErrorKind::InvalidKey => WxpayError::InvalidKey { reason },
            ErrorKind::UnsignedResponse => WxpayError::UnsignedResponse { reason },
            ErrorKind::InvalidSignature => WxpayError::InvalidSignature { reason },
            ErrorKind::SignatureProbe => WxpayError::SignatureProbe { reason },
            ErrorKind::UnknownSerial => WxpayError::UnknownSerial { reason },
            ErrorKind::ClockSkew => WxpayError::ClockSkew { reason },
            ErrorKind::Decode => WxpayError::Decode { reason },
            // `Api` and any kind a newer core adds: report what WeChat Pay said, if anything.
            _ => match e.api_error() {
                Some(api) => WxpayError::Api {
                    reason,
                    status: api.status,
                    code: api.code.clone(),
                    api_message: api.message.clone(),
                    detail_json: api.detail.as_ref().map(|d| d.to_string()),
                    request_id: api.request_id.clone(),
                    retryable: api.retryable(),
                },
                None => WxpayError::Decode { reason },
            },
        }
    }
}

fn input_error(field: &str, reason: String) -> WxpayError {
    WxpayError::InvalidInput {
        reason,
        field: Some(field.to_owned()),
    }
}

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A signed request: send exactly this method, URL, headers and body bytes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// The catalog id, or null for a generic call.
    pub operation: Option<String>,
    pub method: String,
    pub url: String,
    /// In order: Accept, Authorization, Content-Type (with a body), User-Agent, Wechatpay-Serial.
    pub headers: Vec<Header>,
    /// The exact bytes that were signed; null when the endpoint takes no body.
    pub body: Option<Vec<u8>>,
}

impl From<wxpay_terminate::Request> for HttpRequest {
    fn from(r: wxpay_terminate::Request) -> Self {
        HttpRequest {
            operation: r.operation().map(str::to_owned),
            method: r.method().as_str().to_owned(),
            url: r.url().to_owned(),
            headers: r
                .headers()
                .map(|(n, v)| Header {
                    name: n.to_owned(),
                    value: v.to_owned(),
                })
                .collect(),
            body: r.body().map(<[u8]>::to_vec),
        }
    }
}

/// Configuration of a [`Client`]; keys are PEM text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ClientConfig {
    pub mchid: String,
    /// Merchant API certificate serial.
    pub serial_no: String,
    /// Merchant API private key PEM (PKCS#8 or PKCS#1); null when signing with a platform key store.
    #[uniffi(default = None)]
    pub private_key_pem: Option<String>,
    #[uniffi(default = None)]
    pub wechatpay_public_key_id: Option<String>,
    #[uniffi(default = None)]
    pub wechatpay_public_key_pem: Option<String>,
    #[uniffi(default = [])]
    pub platform_certificates_pem: Vec<String>,
    /// Replaces https://api.mch.weixin.qq.com (backup host, sandbox).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Replaces https://apihk.mch.weixin.qq.com.
    #[uniffi(default = None)]
    pub global_base_url: Option<String>,
    #[uniffi(default = None)]
    pub user_agent_suffix: Option<String>,
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

/// A request for a key kept in Android Keystore, the iOS Keychain or a KMS.
#[derive(uniffi::Object)]
pub struct UnsignedRequest {
    inner: wxpay_terminate::UnsignedRequest,
}

#[uniffi::export]
impl UnsignedRequest {
    /// The bytes to sign with RSASSA-PKCS1-v1_5 / SHA-256 (SHA256withRSA).
    pub fn string_to_sign(&self) -> Vec<u8> {
        self.inner.string_to_sign().to_vec()
    }

    /// Completes the request from the base64 signature.
    pub fn complete(&self, signature_base64: String) -> Result<HttpRequest, WxpayError> {
        Ok(self.inner.clone().complete(&signature_base64)?.into())
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

fn nonce_or(nonce: Option<String>) -> Result<String, WxpayError> {
    match nonce {
        Some(nonce) => Ok(nonce),
        None => Ok(wxpay_terminate::generate_nonce()?),
    }
}

fn parse_json_text(field: &str, text: &str) -> Result<serde_json::Value, WxpayError> {
    serde_json::from_str(text)
        .map_err(|e| input_error(field, format!("`{field}` is not valid JSON ({e})")))
}

/// A configured merchant; thread-safe, keys parsed once.
#[derive(uniffi::Object)]
pub struct Client {
    inner: wxpay_terminate::Client,
}

#[uniffi::export]
impl Client {
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, WxpayError> {
        let core = ClientConfig::into_core(config);
        Ok(Arc::new(Client {
            inner: wxpay_terminate::Client::new(&core)?,
        }))
    }

    /// The `Wechatpay-Serial` values this client verifies.
    pub fn verification_serials(&self) -> Vec<String> {
        self.inner
            .verification_serials()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Builds and signs a typed operation. Null timestamp/nonce: host clock and a random nonce.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn prepare(
        &self,
        operation: AnyOperation,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<HttpRequest, WxpayError> {
        Ok(self
            .inner
            .prepare_any(&operation, now_or(timestamp), &nonce_or(nonce)?)?
            .into())
    }

    /// Builds a typed operation for a key kept elsewhere.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn prepare_unsigned(
        &self,
        operation: AnyOperation,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        let inner =
            self.inner
                .prepare_any_unsigned(&operation, now_or(timestamp), &nonce_or(nonce)?)?;
        Ok(Arc::new(UnsignedRequest { inner }))
    }

    /// Builds and signs an operation named by its catalog id, params as a JSON object text.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn prepare_json(
        &self,
        operation_id: String,
        params_json: String,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<HttpRequest, WxpayError> {
        let params = parse_json_text("params", &params_json)?;
        Ok(self
            .inner
            .prepare_operation(&operation_id, params, now_or(timestamp), &nonce_or(nonce)?)?
            .into())
    }

    /// [`Client::prepare_json`] for a key kept elsewhere.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn prepare_json_unsigned(
        &self,
        operation_id: String,
        params_json: String,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        let params = parse_json_text("params", &params_json)?;
        let inner = self.inner.prepare_operation_unsigned(
            &operation_id,
            params,
            now_or(timestamp),
            &nonce_or(nonce)?,
        )?;
        Ok(Arc::new(UnsignedRequest { inner }))
    }

    /// Builds and signs a generic call.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn request(
        &self,
        call: ApiCallSpec,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<HttpRequest, WxpayError> {
        Ok(self
            .inner
            .request(&api_call(call)?, now_or(timestamp), &nonce_or(nonce)?)?
            .into())
    }

    /// Builds a generic call for a key kept elsewhere.
    #[uniffi::method(default(timestamp = None, nonce = None))]
    pub fn request_unsigned(
        &self,
        call: ApiCallSpec,
        timestamp: Option<i64>,
        nonce: Option<String>,
    ) -> Result<Arc<UnsignedRequest>, WxpayError> {
        let inner =
            self.inner
                .request_unsigned(&api_call(call)?, now_or(timestamp), &nonce_or(nonce)?)?;
        Ok(Arc::new(UnsignedRequest { inner }))
    }

    /// Verifies the response to `request` and returns its typed result.
    #[uniffi::method(default(now = None))]
    pub fn parse(
        &self,
        request: HttpRequest,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<Parsed, WxpayError> {
        let operation = request.operation.ok_or_else(|| {
            input_error(
                "request",
                "a generic call has no typed result: use parseJson".to_owned(),
            )
        })?;
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        let parsed = self
            .inner
            .parse_any(&operation, status, &headers, &body, now_or(now))?;
        Ok(Parsed {
            status: parsed.status,
            request_id: parsed.request_id,
            data: parsed.data,
        })
    }

    /// Verifies a response and returns the result as JSON text; `operation_id` null for a generic call.
    #[uniffi::method(default(now = None))]
    pub fn parse_json(
        &self,
        operation_id: Option<String>,
        status: u16,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: Option<i64>,
    ) -> Result<ParsedJson, WxpayError> {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        let parsed = self.inner.parse_operation(
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
    }
}

impl ClientConfig {
    fn into_core(self) -> wxpay_terminate::ClientConfig {
        wxpay_terminate::ClientConfig {
            mchid: self.mchid,
            serial_no: self.serial_no,
            private_key_pem: self.private_key_pem.map(|k| k.into_bytes().into()),
            wechatpay_public_key_id: self.wechatpay_public_key_id,
            wechatpay_public_key_pem: self.wechatpay_public_key_pem.map(String::into_bytes),
            platform_certificates_pem: self
                .platform_certificates_pem
                .into_iter()
                .map(String::into_bytes)
                .collect(),
            base_url: self.base_url,
            global_base_url: self.global_base_url,
            user_agent_platform: Some("uniffi".to_owned()),
            user_agent_suffix: self.user_agent_suffix,
        }
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
                ) -> Result<HttpRequest, WxpayError> {
                    self.prepare(params.into(), timestamp, nonce)
                }
            )*
        }
    };
}

wxpay_terminate::for_each_operation!(operation_methods);

/// Signs arbitrary bytes with a merchant key (SHA256withRSA), base64 — e.g. a JSAPI `paySign`.
#[uniffi::export]
pub fn sign_message(private_key_pem: String, message: Vec<u8>) -> Result<String, WxpayError> {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let key = MerchantPrivateKey::from_pem(private_key_pem.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key.sign(&message)?))
}

/// The catalog with result schemas, as JSON text.
#[uniffi::export]
pub fn catalog_json() -> String {
    wxpay_terminate::catalog_json().to_string()
}

/// Every core error kind name (snake_case), for parity checks.
#[uniffi::export]
pub fn error_kinds() -> Vec<String> {
    ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect()
}

/// 32 random upper-case hex characters from the OS RNG.
#[uniffi::export]
pub fn generate_nonce() -> Result<String, WxpayError> {
    Ok(wxpay_terminate::generate_nonce()?)
}
