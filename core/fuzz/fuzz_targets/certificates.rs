//! A platform-certificate download: status, headers, body → `parse_certificates`.
//!
//! Input: `[client][mode]STATUS NOW\nName: value\n…\n\nBODY`; mode % 2:
//! 0. full: as given;
//! 1. plaintext: BODY is one to four certificate plaintexts (PEM) separated by two NUL bytes;
//!    the target seals each under the client's APIv3 key (nonce/associated_data pseudo-headers,
//!    default `certificate`), lists them with their own serial (or the `serial_no` pseudo-header)
//!    and parses the download, so decryption, PEM/X.509 parsing and the serial check are reached
//!    with fuzzer-chosen certificates. The signature headers are the input's, or synthetic ones
//!    naming a key the client trusts. `parse_certificates` decrypts before it verifies, so no
//!    RSA bypass is needed to reach them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::ErrorKind;
use wxpay_terminate::crypto::PlatformCertificate;
use wxpay_terminate_fuzz::{fixture, gcm_nonce, seal, split_message, synthetic_headers};

/// At most four: each certificate costs an RSA key setup, twice (here and in the core), and more
/// of them add executions, not paths.
fn split_plaintexts(body: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = body;
    while parts.len() < 3
        && let Some(i) = rest.windows(2).position(|w| w == b"\0\0")
    {
        parts.push(&rest[..i]);
        rest = &rest[i + 2..];
    }
    parts.push(rest);
    parts
}

fuzz_target!(|data: &[u8]| {
    let [client, mode, rest @ ..] = data else {
        return;
    };
    let fixture = fixture(*client);
    let message = split_message(rest);
    let status: u16 = message.number(0, 200);
    let now: i64 = message.number(1, 1_700_000_000);
    let client = &fixture.client;
    if mode % 2 == 0 {
        match client.parse_certificates(status, &message.headers, message.body, now) {
            Ok(set) => {
                assert!((200..300).contains(&status), "accepted a {status} download");
                for cert in &set.certificates {
                    assert!((cert.not_before..=cert.not_after).contains(&now));
                }
            }
            Err(e) => assert_ne!(e.kind(), ErrorKind::Internal, "{e:?}"),
        }
        return;
    }
    let nonce = gcm_nonce(message.header("nonce"));
    let aad = message.header("associated_data").unwrap_or("certificate");
    let data: Vec<serde_json::Value> = split_plaintexts(message.body)
        .into_iter()
        .map(|pem| {
            let serial_no = message
                .header("serial_no")
                .map(str::to_owned)
                .or_else(|| {
                    PlatformCertificate::from_pem(pem)
                        .ok()
                        .map(|c| c.serial_no().to_owned())
                })
                .unwrap_or_default();
            serde_json::json!({
                "serial_no": serial_no,
                "effective_time": "2024-01-01T08:00:00+08:00",
                "expire_time": "2029-01-01T08:00:00+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": aad,
                    "ciphertext": seal(&fixture.apiv3_key, &nonce, aad, pem),
                },
            })
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "data": data })).expect("JSON");
    let headers = if message.header("Wechatpay-Signature").is_some() {
        message.headers.clone()
    } else {
        synthetic_headers(fixture, now)
    };
    if let Err(e) = client.parse_certificates(200, &headers, &body, now) {
        // Sealed under the client's key with its own nonce and AAD: never a decryption failure.
        assert!(
            !matches!(e.kind(), ErrorKind::Decryption | ErrorKind::Internal),
            "{e:?}"
        );
    }
});
