//! # wxpay-terminate
//!
//! A sans-IO core for every WeChat Pay (微信支付) APIv3 contract- and authorization-termination
//! endpoint. It builds complete, signed request descriptors (method, URL, headers, body bytes)
//! and verifies and parses the responses your HTTP client received. It never opens a socket,
//! reads a file, the clock or the environment: time and nonce are arguments.
//!
//! ```no_run
//! use wxpay_terminate::{Client, ClientConfig, TerminatePapayContract, generate_nonce};
//! # fn main() -> Result<(), wxpay_terminate::Error> {
//! # let (key_pem, pubkey_pem) = (Vec::new(), Vec::new());
//! let client = Client::new(&ClientConfig {
//!     mchid: "1900000109".into(),
//!     serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
//!     private_key: Some(key_pem.into()),
//!     wechatpay_public_key_id: Some("PUB_KEY_ID_0119000001092025112400000000000001".into()),
//!     wechatpay_public_key: Some(pubkey_pem.into()),
//!     ..Default::default()
//! })?;
//! let op = TerminatePapayContract {
//!     plan_id: 12535,
//!     out_contract_code: "wxwtdk20200910100000".into(),
//!     contract_termination_remark: "用户解约".into(),
//! };
//! let now = 1_700_000_000; // the host's clock, in Unix seconds
//! let request = client.prepare(&op, now, &generate_nonce()?)?;
//! // … send request.method(), request.url(), request.headers(), request.body() …
//! # let (status, headers, body): (u16, Vec<(&str, &str)>, Vec<u8>) = (200, vec![], vec![]);
//! let result = client.parse::<TerminatePapayContract>(status, &headers, &body, now)?;
//! println!("{} is now {}", result.data.contract_id, result.data.contract_state);
//! # Ok(()) }
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
// Untrusted bytes reach most of this crate, so the panics clippy can see are refused outright:
// `expect`, indexing and slicing (by byte or by string offset) and arithmetic that can overflow
// (saturating, checked or wrapping forms say which is meant). The workspace already denies
// `unwrap` and `panic!`. Tests may panic: that is how they fail.
#![deny(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::panic,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod catalog;
pub mod certificates;
mod client;
mod config;
pub mod confirm;
pub mod crypto;
mod error;
#[cfg(feature = "http")]
mod http_compat;
mod json_text;
pub mod notification;
mod prepare;
pub mod protocol;
mod request;
mod url;
mod validate;
pub mod verify;

pub use catalog::*;
pub use certificates::{CertificateSet, DownloadedCertificate};
pub use client::{Client, Parsed, decode_by_id, decode_text_by_id};
pub use config::{ClientConfig, KeyMaterial};
pub use confirm::{
    ConfirmPolicy, Evidence, EvidenceSource, Outcome, OutcomeKind, Purpose, Step, Termination,
};
pub use error::{ApiError, Error, ErrorKind, ErrorRecord, Result};
pub use notification::{
    Notification, NotificationReply, NotificationResource, notification_ack, notification_nack,
};
pub use prepare::ApiCall;
#[cfg(feature = "getrandom")]
pub use prepare::generate_nonce;
pub use request::{Header, Method, Request, RequestRecord, UnsignedRequest};
pub use validate::{Limits, Location};
pub use verify::{HeaderPair, PUBLIC_KEY_ID_PREFIX, PendingVerification};
