//! Properties over generated inputs (proptest): the response signature round trip and its
//! sensitivity to every signed byte, that `parse_by_id` never panics, the percent-encoding of
//! path and query values, and the documented length limits counted in characters.
//!
//! Case counts are kept small: RSA signing is slow in debug builds and this suite runs in
//! `make test`. The fuzz targets in `core/fuzz` cover the same inputs at volume.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
use wxpay_terminate::{
    ApiCall, Client, ClientConfig, ErrorKind, FieldType, Location, Method, OPERATIONS, protocol,
};

const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0119000072912025112400000000000001";
const CERT_A_SERIAL: &str = "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC";
/// Platform certificate A is valid 2020-01-01 … 2040-01-01.
const CERT_A_VALIDITY: (i64, i64) = (1_577_836_800, 2_208_988_800);
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";
const TIMESTAMP: i64 = 1_700_000_000;

fn key(file: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/keys")
        .join(file);
    fs::read(path).unwrap()
}

/// The vectors' `migration` client: the WeChat Pay public key and platform certificate A.
fn client() -> Client {
    Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        private_key: Some(key("merchant_doc_pkcs1.pem").into()),
        wechatpay_public_key_id: Some(PUBLIC_KEY_ID.into()),
        wechatpay_public_key: Some(key("wechatpay_public_key.pem").into()),
        platform_certificates: vec![key("platform_cert_a.pem").into()],
        apiv3_key: Some("migration_test_apiv3_key_0000003".into()),
        ..Default::default()
    })
    .unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A signed response: `(headers, body)` with the signature over `ts\nnonce\nbody\n`.
struct Signed {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: &'static str,
    body: Vec<u8>,
}

impl Signed {
    fn new(
        signer: &MerchantPrivateKey,
        serial: &'static str,
        ts: i64,
        nonce: &str,
        body: Vec<u8>,
    ) -> Signed {
        let timestamp = ts.to_string();
        let message = protocol::response_string_to_verify(&timestamp, nonce, &body);
        Signed {
            signature: BASE64.encode(signer.sign(&message).unwrap()),
            timestamp,
            nonce: nonce.to_owned(),
            serial,
            body,
        }
    }

    fn headers(&self) -> Vec<(&str, String)> {
        vec![
            ("Request-ID", "08F0A1B2C3".to_owned()),
            ("Wechatpay-Nonce", self.nonce.clone()),
            ("Wechatpay-Serial", self.serial.to_owned()),
            ("Wechatpay-Signature", self.signature.clone()),
            (
                "Wechatpay-Signature-Type",
                "WECHATPAY2-SHA256-RSA2048".to_owned(),
            ),
            ("Wechatpay-Timestamp", self.timestamp.clone()),
        ]
    }
}

/// Replaces the character at `at` of an ASCII header value with another printable, non-space one.
fn change_ascii(value: &mut String, at: Index, replacement: u8) {
    let i = at.index(value.len());
    let old = value.as_bytes()[i];
    let mut new = b'!' + replacement % 94;
    if new == old {
        new = if new == b'~' { b'!' } else { new + 1 };
    }
    value.replace_range(i..=i, &char::from(new).to_string());
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Body,
    Timestamp,
    Nonce,
    Signature,
}

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        // JSON bodies, which `parse_by_id(None, …)` also decodes.
        proptest::collection::btree_map("[a-z_]{1,12}", "\\PC{0,24}", 0..6)
            .prop_map(|m| serde_json::to_vec(&m).unwrap()),
    ]
}

