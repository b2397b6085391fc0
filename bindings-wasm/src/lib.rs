//! The wasm-bindgen bridge behind the npm package. Not API: `js/index.js` is.
//!
//! Errors cross as plain objects marked `__wxpayError` that the JS layer turns into its
//! `WxpayError` classes (one module owns the classes, so `instanceof` holds). Nothing here
//! knows an endpoint: operations are called by catalog id.

use base64::Engine as _;
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wxpay_terminate::{ApiCall, Client, ClientConfig, Error, ErrorKind, Method, Request};

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

fn error_value(
    kind: &str,
    message: &str,
    field: Option<&str>,
    api: Option<&wxpay_terminate::ApiError>,
) -> JsValue {
    let o = Object::new();
    set(&o, "__wxpayError", true);
    set(&o, "kind", kind);
    set(&o, "message", message);
    set(&o, "field", field.map_or(JsValue::NULL, JsValue::from_str));
    if let Some(api) = api {
        set(&o, "status", api.status);
        set(
            &o,
            "code",
            api.code.as_deref().map_or(JsValue::NULL, JsValue::from_str),
        );
        set(
            &o,
            "apiMessage",
            api.message
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        );
        set(
            &o,
            "detail",
            api.detail.as_ref().map_or(JsValue::NULL, to_js),
        );
        set(
            &o,
            "requestId",
            api.request_id
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        );
        set(&o, "retryable", api.retryable());
    }
    o.into()
}

fn js_err(e: Error) -> JsValue {
    error_value(e.kind().as_str(), e.message(), e.field(), e.api_error())
}

fn input_err(field: &str, message: String) -> JsValue {
    error_value(
        ErrorKind::InvalidInput.as_str(),
        &message,
        Some(field),
        None,
    )
}

/// JSON → plain JS values (objects, not Maps).
fn to_js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// JS value → JSON, naming the field when JSON cannot carry it.
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
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        input_err(
            field,
            format!("`{field}` is not representable as JSON ({e})"),
        )
    })
}

/// An operation's params object, converted field by field so a bad value names its field.
fn params_from_js(params: JsValue) -> Result<Value, JsValue> {
    if params.is_undefined() || params.is_null() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    if !params.is_object() || Array::is_array(&params) || params.is_instance_of::<Uint8Array>() {
        return Err(input_err(
            "params",
            "params must be an object of API field names".to_owned(),
        ));
    }
    let mut map = serde_json::Map::new();
    for entry in Object::entries(params.unchecked_ref::<Object>()).iter() {
        let entry: Array = entry.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        let value = from_js(entry.get(1), &name)?;
        map.insert(name, value);
    }
    Ok(Value::Object(map))
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

fn pairs(value: JsValue, field: &str) -> Result<Vec<(String, String)>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let array: Array = value
        .dyn_into()
        .map_err(|_| input_err(field, format!("`{field}` must be [name, value] pairs")))?;
    array
        .iter()
        .map(|pair| {
            let pair: Array = pair
                .dyn_into()
                .map_err(|_| input_err(field, format!("`{field}` must be [name, value] pairs")))?;
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(name), Some(value)) => Ok((name, value)),
                _ => Err(input_err(
                    field,
                    format!("`{field}` names and values must be strings"),
                )),
            }
        })
        .collect()
}

fn request_value(request: &Request) -> JsValue {
    let o = Object::new();
    set(
        &o,
        "operation",
        request.operation().map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&o, "method", request.method().as_str());
    set(&o, "url", request.url());
    let headers = Array::new();
    for (name, value) in request.headers() {
        headers.push(&Array::of2(
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        ));
    }
    set(&o, "headers", headers);
    set(
        &o,
        "body",
        request
            .body()
            .map_or(JsValue::NULL, |b| Uint8Array::from(b).into()),
    );
    o.into()
}

fn parsed_value(parsed: wxpay_terminate::Parsed<Value>) -> JsValue {
    let o = Object::new();
    set(&o, "status", parsed.status);
    set(
        &o,
        "requestId",
        parsed
            .request_id
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&o, "data", to_js(&parsed.data));
    o.into()
}

