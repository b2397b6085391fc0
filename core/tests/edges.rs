//! Behaviour the shared vectors do not reach: each test pins a detail a cargo-mutants run found
//! untested (docs/reliability.md, "Mutation testing").
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::json;
use wxpay_terminate::crypto::{MerchantPrivateKey, Signer, WechatpayPublicKey};
use wxpay_terminate::{
    ApiCall, CertificateSet, Client, ClientConfig, DownloadedCertificate, ErrorKind, Header,
    KeyMaterial, Location, Method, TerminatePapayContract, is_snake_case_of,
};

use common::{PUBLIC_KEY_ID, api_error, client, key, signed};

const NOW: i64 = 1_700_000_000;

fn config() -> ClientConfig {
    ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        private_key: Some(key("merchant_doc_pkcs8.pem").into()),
        wechatpay_public_key_id: Some(PUBLIC_KEY_ID.into()),
        wechatpay_public_key: Some(key("wechatpay_public_key.pem").into()),
        ..Default::default()
    }
}

fn papay() -> TerminatePapayContract {
    TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    }
}

#[test]
fn snake_case_ids_must_match_their_type_names_exactly() {
    assert!(is_snake_case_of("AbC", "ab_c"));
    assert!(!is_snake_case_of("AbC", "ab")); // the id ends where an upper-case letter starts a word
    assert!(!is_snake_case_of("AbC", "abxc")); // a word break without `_`
    assert!(!is_snake_case_of("Ab", "")); // nothing to match the first letter
    assert!(!is_snake_case_of("AbC", "ab_x"));
    assert!(!is_snake_case_of("Abc", "ab")); // the id ends inside a word
    assert!(!is_snake_case_of("Abc", "abx"));
}

/// The catalog JSON the bindings' stub generators read: every operation with its fields, the
/// query link and result schemas, and the notification events.
#[cfg(feature = "schema")]
#[test]
fn the_catalog_json_describes_every_operation_and_event() {
    let catalog = wxpay_terminate::catalog_json();
    let operations = catalog["operations"].as_array().unwrap();
    assert_eq!(operations.len(), wxpay_terminate::OPERATIONS.len());
    let papay = operations
        .iter()
        .find(|o| o["id"] == "terminate_papay_contract")
        .unwrap();
    assert_eq!(papay["method"], "POST");
    assert_eq!(papay["confirm_with"], "query_papay_contract");
    assert_eq!(papay["success_status"], 200);
    assert_eq!(papay["output"]["$ref"], "#/$defs/PapayContract");
    // A 204 endpoint has no result schema.
    let campus = operations
        .iter()
        .find(|o| o["id"] == "terminate_eduschoolpay_contract")
        .unwrap();
    assert!(campus["output"].is_null() && campus["success_status"] == 204);
    let fields: Vec<(&str, &str)> = papay["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["location"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("plan_id", "path"),
            ("out_contract_code", "path"),
            ("contract_termination_remark", "body")
        ]
    );
    let partner = operations
        .iter()
        .find(|o| o["id"] == "query_papay_partner_contract")
        .unwrap();
    assert_eq!(partner["fields"][2]["location"], "query");
    assert_eq!(
        operations
            .iter()
            .find(|o| o["id"] == "query_edu_papay_contract")
            .unwrap()["gone_when_terminated"],
        true
    );
    assert!(catalog["definitions"]["PapayContract"]["properties"]["contract_state"].is_object());
    assert_eq!(catalog["events"].as_array().unwrap().len(), 10);
}

// ---- the certificate refresh policy -----------------------------------------------------------

fn certificate_a() -> CertificateSet {
    CertificateSet {
        certificates: vec![DownloadedCertificate {
            serial_no: "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC".into(),
            not_before: 1_577_836_800,
            not_after: 2_208_988_800,
            pem: String::from_utf8(key("platform_cert_a.pem")).unwrap(),
        }],
    }
}

#[test]
fn the_first_download_is_due_only_when_certificates_are_in_play() {
    // Public key only: nothing to download until an unknown serial shows up.
    let public_key_only = client();
    assert!(!public_key_only.certificates_refresh_due(NOW));
    let (status, mut headers, body) = signed(200, "{}", NOW * 1000);
    headers[3].1 = "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC".into();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let err = public_key_only
        .verify(status, pairs, &body, NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSerial);
    assert!(public_key_only.certificates_refresh_due(NOW));

    // Certificates only, or both during migration: due before the first download.
    let certificates_only = Client::new(&ClientConfig {
        wechatpay_public_key_id: None,
        wechatpay_public_key: None,
        platform_certificates: vec![key("platform_cert_a.pem").into()],
        ..config()
    })
    .unwrap();
    assert!(certificates_only.certificates_refresh_due(NOW));
    let both = Client::new(&ClientConfig {
        platform_certificates: vec![key("platform_cert_a.pem").into()],
        ..config()
    })
    .unwrap();
    assert!(both.certificates_refresh_due(NOW));
}

