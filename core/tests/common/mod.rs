//! Shared by the integration tests: the vector keys, a client that verifies with the test
//! WeChat Pay public key, and answers signed as WeChat Pay signs them.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
use wxpay_terminate::{Client, ClientConfig, protocol};

pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0119000072912025112400000000000001";
/// 2023-11-14T22:13:20Z in milliseconds.
pub const T0: i64 = 1_700_000_000_000;

pub fn key(file: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/vectors/keys")
            .join(file),
    )
    .unwrap()
}

pub fn client() -> Client {
    Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        private_key: Some(key("merchant_doc_pkcs8.pem").into()),
        wechatpay_public_key_id: Some(PUBLIC_KEY_ID.into()),
        wechatpay_public_key: Some(key("wechatpay_public_key.pem").into()),
        ..Default::default()
    })
    .unwrap()
}

pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A 2xx signed by "WeChat Pay" (the test public key's private half) at `now_ms`.
pub fn signed(status: u16, body: &str, now_ms: i64) -> Answer {
    let signer = MerchantPrivateKey::from_pem(&key("wechatpay_public_key.private.pem")).unwrap();
    let timestamp = (now_ms / 1000).to_string();
    let nonce = "A1B2C3D4E5F6A1B2C3D4E5F6A1B2C3D4";
    let message = protocol::response_string_to_verify(&timestamp, nonce, body.as_bytes());
    let signature = BASE64.encode(signer.sign(&message).unwrap());
    let headers = vec![
        ("Request-ID".to_owned(), format!("REQ-{status}-{now_ms}")),
        ("Wechatpay-Timestamp".to_owned(), timestamp),
        ("Wechatpay-Nonce".to_owned(), nonce.to_owned()),
        ("Wechatpay-Serial".to_owned(), PUBLIC_KEY_ID.to_owned()),
        ("Wechatpay-Signature".to_owned(), signature),
    ];
    (status, headers, body.as_bytes().to_vec())
}

/// A non-2xx as WeChat Pay sends it (unsigned).
pub fn api_error(status: u16, code: &str) -> Answer {
    let body = json!({"code": code, "message": "测试"}).to_string();
    (
        status,
        vec![("Request-ID".to_owned(), "REQ-ERR".to_owned())],
        body.into_bytes(),
    )
}