#[test]
fn signed_responses_verify_and_any_changed_byte_is_refused() {
    let client = client();
    let public_key =
        MerchantPrivateKey::from_pem(&key("wechatpay_public_key.private.pem")).unwrap();
    let cert_a = MerchantPrivateKey::from_pem(&key("platform_cert_a.private.pem")).unwrap();
    let operations: Vec<Option<&str>> = std::iter::once(None)
        .chain(OPERATIONS.iter().map(|e| Some(e.spec.id)))
        .collect();
    proptest!(config(24), |(
        with_cert in any::<bool>(),
        ts in CERT_A_VALIDITY.0 + 300..CERT_A_VALIDITY.1 - 300,
        skew in -300i64..=300,
        nonce in "[!-~]{1,32}",
        body in body_strategy(),
        part in prop_oneof![
            Just(Part::Body),
            Just(Part::Timestamp),
            Just(Part::Nonce),
            Just(Part::Signature),
        ],
        at in any::<Index>(),
        replacement in any::<u8>(),
        op in any::<Index>(),
    )| {
        let (signer, serial) = if with_cert { (&cert_a, CERT_A_SERIAL) } else { (&public_key, PUBLIC_KEY_ID) };
        let now = ts + skew;
        let operation = operations[op.index(operations.len())];
        let mut signed = Signed::new(signer, serial, ts, &nonce, body);

        // The round trip: verified, and decoded exactly when the body is what the operation reads.
        let request_id = client.verify(200, signed.headers(), &signed.body, now).unwrap();
        prop_assert_eq!(request_id.as_deref(), Some("08F0A1B2C3"));
        match client.parse_by_id(None, 200, signed.headers(), &signed.body, now) {
            Ok(parsed) => {
                let expected = if signed.body.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::from_slice(&signed.body).unwrap()
                };
                prop_assert_eq!(parsed.data, expected);
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Decode);
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&signed.body).is_err());
            }
        }
        if let Err(e) = client.parse_by_id(operation, 200, signed.headers(), &signed.body, now) {
            prop_assert_eq!(e.kind(), ErrorKind::Decode);
        }

        // One byte of one signed input changes: never accepted.
        match part {
            Part::Body if !signed.body.is_empty() => {
                let i = at.index(signed.body.len());
                signed.body[i] = signed.body[i].wrapping_add(replacement.max(1));
            }
            Part::Body => signed.body.push(replacement),
            Part::Timestamp => change_ascii(&mut signed.timestamp, at, replacement),
            Part::Nonce => change_ascii(&mut signed.nonce, at, replacement),
            Part::Signature => change_ascii(&mut signed.signature, at, replacement),
        }
        let err = client.verify(200, signed.headers(), &signed.body, now).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{:?}", err);
        for operation in [None, operation] {
            let result = client.parse_by_id(operation, 200, signed.headers(), &signed.body, now);
            prop_assert!(result.is_err(), "accepted a changed {:?}", part);
        }
    });
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Wechatpay-Timestamp".to_owned()),
        Just("wechatpay-nonce".to_owned()),
        Just("Wechatpay-Signature".to_owned()),
        Just("WECHATPAY-SERIAL".to_owned()),
        Just("Wechatpay-Signature-Type".to_owned()),
        Just("Request-ID".to_owned()),
        "\\PC{0,16}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(PUBLIC_KEY_ID.to_owned()),
        Just(CERT_A_SERIAL.to_owned()),
        Just("WECHATPAY/SIGNTEST/abc".to_owned()),
        "-?[0-9]{1,20}",
        "[A-Za-z0-9+/=]{0,400}",
        any::<String>(),
    ]
}

#[test]
fn parse_by_id_never_panics_on_arbitrary_input() {
    let client = client();
    let operations: Vec<&str> = OPERATIONS.iter().map(|e| e.spec.id).collect();
    proptest!(config(256), |(
        status in prop_oneof![Just(200u16), Just(204u16), any::<u16>()],
        headers in proptest::collection::vec((header_name(), header_value()), 0..10),
        body in body_strategy(),
        op in any::<Index>(),
        now in any::<i64>(),
    )| {
        let choice = op.index(operations.len() + 2);
        let operation = match choice {
            0 => None,
            1 => Some("not_an_operation"),
            i => Some(operations[i - 2]),
        };
        // Nothing here is signed by a trusted key: whatever the input, it is an error, never a panic.
        let result = client.parse_by_id(operation, status, &headers, &body, now);
        let err = result.unwrap_err();
        if operation == Some("not_an_operation") {
            prop_assert_eq!(err.kind(), ErrorKind::InvalidInput);
        } else if !(200..300).contains(&status) {
            prop_assert_eq!(err.kind(), ErrorKind::Api);
        }
        prop_assert_ne!(err.kind(), ErrorKind::Internal);
    });
}

/// `%XX` → byte; anything else as is. `None` for a malformed escape.
fn percent_decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// What RFC 3986 leaves unencoded in a component: `A-Z a-z 0-9 - . _ ~`, and `%` + two
/// upper-case hex digits.
fn assert_encoded_component(encoded: &str) -> Result<(), TestCaseError> {
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = &bytes[i + 1..i + 3];
            prop_assert!(
                hex.iter()
                    .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)),
                "{encoded:?}"
            );
            i += 3;
        } else {
            prop_assert!(
                b.is_ascii_alphanumeric() || b"-._~".contains(&b),
                "raw {b:#04x} in {encoded:?}"
            );
            i += 1;
        }
    }
    Ok(())
}

fn path_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{1,24}",
        // Dot segments and their encoded spellings, alone or with neighbours.
        "[.%2eE/]{1,6}",
        "[ -~]{1,16}",
    ]
}

