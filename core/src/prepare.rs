//! Request building: one way to build an unsigned request per input shape (typed operation,
//! operation by id, generic template), and one place where a descriptor is put together.

use crate::catalog::{self, BuiltParams, EndpointSpec, Host, Operation};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::protocol;
use crate::request::{Method, Request, UnsignedRequest};
use crate::url;
use crate::validate::{check_nonce, check_timestamp};
use crate::verify::header;

/// A call to any APIv3 endpoint by URI template, like `chain('v3/…/{var}')` in other SDKs.
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
    /// An absolute template may name only WeChat Pay's hosts (`api`, `api2`, `apihk`) or the
    /// configured base URLs; set this to sign a request for any other origin.
    pub allow_any_host: bool,
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
            allow_any_host: false,
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

/// When and with which random string a request is signed: the host's clock and RNG.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    pub(crate) timestamp: i64,
    pub(crate) nonce: &'a str,
}

/// Where a request goes and what it carries, before the merchant identity is added.
pub(crate) struct Target<'a, I> {
    pub(crate) operation: Option<&'static str>,
    pub(crate) method: Method,
    pub(crate) origin: &'a str,
    pub(crate) template: &'a str,
    pub(crate) path_params: I,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: Option<Vec<u8>>,
}

impl Client {
    /// Builds a typed operation for signing: pass the result to [`Client::sign`], or sign
    /// [`UnsignedRequest::string_to_sign`] yourself (KMS, HSM) and call
    /// [`UnsignedRequest::complete`].
    pub fn unsigned<O: Operation>(
        &self,
        op: &O,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let built = catalog::build_params(op)?;
        self.for_spec(O::SPEC, built, Stamp { timestamp, nonce })
    }

    /// [`Client::unsigned`] for any operation of the catalog in its enum form.
    pub fn unsigned_any(
        &self,
        op: &catalog::AnyOperation,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        self.for_spec(op.spec(), op.build()?, Stamp { timestamp, nonce })
    }

    /// [`Client::unsigned`] for an operation named by its catalog id, with params as a JSON
    /// object of the API's field names: what the bindings call.
    pub fn unsigned_by_id(
        &self,
        operation_id: &str,
        params: serde_json::Value,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let entry = catalog::lookup(operation_id)?;
        let built = (entry.from_json)(params)?;
        self.for_spec(entry.spec, built, Stamp { timestamp, nonce })
    }

    /// [`Client::unsigned`] for a generic call by URI template.
    pub fn unsigned_call(
        &self,
        call: &ApiCall,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let (origin, path) = url::split_origin(&call.template)?;
        if let Some(origin) = origin
            && call.allow_any_host
        {
            // Opted out of the host check, but never into a malformed origin (found by fuzzing).
            url::normalize_origin("template", origin)?;
        } else if let Some(origin) = origin
            && !self.is_known_origin(origin)
        {
            return Err(Error::invalid_input(
                "template",
                "an absolute URL may only name WeChat Pay's hosts or the configured base URLs (set allow_any_host to sign for another)",
            ));
        }
        if let Some(json) = &call.json {
            check_json_strings(json)?;
        }
        let body = match &call.json {
            Some(json) => Some(serde_json::to_vec(json).map_err(|e| {
                Error::invalid_input("json", format!("body could not be serialised ({e})"))
            })?),
            None => None,
        };
        // The scheme is sent in lower case (`HTTPS://` → `https://`), as every URL parser
        // normalises it; the host stays as written.
        let origin = origin.map(url::lower_case_scheme);
        let target = Target {
            operation: None,
            method: call.method,
            origin: origin.as_deref().unwrap_or(&self.api_origin),
            template: path,
            path_params: call
                .path_params
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            query: &call.query,
            body,
        };
        self.assemble(target, Stamp { timestamp, nonce })
    }

    fn is_known_origin(&self, origin: &str) -> bool {
        const WECHAT_PAY: [&str; 3] = [
            "https://api.mch.weixin.qq.com",
            "https://api2.mch.weixin.qq.com",
            "https://apihk.mch.weixin.qq.com",
        ];
        let origin = origin.to_ascii_lowercase();
        WECHAT_PAY.contains(&origin.as_str())
            || origin == self.api_origin.to_ascii_lowercase()
            || origin == self.global_origin.to_ascii_lowercase()
    }

    /// Signs with the configured private key (or the signer given to [`Client::with_signer`]).
    pub fn sign(&self, unsigned: UnsignedRequest) -> Result<Request> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            Error::invalid_key(
                "no merchant private key is configured: pass one, or sign string_to_sign yourself",
            )
        })?;
        unsigned.sign_with(signer.as_ref())
    }

    /// Builds and signs a typed operation: [`Client::unsigned`] then [`Client::sign`].
    pub fn prepare<O: Operation>(&self, op: &O, timestamp: i64, nonce: &str) -> Result<Request> {
        self.sign(self.unsigned(op, timestamp, nonce)?)
    }

    fn for_spec(
        &self,
        spec: &'static EndpointSpec,
        built: BuiltParams,
        stamp: Stamp<'_>,
    ) -> Result<UnsignedRequest> {
        let origin = match spec.host {
            Host::Api => &self.api_origin,
            Host::Global => &self.global_origin,
        };
        let target = Target {
            operation: Some(spec.id),
            method: spec.method,
            origin,
            template: spec.path,
            path_params: built.path_params.iter().map(|(n, v)| (*n, v.as_str())),
            query: &built.query,
            body: built.body,
        };
        self.assemble(target, stamp)
    }

    /// The one place a descriptor is put together; typed and generic calls both end here.
    pub(crate) fn assemble<'a, I>(
        &self,
        target: Target<'_, I>,
        stamp: Stamp<'_>,
    ) -> Result<UnsignedRequest>
    where
        I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
    {
        check_timestamp(stamp.timestamp)?;
        check_nonce(stamp.nonce)?;
        let mut url = String::with_capacity(
            target
                .origin
                .len()
                .saturating_add(target.template.len())
                .saturating_add(64),
        );
        url.push_str(target.origin);
        url::expand_path(target.template, target.path_params, &mut url)?;
        url::append_query(target.query, &mut url)?;
        let canonical_url = url.get(target.origin.len()..).unwrap_or_default();
        let string_to_sign = protocol::request_string_to_sign(
            target.method.as_str(),
            canonical_url,
            stamp.timestamp,
            stamp.nonce,
            target.body.as_deref().unwrap_or_default(),
        );

        let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(5);
        headers.push((header::ACCEPT, "application/json".to_owned()));
        if target.body.is_some() {
            headers.push((header::CONTENT_TYPE, "application/json".to_owned()));
        }
        headers.push((header::USER_AGENT, self.user_agent.clone()));
        // The migration FAQ: a request's Wechatpay-Serial selects the key that signs the response.
        if let Some(id) = &self.public_key_id {
            headers.push((header::SERIAL, id.clone()));
        }
        Ok(UnsignedRequest {
            request: Request {
                operation: target.operation,
                method: target.method,
                url,
                headers,
                body: target.body,
            },
            string_to_sign,
            mchid: self.mchid.clone(),
            serial_no: self.serial_no.clone(),
            timestamp: stamp.timestamp,
            nonce: stamp.nonce.to_owned(),
        })
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

/// 32 upper-case hex characters from the OS RNG, the shape of the official examples. The
/// bindings call this one function, so every language sends the same nonce format.
#[cfg(feature = "getrandom")]
pub fn generate_nonce() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| {
        crate::error::Error::new(
            crate::error::ErrorKind::Internal,
            "the operating system's random number generator failed",
        )
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02X}")).collect())
}