#[test]
fn after_a_download_the_next_is_due_after_twelve_hours() {
    let client = Client::new(&ClientConfig {
        wechatpay_public_key_id: None,
        wechatpay_public_key: None,
        platform_certificates: vec![key("platform_cert_a.pem").into()],
        ..config()
    })
    .unwrap();
    client.update_certificates(&certificate_a(), NOW).unwrap();
    assert!(!client.certificates_refresh_due(NOW + 3_700));
    assert!(!client.certificates_refresh_due(NOW + 12 * 3600 - 1));
    assert!(client.certificates_refresh_due(NOW + 12 * 3600));
}

// ---- configuration ----------------------------------------------------------------------------

#[test]
fn key_material_comes_from_text_or_bytes_and_says_so_when_it_does_not() {
    let from_bytes = KeyMaterial::deserialize(serde::de::value::BytesDeserializer::<
        serde::de::value::Error,
    >::new(b"abc"))
    .unwrap();
    assert_eq!(from_bytes.as_bytes(), b"abc");
    let from_array = KeyMaterial::deserialize(json!([97, 98, 99])).unwrap();
    assert_eq!(from_array.as_bytes(), b"abc");
    let err = KeyMaterial::deserialize(json!(5)).unwrap_err();
    assert!(err.to_string().contains("text or bytes"), "{err}");
    assert_eq!(format!("{from_bytes:?}"), "<redacted>");
    // The whole config, with a key given as an array of byte values (what bindings send for bytes).
    let pem = key("merchant_doc_pkcs8.pem");
    let config = ClientConfig::from_json(
        json!({"mchid": "1900007291", "serial_no": "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
                                                "private_key": pem.clone()}),
    )
    .unwrap();
    assert_eq!(
        config.private_key.as_ref().unwrap().as_bytes(),
        pem.as_slice()
    );
    let debug = format!("{config:?}");
    assert!(
        debug.contains("1900007291") && debug.contains("<redacted>"),
        "{debug}"
    );
    assert!(!debug.contains("MII"), "{debug}");
}

#[test]
fn config_errors_name_the_option_or_the_whole_config() {
    let err = ClientConfig::from_json(json!("not an object")).unwrap_err();
    assert_eq!(err.field(), Some("config"));
    let err = ClientConfig::from_json(json!({"mchid": 5, "serial_no": "AB"})).unwrap_err();
    assert_eq!(err.field(), Some("mchid"));
    assert!(
        err.message().contains("has the wrong type"),
        "{}",
        err.message()
    );
}

#[test]
fn identity_options_are_checked_before_anything_is_built() {
    let refused = |change: &dyn Fn(&mut ClientConfig), field: &str| {
        let mut c = config();
        change(&mut c);
        let err = Client::new(&c).unwrap_err();
        assert_eq!(
            (err.kind(), err.field()),
            (ErrorKind::InvalidInput, Some(field)),
            "{err}"
        );
    };
    refused(&|c| c.serial_no = String::new(), "serial_no");
    refused(&|c| c.serial_no = "XYZ".into(), "serial_no");
    refused(
        &|c| c.wechatpay_public_key_id = Some("PUB_KEY_ID_".into()),
        "wechatpay_public_key_id",
    );
    refused(
        &|c| c.wechatpay_public_key_id = Some("PUB_KEY_ID_01-02".into()),
        "wechatpay_public_key_id",
    );
    refused(
        &|c| c.user_agent_suffix = Some("app/é".into()),
        "user_agent_suffix",
    );
    refused(
        &|c| c.user_agent_suffix = Some("app\n1".into()),
        "user_agent_suffix",
    );
    let mut ok = config();
    ok.wechatpay_public_key_id = Some("PUB_KEY_ID_01_02".into());
    ok.user_agent_suffix = Some("shop/2.1".into());
    let client = Client::new(&ok).unwrap();
    assert!(
        client.user_agent().starts_with("wxpay-terminate/")
            && client.user_agent().ends_with(" shop/2.1")
    );
}

// ---- requests ---------------------------------------------------------------------------------