const CONFIG_KEYS: [&str; 10] = [
    "mchid",
    "serialNo",
    "privateKey",
    "wechatpayPublicKeyId",
    "wechatpayPublicKey",
    "platformCertificates",
    "baseUrl",
    "globalBaseUrl",
    "userAgentPlatform",
    "userAgentSuffix",
];

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsConfig {
    mchid: Option<String>,
    serial_no: Option<String>,
    private_key: Option<String>,
    wechatpay_public_key_id: Option<String>,
    wechatpay_public_key: Option<String>,
    #[serde(default)]
    platform_certificates: Vec<String>,
    base_url: Option<String>,
    global_base_url: Option<String>,
    user_agent_platform: Option<String>,
    user_agent_suffix: Option<String>,
}

/// A request whose signature the JS layer computes (WebCrypto) or the caller's key store does.
#[wasm_bindgen]
pub struct NativeUnsigned {
    inner: wxpay_terminate::UnsignedRequest,
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

    pub fn complete(&self, signature_base64: &str) -> Result<JsValue, JsValue> {
        let request = self
            .inner
            .clone()
            .complete(signature_base64)
            .map_err(js_err)?;
        Ok(request_value(&request))
    }
}

/// A response awaiting the host's RSA verification.
#[wasm_bindgen]
pub struct NativePending {
    inner: wxpay_terminate::PendingVerification,
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
}

