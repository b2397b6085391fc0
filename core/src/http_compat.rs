//! Conversions for the `http` crate, so reqwest, hyper and ureq users need no glue.

use crate::catalog::Operation;
use crate::client::{Client, Parsed};
use crate::error::{Error, Result};
use crate::request::Request;

impl Request {
    /// An `http::Request` with the same method, URL, headers and body bytes.
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.url.as_str());
        for (name, value) in self.headers() {
            builder = builder.header(name, value);
        }
        builder
            .body(self.body.clone().unwrap_or_default())
            .map_err(|e| {
                Error::invalid_input("url", format!("not representable as http::Request ({e})"))
            })
    }
}

impl Client {
    /// [`Client::parse`] for an `http::Response` whose body has been read.
    pub fn parse_http<O: Operation, B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
        now: i64,
    ) -> Result<Parsed<O::Output>> {
        // Header values that are not visible ASCII cannot be WeChat Pay's; they count as absent.
        let headers: Vec<(&str, &str)> = response
            .headers()
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
            .collect();
        self.parse::<O>(
            response.status().as_u16(),
            &headers,
            response.body().as_ref(),
            now,
        )
    }
}
