//! A notification as POSTed to the merchant: headers + body → `parse_notification`.
//!
//! Input: `[client][mode]NOW\nName: value\n…\n\nBODY`; mode % 3:
//! 0. full: the headers and body as given (RSA rejects almost every mutant);
//! 1. RSA bypassed: synthetic signature headers, `begin_notification` →
//!    `finish_notification(pending, true, …)`, so the envelope decoding and decryption are reached;
//! 2. plaintext: BODY is the decrypted resource; the target seals it under the client's APIv3 key
//!    (nonce/associated_data from pseudo-headers `nonce`, `associated_data`), builds the envelope
//!    (`event_type`, `id`, `create_time`, `summary`, `original_type` pseudo-headers) and feeds it
//!    through `finish_notification(…, true, …)`, so the resource decoding is reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::{ErrorKind, Notification, NotificationResource, Result};
use wxpay_terminate_fuzz::{Fixture, fixture, gcm_nonce, seal, split_message, synthetic_headers};

fn bypass(fixture: &Fixture, body: &[u8], now: i64) -> Result<Notification> {
    let client = &fixture.client;
    let pending = client
        .begin_notification(synthetic_headers(fixture, now), body)
        .expect("synthetic headers pass every check before RSA");
    client.finish_notification(pending, true, body, now)
}

fuzz_target!(|data: &[u8]| {
    let [client, mode, rest @ ..] = data else {
        return;
    };
    let fixture = fixture(*client);
    let message = split_message(rest);
    let now: i64 = message.number(0, 1_700_000_000);
    match mode % 3 {
        0 => {
            if let Err(e) = fixture
                .client
                .parse_notification(&message.headers, message.body, now)
            {
                assert!(
                    !matches!(e.kind(), ErrorKind::Internal | ErrorKind::Api),
                    "{e:?}"
                );
            }
        }
        1 => {
            if let Err(e) = bypass(fixture, message.body, now) {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Decode | ErrorKind::Decryption | ErrorKind::InvalidKey
                    ),
                    "{e:?}"
                );
            }
        }
        _ => {
            let event_type = message.header("event_type").unwrap_or("ENTRUST.TERMINATE");
            let nonce = gcm_nonce(message.header("nonce"));
            let aad = message.header("associated_data");
            let ciphertext = seal(&fixture.apiv3_key, &nonce, aad.unwrap_or(""), message.body);
            let mut resource = serde_json::json!({
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "nonce": nonce,
            });
            if let Some(aad) = aad {
                resource["associated_data"] = aad.into();
            }
            if let Some(original_type) = message.header("original_type") {
                resource["original_type"] = original_type.into();
            }
            let mut envelope = serde_json::json!({
                "id": message.header("id").unwrap_or("fuzz-id"),
                "create_time": message.header("create_time").unwrap_or("2024-11-24T11:21:58+08:00"),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "resource": resource,
            });
            if let Some(summary) = message.header("summary") {
                envelope["summary"] = summary.into();
            }
            let body = serde_json::to_vec(&envelope).expect("JSON");
            match bypass(fixture, &body, now) {
                Ok(notification) => {
                    assert_eq!(notification.event_type, event_type);
                    assert_eq!(
                        notification.original_type.as_deref(),
                        message.header("original_type")
                    );
                    if let NotificationResource::Other { plaintext_json } = &notification.resource {
                        // Known finding (docs/reliability.md): a plaintext that is JSON except for
                        // invalid UTF-8 inside a string is accepted and its bytes replaced by
                        // U+FFFD, so only UTF-8 plaintexts are compared byte for byte.
                        if std::str::from_utf8(message.body).is_ok() {
                            assert_eq!(plaintext_json.as_bytes(), message.body);
                        }
                    }
                    // The JSON the bindings hand out is built from any decoded notification.
                    let _ = notification.to_json();
                }
                // Sealed under the right key with its own nonce and AAD: only the plaintext
                // can be wrong (or `now` is outside a platform certificate's validity).
                Err(e) => assert!(
                    matches!(e.kind(), ErrorKind::Decode | ErrorKind::InvalidKey),
                    "{e:?}"
                ),
            }
        }
    }
});