#[wasm_bindgen]
impl NativeClient {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<NativeClient, JsValue> {
        // serde-wasm-bindgen reads only the fields it knows, so a misspelt option would vanish.
        if let Some(object) = config.dyn_ref::<Object>() {
            for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
                if !CONFIG_KEYS.contains(&key.as_str()) {
                    return Err(input_err(&key, format!("`{key}` is not a client option")));
                }
            }
        }
        let c: JsConfig = serde_wasm_bindgen::from_value(config)
            .map_err(|e| input_err("config", format!("the client options are malformed ({e})")))?;
        let config = ClientConfig {
            mchid: c.mchid.unwrap_or_default(),
            serial_no: c.serial_no.unwrap_or_default(),
            private_key_pem: c.private_key.map(|k| k.into_bytes().into()),
            wechatpay_public_key_id: c.wechatpay_public_key_id,
            wechatpay_public_key_pem: c.wechatpay_public_key.map(String::into_bytes),
            platform_certificates_pem: c
                .platform_certificates
                .into_iter()
                .map(String::into_bytes)
                .collect(),
            base_url: c.base_url,
            global_base_url: c.global_base_url,
            user_agent_platform: c.user_agent_platform,
            user_agent_suffix: c.user_agent_suffix,
        };
        Ok(NativeClient {
            inner: Client::new(&config).map_err(js_err)?,
        })
    }

    /// `[{serial, spki}]`: the verification keys, for WebCrypto import.
    #[wasm_bindgen(js_name = verificationKeys)]
    pub fn verification_keys(&self) -> Array {
        self.inner
            .verification_keys()
            .into_iter()
            .map(|(serial, der)| {
                let o = Object::new();
                set(&o, "serial", serial);
                set(&o, "spki", Uint8Array::from(der));
                JsValue::from(o)
            })
            .collect()
    }

    /// Builds an operation by catalog id; signed with the built-in (WASM) signer when `sign`.
    pub fn prepare(
        &self,
        operation: &str,
        params: JsValue,
        timestamp: f64,
        nonce: &str,
    ) -> Result<JsValue, JsValue> {
        let params = params_from_js(params)?;
        let request = self
            .inner
            .prepare_operation(operation, params, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(request_value(&request))
    }

    #[wasm_bindgen(js_name = prepareUnsigned)]
    pub fn prepare_unsigned(
        &self,
        operation: &str,
        params: JsValue,
        timestamp: f64,
        nonce: &str,
    ) -> Result<NativeUnsigned, JsValue> {
        let params = params_from_js(params)?;
        let inner = self
            .inner
            .prepare_operation_unsigned(operation, params, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(NativeUnsigned { inner })
    }

    /// The generic template call.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        method: &str,
        template: &str,
        path_params: JsValue,
        query: JsValue,
        json: JsValue,
        timestamp: f64,
        nonce: &str,
    ) -> Result<JsValue, JsValue> {
        let call = api_call(method, template, path_params, query, json)?;
        let request = self
            .inner
            .request(&call, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(request_value(&request))
    }

    #[wasm_bindgen(js_name = requestUnsigned)]
    #[allow(clippy::too_many_arguments)]
    pub fn request_unsigned(
        &self,
        method: &str,
        template: &str,
        path_params: JsValue,
        query: JsValue,
        json: JsValue,
        timestamp: f64,
        nonce: &str,
    ) -> Result<NativeUnsigned, JsValue> {
        let call = api_call(method, template, path_params, query, json)?;
        let inner = self
            .inner
            .request_unsigned(&call, seconds(timestamp, "timestamp")?, nonce)
            .map_err(js_err)?;
        Ok(NativeUnsigned { inner })
    }

    /// Verifies (RSA in WASM) and decodes a response: `{status, requestId, data}`.
    pub fn parse(
        &self,
        operation: Option<String>,
        status: u16,
        headers: JsValue,
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let headers = pairs(headers, "headers")?;
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let parsed = self
            .inner
            .parse_operation(
                operation.as_deref(),
                status,
                &refs,
                body,
                seconds(now, "now")?,
            )
            .map_err(js_err)?;
        Ok(parsed_value(parsed))
    }

    /// Every check but RSA; the JS layer verifies `pending.signature` with WebCrypto.
    #[wasm_bindgen(js_name = beginVerification)]
    pub fn begin_verification(
        &self,
        status: u16,
        headers: JsValue,
        body: &[u8],
    ) -> Result<NativePending, JsValue> {
        let headers = pairs(headers, "headers")?;
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let inner = self
            .inner
            .begin_verification(status, &refs, body)
            .map_err(js_err)?;
        Ok(NativePending { inner })
    }

    /// Completes a WebCrypto verification and decodes: `{status, requestId, data}`.
    #[wasm_bindgen(js_name = finishParse)]
    pub fn finish_parse(
        &self,
        operation: Option<String>,
        status: u16,
        pending: &NativePending,
        signature_valid: bool,
        body: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let parsed = self
            .inner
            .parse_operation_verified(
                operation.as_deref(),
                status,
                pending.inner.clone(),
                signature_valid,
                body,
                seconds(now, "now")?,
            )
            .map_err(js_err)?;
        Ok(parsed_value(parsed))
    }
}

fn api_call(
    method: &str,
    template: &str,
    path_params: JsValue,
    query: JsValue,
    json: JsValue,
) -> Result<ApiCall, JsValue> {
    let mut call = ApiCall::new(Method::parse(method).map_err(js_err)?, template);
    call.path_params = pairs(path_params, "pathParams")?;
    call.query = pairs(query, "query")?;
    call.json = match from_js(json, "json")? {
        Value::Null => None,
        value => Some(value),
    };
    Ok(call)
}

/// The merchant key as PKCS#8 DER (validated: RSA, ≥ 2048 bits) for WebCrypto's importKey.
#[wasm_bindgen(js_name = privateKeyPkcs8)]
pub fn private_key_pkcs8(pem: &str) -> Result<Uint8Array, JsValue> {
    let key =
        wxpay_terminate::crypto::MerchantPrivateKey::from_pem(pem.as_bytes()).map_err(js_err)?;
    let der = key.to_pkcs8_der().map_err(js_err)?;
    Ok(Uint8Array::from(der.as_slice()))
}

/// Signs bytes with a merchant key in WASM (the vector suite's signing stage).
#[wasm_bindgen(js_name = signMessage)]
pub fn sign_message(pem: &str, message: &[u8]) -> Result<String, JsValue> {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let key = MerchantPrivateKey::from_pem(pem.as_bytes()).map_err(js_err)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key.sign(message).map_err(js_err)?))
}

#[wasm_bindgen(js_name = catalogJson)]
pub fn catalog_json() -> String {
    wxpay_terminate::catalog_json().to_string()
}

#[wasm_bindgen(js_name = errorKinds)]
pub fn error_kinds() -> Array {
    ErrorKind::ALL
        .iter()
        .map(|k| JsValue::from_str(k.as_str()))
        .collect()
}