#[test]
fn path_and_query_values_are_percent_encoded_and_decode_back() {
    let client = client();
    proptest!(config(256), |(
        value in path_value(),
        query in proptest::collection::vec(("\\PC{1,8}", any::<String>()), 0..3),
    )| {
        let mut call = ApiCall::new(Method::Get, "/v3/x/{id}/y").path_param("id", value.clone());
        call.query = query.clone();
        let refused = value.is_empty()
            || value.chars().any(|c| c as u32 > 0xFFFF || c.is_whitespace() || c.is_control())
            || is_dot_segment(&value);
        let unsigned = match client.unsigned_call(&call, TIMESTAMP, NONCE) {
            Ok(unsigned) => unsigned,
            Err(e) => {
                prop_assert!(refused, "{:?} refused: {:?}", value, e);
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                prop_assert_eq!(e.field(), Some("id"));
                return Ok(());
            }
        };
        prop_assert!(!refused, "{:?} accepted", value);
        let request = unsigned.complete("AAAA").unwrap();
        let url = request.url();
        let rest = url.strip_prefix("https://api.mch.weixin.qq.com/v3/x/").unwrap();
        let (path, query_string) = rest.split_once('?').unwrap_or((rest, ""));
        let segment = path.strip_suffix("/y").unwrap();
        prop_assert!(!segment.contains(['/', '?', '#']));
        prop_assert!(!segment.chars().any(|c| c.is_control() || c.is_whitespace()));
        prop_assert!(!is_dot_segment(segment), "{:?}", segment);
        assert_encoded_component(segment)?;
        let decoded = percent_decode(segment);
        prop_assert_eq!(decoded.as_deref(), Some(value.as_str()));

        let pairs: Vec<(String, String)> = if query_string.is_empty() {
            Vec::new()
        } else {
            query_string
                .split('&')
                .map(|pair| {
                    let (n, v) = pair.split_once('=').unwrap();
                    assert_encoded_component(n).unwrap();
                    assert_encoded_component(v).unwrap();
                    (percent_decode(n).unwrap(), percent_decode(v).unwrap())
                })
                .collect()
        };
        prop_assert_eq!(pairs, query);
    });
}

/// Params that pass every rule of `spec` with its required fields only.
fn minimal_params(
    spec: &wxpay_terminate::EndpointSpec,
) -> serde_json::Map<String, serde_json::Value> {
    spec.fields
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            let value = match f.ty {
                FieldType::String => serde_json::Value::from("a1"),
                FieldType::Integer => serde_json::Value::from(12535u64),
            };
            (f.name.to_owned(), value)
        })
        .collect()
}

/// Every string field with a documented `max_chars`, as `(operation, field, max, alnum, location)`.
fn limited_fields() -> Vec<(&'static str, &'static str, usize, bool, Location)> {
    OPERATIONS
        .iter()
        .flat_map(|e| {
            e.spec.fields.iter().filter_map(move |f| {
                f.limits
                    .max_chars
                    .map(|max| (e.spec.id, f.name, max, f.limits.alnum, f.location))
            })
        })
        .collect()
}

fn check_length(
    client: &Client,
    op: &str,
    field: &str,
    value: String,
) -> Result<bool, TestCaseError> {
    let spec = wxpay_terminate::operation(op).unwrap().spec;
    let mut params = minimal_params(spec);
    params.insert(field.to_owned(), value.into());
    match client.unsigned_by_id(op, params.into(), TIMESTAMP, NONCE) {
        Ok(_) => Ok(true),
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            prop_assert_eq!(e.field(), Some(field));
            Ok(false)
        }
    }
}

#[test]
fn every_documented_limit_is_counted_in_characters() {
    let client = client();
    let fields = limited_fields();
    assert!(
        fields.len() >= 10,
        "the catalog documents limits: {fields:?}"
    );
    for &(op, field, max, alnum, location) in &fields {
        // One-, two- and three-byte characters; letters and digits only where the field says so.
        let chars: &[char] = if alnum {
            &['a', '7']
        } else {
            &['a', 'é', '解']
        };
        for &c in chars {
            for (n, accepted) in [(1, true), (max, true), (max + 1, false), (max + 7, false)] {
                let value: String = std::iter::repeat_n(c, n).collect();
                assert_eq!(
                    check_length(&client, op, field, value).unwrap(),
                    accepted,
                    "{op}.{field} ({location:?}, max {max}) with {n} × {c:?}"
                );
            }
        }
    }
    // Mixed widths around each limit.
    proptest!(config(64), |(
        which in any::<Index>(),
        delta in -3i64..=3,
        picks in proptest::collection::vec(any::<Index>(), 300),
    )| {
        let (op, field, max, alnum, _) = fields[which.index(fields.len())];
        let alphabet: &[char] = if alnum { &['a', 'Z', '0', '9'] } else { &['a', 'é', '解', 'Ω', '7'] };
        let n = usize::try_from(i64::try_from(max).unwrap() + delta).unwrap();
        let value: String = picks.iter().take(n).map(|p| alphabet[p.index(alphabet.len())]).collect();
        prop_assume!(value.chars().count() == n);
        prop_assert_eq!(check_length(&client, op, field, value)?, n <= max, "{}.{} n={}", op, field, n);
    });
}
