//! The request descriptor the host sends with its own HTTP client.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::crypto::Signer;
use crate::error::{Error, Result};
use crate::protocol;
use crate::verify::header;

/// The HTTP methods APIv3 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// Upper-case, as signed and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Parses a method name; case-insensitive, since hosts spell it both ways.
    pub fn parse(name: &str) -> Result<Method> {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Ok(Method::Get),
            "POST" => Ok(Method::Post),
            "PUT" => Ok(Method::Put),
            "PATCH" => Ok(Method::Patch),
            "DELETE" => Ok(Method::Delete),
            _ => Err(Error::invalid_input(
                "method",
                "method must be GET, POST, PUT, PATCH or DELETE",
            )),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete, signed request: send exactly these bytes.
///
/// The body is the exact byte string that was signed; re-serialising it would break the
/// signature, so hand `body()` to the HTTP client as raw bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) operation: Option<&'static str>,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

impl Request {
    /// The catalog id this request was built for; `None` for a generic call.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }
    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }
    /// The absolute URL, path parameters percent-encoded.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// Headers in a fixed order: `Accept`, `Authorization`, `Content-Type` (only with a body),
    /// `User-Agent`, `Wechatpay-Serial` (only in public-key mode).
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (*n, v.as_str()))
    }
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body bytes, or `None` when the endpoint takes no body.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Authorization value and the body stay out of logs.
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A request whose signature the host computes (KMS, HSM, Android Keystore, WebCrypto).
///
/// Sign [`UnsignedRequest::string_to_sign`] with RSASSA-PKCS1-v1_5 / SHA-256 and pass the
/// base64 signature to [`UnsignedRequest::complete`].
#[derive(Clone)]
pub struct UnsignedRequest {
    pub(crate) request: Request,
    pub(crate) string_to_sign: Vec<u8>,
    pub(crate) mchid: String,
    pub(crate) serial_no: String,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
}

impl UnsignedRequest {
    /// The exact bytes to sign (UTF-8): `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`.
    pub fn string_to_sign(&self) -> &[u8] {
        &self.string_to_sign
    }

    /// The catalog id, as on [`Request::operation`].
    pub fn operation(&self) -> Option<&'static str> {
        self.request.operation
    }

    /// Completes the descriptor with a base64 signature made by the host.
    pub fn complete(self, signature_b64: &str) -> Result<Request> {
        let valid = BASE64
            .decode(signature_b64)
            .map(|raw| !raw.is_empty())
            .unwrap_or(false);
        if !valid {
            return Err(Error::invalid_input(
                "signature",
                "signature must be standard base64 (with padding)",
            ));
        }
        Ok(self.finish(signature_b64))
    }

    /// Signs with a [`Signer`] and completes the descriptor.
    pub fn sign_with(self, signer: &dyn Signer) -> Result<Request> {
        let signature = signer.sign(&self.string_to_sign)?;
        let encoded = BASE64.encode(signature);
        Ok(self.finish(&encoded))
    }

    fn finish(mut self, signature_b64: &str) -> Request {
        let authorization = protocol::authorization(
            &self.mchid,
            &self.nonce,
            signature_b64,
            self.timestamp,
            &self.serial_no,
        );
        // Authorization follows Accept, so every binding lists the headers in one order.
        let after_accept = self
            .request
            .headers
            .iter()
            .position(|(name, _)| *name == header::ACCEPT)
            .map_or(0, |i| i.saturating_add(1));
        self.request
            .headers
            .insert(after_accept, (header::AUTHORIZATION, authorization));
        self.request
    }
}

impl fmt::Debug for UnsignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsignedRequest")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

/// One HTTP header, as the bindings pass it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Header {
    /// The name, as sent.
    pub name: String,
    /// The value.
    pub value: String,
}

impl crate::verify::HeaderPair for Header {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self) -> &str {
        &self.value
    }
}

/// The request descriptor as every binding receives it: send exactly this method, URL,
/// headers (in order) and body bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RequestRecord {
    /// The catalog id, or none for a generic call.
    pub operation: Option<String>,
    /// `GET`, `POST`, …
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// In order: Accept, Authorization, Content-Type (with a body), User-Agent, Wechatpay-Serial.
    pub headers: Vec<Header>,
    /// The exact bytes that were signed; none when the endpoint takes no body.
    pub body: Option<Vec<u8>>,
}

impl From<Request> for RequestRecord {
    fn from(r: Request) -> Self {
        RequestRecord {
            operation: r.operation.map(str::to_owned),
            method: r.method.as_str().to_owned(),
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| Header {
                    name: name.to_owned(),
                    value,
                })
                .collect(),
            url: r.url,
            body: r.body,
        }
    }
}