#[test]
fn a_request_lists_its_headers_in_one_order_and_names_its_operation() {
    let client = client();
    let unsigned = client.unsigned(&papay(), NOW, "N1").unwrap();
    assert_eq!(unsigned.operation(), Some("terminate_papay_contract"));
    let debug = format!("{unsigned:?}");
    assert!(
        debug.contains("terminate_papay_contract") && !debug.contains("用户解约"),
        "{debug}"
    );
    let request = client.sign(unsigned).unwrap();
    let names: Vec<&str> = request.headers().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Accept",
            "Authorization",
            "Content-Type",
            "User-Agent",
            "Wechatpay-Serial"
        ]
    );
    assert_eq!(request.header("user-agent"), Some(client.user_agent()));
    let debug = format!("{request:?}");
    assert!(
        debug.contains("Authorization") && debug.contains("body_len"),
        "{debug}"
    );
    assert!(
        !debug.contains("WECHATPAY2") && !debug.contains("用户解约"),
        "{debug}"
    );
    let client_debug = format!("{client:?}");
    assert!(
        client_debug.contains("1900007291") && client_debug.contains(PUBLIC_KEY_ID),
        "{client_debug}"
    );
    assert!(!client_debug.contains("MII"), "{client_debug}");
}

#[test]
fn methods_parse_in_any_case() {
    assert_eq!(Method::parse("put").unwrap(), Method::Put);
    assert_eq!(Method::parse("PATCH").unwrap(), Method::Patch);
    assert_eq!(Method::parse("trace").unwrap_err().field(), Some("method"));
}

#[test]
fn templates_refuse_bad_variables_and_literals_that_need_encoding() {
    let client = client();
    for template in ["/v3/{}/x", "/v3/{a-b}/x", "/v3/a b/x", "/v3/a\"b"] {
        let err = client
            .unsigned_call(&ApiCall::new(Method::Get, template), NOW, "N1")
            .unwrap_err();
        assert_eq!(err.field(), Some("template"), "{template}");
    }
}

#[test]
fn generic_bodies_follow_the_three_byte_rule_at_every_depth() {
    let client = client();
    let call = |json: serde_json::Value| {
        client.unsigned_call(&ApiCall::new(Method::Post, "/v3/x").json(json), NOW, "N1")
    };
    for bad in [
        json!({"a": "😀"}),
        json!({"a": ["ok", "😀"]}),
        json!({"a": {"b": "😀"}}),
        json!({"😀": 1}),
    ] {
        let err = call(bad.clone()).unwrap_err();
        assert_eq!(err.field(), Some("json"), "{bad}");
    }
    // U+FFFF is the last 3-byte character: allowed, in bodies and typed fields alike.
    assert!(call(json!({"a": "\u{FFFF}"})).is_ok());
    let mut op = papay();
    op.contract_termination_remark = "\u{FFFF}".into();
    assert!(client.unsigned(&op, NOW, "N1").is_ok());
}

#[test]
fn absolute_urls_may_name_either_configured_origin() {
    let client = Client::new(&ClientConfig {
        base_url: Some("http://127.0.0.1:8080".into()),
        global_base_url: Some("http://127.0.0.1:9090".into()),
        ..config()
    })
    .unwrap();
    for url in [
        "http://127.0.0.1:8080/v3/x",
        "http://127.0.0.1:9090/v3/x",
        "https://api2.mch.weixin.qq.com/v3/x",
    ] {
        assert!(
            client
                .unsigned_call(&ApiCall::new(Method::Get, url), NOW, "N1")
                .is_ok(),
            "{url}"
        );
    }
    let err = client
        .unsigned_call(
            &ApiCall::new(Method::Get, "http://127.0.0.1:7070/v3/x"),
            NOW,
            "N1",
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("template"));
}

#[test]
fn timestamps_start_at_zero() {
    assert!(client().unsigned(&papay(), 0, "N1").is_ok());
    assert_eq!(
        client().unsigned(&papay(), -1, "N1").unwrap_err().field(),
        Some("timestamp")
    );
}

#[test]
fn location_names_are_the_catalog_json_names() {
    assert_eq!(
        [Location::Path, Location::Query, Location::Body].map(Location::as_str),
        ["path", "query", "body"]
    );
}

// ---- responses and errors ---------------------------------------------------------------------

