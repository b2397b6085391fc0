//! A response as the host received it: status, header list, body → `Client::parse_by_id` for the
//! operation the first line names (`-` for a generic call, an unknown id as given).
//!
//! Input: `[client][mode]STATUS NOW OPERATION\nName: value\n…\n\nBODY`. Mode bit 0x80 bypasses
//! RSA: the two-phase API with a host that says "valid", over synthetic signature headers, so
//! the clock and decode paths are reached with fuzzer-chosen bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::{ErrorKind, decode_by_id};
use wxpay_terminate_fuzz::{fixture, split_message, synthetic_headers};

fuzz_target!(|data: &[u8]| {
    let [client, mode, rest @ ..] = data else {
        return;
    };
    let fixture = fixture(*client);
    let message = split_message(rest);
    let status: u16 = message.number(0, 200);
    let now: i64 = message.number(1, 1_700_000_000);
    let operation = match message.numbers.get(2).map(String::as_str) {
        None | Some("-") => None,
        Some(id) => Some(id),
    };
    let client = &fixture.client;
    if mode & 0x80 == 0 {
        match client.parse_by_id(operation, status, &message.headers, message.body, now) {
            Ok(parsed) => {
                assert!((200..300).contains(&status), "accepted a {status} response");
                assert_eq!(parsed.status, status);
            }
            Err(e) => {
                if !(200..300).contains(&status) && e.kind() != ErrorKind::InvalidInput {
                    assert_eq!(e.kind(), ErrorKind::Api, "non-2xx must be an API error");
                }
                assert_ne!(e.kind(), ErrorKind::Internal, "{e:?}");
            }
        }
    } else {
        let headers = synthetic_headers(fixture, now);
        match client.begin_verification(status, &headers, message.body) {
            Err(e) => {
                assert!(
                    !(200..300).contains(&status),
                    "synthetic headers must pass every check before RSA: {e:?}"
                );
                assert_eq!(e.kind(), ErrorKind::Api, "non-2xx must be an API error");
            }
            Ok(pending) => {
                assert!(
                    (200..300).contains(&status),
                    "a {status} got past the status check"
                );
                // timestamp = now: only a platform certificate outside its validity fails here.
                if let Err(e) = client.finish_verification(pending, true, now) {
                    assert_eq!(e.kind(), ErrorKind::InvalidKey, "{e:?}");
                    return;
                }
                if let Err(e) = decode_by_id(operation, message.body) {
                    assert!(
                        matches!(e.kind(), ErrorKind::Decode | ErrorKind::InvalidInput),
                        "{e:?}"
                    );
                }
            }
        }
    }
});
