//! Arbitrary JSON as the params of every operation of the catalog → `Client::unsigned_by_id`.
//! A built request must keep the invariants of `check_request`, go to the operation's host, and
//! every string field it accepted must be within the catalog's documented limits (characters,
//! ASCII letters and digits); a refusal is always `invalid_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::{ErrorKind, Host, OPERATIONS};
use wxpay_terminate_fuzz::{check_request, fixture};

const TIMESTAMP: i64 = 1_700_000_000;
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

fuzz_target!(|data: &[u8]| {
    let Ok(params) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let client = &fixture(0).client;
    for entry in OPERATIONS {
        let spec = entry.spec;
        match client.unsigned_by_id(spec.id, params.clone(), TIMESTAMP, NONCE) {
            Ok(unsigned) => {
                assert_eq!(unsigned.operation(), Some(spec.id));
                let origin = check_request(unsigned, spec.method, TIMESTAMP, NONCE);
                let expected = match spec.host {
                    Host::Api => "https://api.mch.weixin.qq.com",
                    Host::Global => "https://apihk.mch.weixin.qq.com",
                };
                assert_eq!(origin, expected);
                for field in spec.fields {
                    let Some(value) = params.get(field.name).and_then(|v| v.as_str()) else {
                        assert!(
                            !field.required || params.get(field.name).is_some(),
                            "{}: required `{}` absent",
                            spec.id,
                            field.name
                        );
                        continue;
                    };
                    if let Some(max) = field.limits.max_chars {
                        assert!(
                            value.chars().count() <= max,
                            "{}: `{}` over {max} characters accepted",
                            spec.id,
                            field.name
                        );
                    }
                    if field.limits.alnum {
                        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
                    }
                    assert!(
                        !value.is_empty(),
                        "{}: empty `{}` accepted",
                        spec.id,
                        field.name
                    );
                }
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}: {e:?}", spec.id),
        }
    }
});