#[test]
fn header_records_verify_like_pairs() {
    let client = client();
    let (status, headers, body) = signed(204, "", NOW * 1000);
    let records: Vec<Header> = headers
        .iter()
        .map(|(n, v)| Header {
            name: n.clone(),
            value: v.clone(),
        })
        .collect();
    // A generic 204: verified, and its empty body is JSON null.
    let parsed = client
        .parse_by_id(None, status, &records, &body, NOW)
        .unwrap();
    assert_eq!(
        (parsed.data, parsed.request_id.as_deref()),
        (serde_json::Value::Null, Some("REQ-204-1700000000000"))
    );
    let pending = client.begin_verification(status, &records, &body).unwrap();
    let debug = format!("{pending:?}");
    assert!(
        debug.contains(PUBLIC_KEY_ID) && debug.contains("1700000000"),
        "{debug}"
    );
}

#[test]
fn api_errors_read_the_code_even_without_a_message() {
    let (status, headers, _) = api_error(400, "PARAM_ERROR");
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let err = client()
        .verify(status, pairs.clone(), br#"{"code":"PARAM_ERROR"}"#, NOW)
        .unwrap_err();
    assert_eq!(err.message(), "HTTP 400 PARAM_ERROR");
    assert_eq!(
        err.to_string(),
        "api: HTTP 400 PARAM_ERROR [Request-ID REQ-ERR]"
    );
    let debug = format!("{err:?}");
    assert!(
        debug.contains("Api") && debug.contains("PARAM_ERROR") && debug.contains("REQ-ERR"),
        "{debug}"
    );
    let err = client()
        .unsigned(
            &TerminatePapayContract {
                out_contract_code: String::new(),
                ..papay()
            },
            NOW,
            "N1",
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid_input: `out_contract_code` must not be empty (field `out_contract_code`)"
    );
    assert_eq!(ErrorKind::ClockSkew.to_string(), "clock_skew");
}

#[test]
fn key_debug_output_is_redacted() {
    let private = MerchantPrivateKey::from_pem(&key("merchant_doc_pkcs8.pem")).unwrap();
    assert_eq!(format!("{private:?}"), "MerchantPrivateKey(<redacted>)");
    let public = WechatpayPublicKey::from_pem(&key("wechatpay_public_key.pem")).unwrap();
    assert_eq!(format!("{public:?}"), "WechatpayPublicKey(..)");
    // And they are the keys they claim to be: a signature of one verifies with the other half.
    let signer = MerchantPrivateKey::from_pem(&key("wechatpay_public_key.private.pem")).unwrap();
    let signature = signer.sign(b"m").unwrap();
    assert_eq!(signature.len(), 256);
    use wxpay_terminate::crypto::Verifier;
    assert!(public.verify(b"m", &signature));
    assert!(!public.verify(b"n", &signature));
}

// ---- notifications ----------------------------------------------------------------------------

#[test]
fn a_ciphertext_of_exactly_the_tag_decrypts_to_an_empty_plaintext() {
    let apiv3 = "doc_pubkey_test_apiv3_key_000001";
    let client = Client::new(&ClientConfig {
        apiv3_key: Some(apiv3.into()),
        ..config()
    })
    .unwrap();
    let cipher = Aes256Gcm::new_from_slice(apiv3.as_bytes()).unwrap();
    let sealed = cipher
        .encrypt(
            &Nonce::try_from(&b"0123456789ab"[..]).unwrap(),
            Payload {
                msg: b"",
                aad: b"entrust",
            },
        )
        .unwrap();
    assert_eq!(sealed.len(), 16);
    let body = json!({"id": "EV-1", "create_time": "2026-01-01T00:00:00+08:00", "event_type": "ENTRUST.TERMINATE",
                      "resource_type": "encrypt-resource", "resource": {"algorithm": "AEAD_AES_256_GCM",
                      "ciphertext": BASE64.encode(&sealed), "nonce": "0123456789ab", "associated_data": "entrust"}})
    .to_string();
    let (_, headers, body) = signed(200, &body, NOW * 1000);
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // It opened (an empty plaintext is no JSON): `decode`, not `decryption`.
    let err = client.parse_notification(pairs, &body, NOW).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
}

#[test]
fn a_refusal_message_is_one_to_sixty_four_characters() {
    assert!(wxpay_terminate::notification_nack(&"失".repeat(64)).is_ok());
    for bad in [String::new(), "失".repeat(65), "a\nb".to_owned()] {
        assert_eq!(
            wxpay_terminate::notification_nack(&bad)
                .unwrap_err()
                .field(),
            Some("message"),
            "{bad:?}"
        );
    }
}

#[test]
fn the_panic_hook_really_panics() {
    // The bindings' "no panic crosses the boundary" tests rely on it.
    let client = client();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.panic_for_test()));
    assert!(caught.is_err());
}
