//! The typed Rust API on top of what the shared vectors already cover.
#![allow(clippy::unwrap_used)]

use std::fs;

use base64::Engine as _;
use std::path::{Path, PathBuf};

use wxpay_terminate::ResponseBody as _;
use wxpay_terminate::{
    ApiCall, Client, ClientConfig, ErrorKind, Method, OPERATIONS, Operation,
    TerminateEduschoolpayContract, TerminatePapayContract, operation,
};

fn key(file: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/keys")
        .join(file);
    fs::read(path).unwrap()
}

fn client() -> Client {
    Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        private_key: Some(key("merchant_doc_pkcs8.pem").into()),
        wechatpay_public_key_id: Some("PUB_KEY_ID_0119000072912025112400000000000001".into()),
        wechatpay_public_key: Some(key("wechatpay_public_key.pem").into()),
        user_agent_suffix: Some("shop/1.2".into()),
        ..Default::default()
    })
    .unwrap()
}

fn papay() -> TerminatePapayContract {
    TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    }
}

const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

#[test]
fn typed_json_and_generic_calls_build_the_same_descriptor() {
    let c = client();
    let typed = c.prepare(&papay(), 1_554_208_460, NONCE).unwrap();
    let by_id = c
        .sign(
            c.unsigned_by_id(
                "terminate_papay_contract",
                serde_json::json!({"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}),
                1_554_208_460,
                NONCE,
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(typed, by_id);
    let call = ApiCall::new(
        Method::Post,
        "v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
    )
    .path_param("plan_id", "12535")
    .path_param("out_contract_code", "wxwtdk20200910100000")
    .json(serde_json::json!({"contract_termination_remark": "用户解约"}));
    let generic = c
        .sign(c.unsigned_call(&call, 1_554_208_460, NONCE).unwrap())
        .unwrap();
    assert_eq!(generic.url(), typed.url());
    assert_eq!(generic.body(), typed.body());
    assert_eq!(
        generic.header("Authorization"),
        typed.header("Authorization")
    );
    assert_eq!(typed.operation(), Some("terminate_papay_contract"));
    assert_eq!(generic.operation(), None);
}

#[test]
fn user_agent_names_library_version_binding_and_suffix() {
    let req = client().prepare(&papay(), 1, "n").unwrap();
    assert_eq!(
        req.header("user-agent"),
        Some(concat!(
            "wxpay-terminate/",
            env!("CARGO_PKG_VERSION"),
            " (rust) shop/1.2"
        ))
    );
}

#[test]
fn http_crate_round_trip() {
    let c = client();
    let req = c
        .prepare(
            &TerminateEduschoolpayContract {
                contract_id: "2045011120563805041758214605".into(),
            },
            1,
            "n",
        )
        .unwrap();
    let http_req = req.to_http().unwrap();
    assert_eq!(http_req.method(), http::Method::POST);
    assert!(http_req.headers().get("content-type").is_none());
    assert!(http_req.body().is_empty());

    // An unsigned 2xx from an `http::Response` is rejected with a typed error.
    let response = http::Response::builder()
        .status(204)
        .body(Vec::<u8>::new())
        .unwrap();
    let err = c
        .parse_http::<TerminateEduschoolpayContract, _>(&response, 1)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsignedResponse);
    // A 500 becomes a retryable API error carrying the Request-ID.
    let response = http::Response::builder()
        .status(500)
        .header("Request-ID", "08F1")
        .body(br#"{"code":"SYSTEM_ERROR","message":"\u7cfb\u7edf\u9519\u8bef"}"#.to_vec())
        .unwrap();
    let err = c
        .parse_http::<TerminateEduschoolpayContract, _>(&response, 1)
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        (api.status, api.code.as_deref(), api.request_id.as_deref()),
        (500, Some("SYSTEM_ERROR"), Some("08F1"))
    );
    assert_eq!(api.message.as_deref(), Some("系统错误"));
    assert!(err.retryable());
}

#[test]
fn two_phase_signing_rejects_a_non_base64_signature() {
    let unsigned = client().unsigned(&papay(), 1, "n").unwrap();
    assert!(
        unsigned
            .string_to_sign()
            .starts_with(b"POST\n/v3/papay/sign/contracts/plan-id/12535/")
    );
    let err = unsigned.complete("not base64!").unwrap_err();
    assert_eq!(
        (err.kind(), err.field()),
        (ErrorKind::InvalidInput, Some("signature"))
    );
}

#[test]
fn a_client_without_a_private_key_only_builds_unsigned_requests() {
    let c = Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        platform_certificates: vec![key("platform_cert_a.pem").into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.prepare(&papay(), 1, "n").unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
    assert!(c.unsigned(&papay(), 1, "n").is_ok());
    assert_eq!(
        c.verification_serials(),
        vec!["5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"]
    );
}

#[test]
fn debug_output_never_shows_keys_signatures_or_bodies() {
    let config = ClientConfig {
        private_key: Some(key("merchant_doc_pkcs8.pem").into()),
        ..Default::default()
    };
    let c = client();
    let req = c.prepare(&papay(), 1, "n").unwrap();
    let signature = req
        .header("Authorization")
        .unwrap()
        .split("signature=\"")
        .nth(1)
        .unwrap()[..40]
        .to_owned();
    for text in [format!("{config:?}"), format!("{c:?}"), format!("{req:?}")] {
        assert!(!text.contains("MII"), "{text}");
        assert!(!text.contains(&signature), "{text}");
        assert!(!text.contains("用户解约"), "{text}");
    }
}

#[cfg(feature = "getrandom")]
#[test]
fn generated_nonces_are_32_hex_and_differ() {
    let (a, b) = (
        wxpay_terminate::generate_nonce().unwrap(),
        wxpay_terminate::generate_nonce().unwrap(),
    );
    assert_eq!(a.len(), 32);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[test]
fn catalog_ids_are_unique_and_specs_are_consistent() {
    let mut ids: Vec<_> = OPERATIONS.iter().map(|e| e.spec.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), OPERATIONS.len());
    // 19 terminations, each with the query that confirms it.
    assert_eq!(OPERATIONS.len(), 38);
    for entry in OPERATIONS {
        let spec = entry.spec;
        let is_query = spec.method == wxpay_terminate::Method::Get;
        match spec.confirm_with {
            Some(query) => {
                assert!(!is_query, "{}: a query confirms nothing", spec.id);
                let query = operation(query)
                    .expect("confirm_with names an operation")
                    .spec;
                assert_eq!(query.method, wxpay_terminate::Method::Get, "{}", spec.id);
                assert_eq!(
                    query.host, spec.host,
                    "{}: the query is on the same host",
                    spec.id
                );
            }
            None => assert!(is_query, "{}: a termination without its query", spec.id),
        }
        if is_query {
            assert!(!spec.has_body, "{}", spec.id);
            assert_eq!(spec.success_status, 200, "{}", spec.id);
        } else {
            assert!(!spec.gone_when_terminated, "{}", spec.id);
        }
        assert!(
            spec.success_status == 200 || spec.success_status == 204,
            "{}",
            spec.id
        );
        assert_eq!(
            spec.success_status == 204,
            spec.output == "NoContent",
            "{}",
            spec.id
        );
        for field in spec
            .fields
            .iter()
            .filter(|f| f.location == wxpay_terminate::Location::Path)
        {
            assert!(
                spec.path.contains(&format!("{{{}}}", field.name)),
                "{} {}",
                spec.id,
                field.name
            );
        }
        assert_eq!(
            spec.path.matches('{').count(),
            spec.fields
                .iter()
                .filter(|f| f.location == wxpay_terminate::Location::Path)
                .count()
        );
        assert!(!spec.docs.is_empty(), "{}", spec.id);
        assert!(operation(spec.id).is_some());
    }
    assert_eq!(TerminatePapayContract::SPEC.id, "terminate_papay_contract");
}

#[test]
fn error_kind_names_round_trip() {
    for kind in ErrorKind::ALL {
        assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
    }
}

/// Operation ids are the snake_case of the type names; `declare_endpoints!` checks it at compile
/// time with this function, so its edge cases are pinned here.
#[test]
fn operation_ids_are_checked_against_type_names() {
    use wxpay_terminate::is_snake_case_of;
    assert!(is_snake_case_of(
        "TerminatePapayContract",
        "terminate_papay_contract"
    ));
    assert!(is_snake_case_of("A", "a"));
    assert!(!is_snake_case_of(
        "TerminatePapayContract",
        "terminate_papay_contracts"
    ));
    assert!(!is_snake_case_of(
        "TerminatePapayContract",
        "terminate_papay"
    ));
    assert!(!is_snake_case_of(
        "TerminatePapayContract",
        "terminatepapay_contract"
    ));
    assert!(!is_snake_case_of(
        "TerminatePapayContract",
        "_terminate_papay_contract"
    ));
    for entry in OPERATIONS {
        let output = entry.spec.output;
        assert_eq!(
            entry.spec.success_status,
            if output == "NoContent" { 204 } else { 200 },
            "{} returns {output}",
            entry.spec.id
        );
    }
}

#[test]
fn decode_errors_name_the_field_but_never_quote_the_body() {
    // A 200 body whose plan_id has the wrong type: the error names the path, not the value.
    let err = wxpay_terminate::PapayContract::decode(br#"{"mchid":"1","contract_id":"SECRET-VALUE","appid":"a","plan_id":"SECRET-PLAN","out_contract_code":"c","contract_display_account":"d","contract_state":"s","openid":"o"}"#)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("`plan_id`"), "{}", err.message());
    assert!(!err.to_string().contains("SECRET"), "{err}");
    let err = wxpay_terminate::PapayContract::decode(b"{\"mchid\":").unwrap_err();
    assert!(err.message().contains("truncated"), "{}", err.message());
}

/// The KMS/HSM seam: a signer outside the crate signs exactly the bytes the core asks for, and
/// its errors come back unchanged.
#[test]
fn with_signer_uses_a_custom_signer_for_every_request() {
    use std::sync::{Arc, Mutex};
    use wxpay_terminate::crypto::Signer;

    struct RecordingSigner {
        seen: Mutex<Vec<Vec<u8>>>,
        fail: bool,
    }
    impl Signer for RecordingSigner {
        fn sign(&self, message: &[u8]) -> wxpay_terminate::Result<Vec<u8>> {
            self.seen.lock().unwrap().push(message.to_vec());
            if self.fail {
                return Err(wxpay_terminate::Error::new(
                    ErrorKind::InvalidKey,
                    "the KMS refused to sign",
                ));
            }
            Ok(vec![0xAB; 256])
        }
    }

    let signer = Arc::new(RecordingSigner {
        seen: Mutex::new(Vec::new()),
        fail: false,
    });
    let c = client().with_signer(signer.clone());
    let unsigned = c.unsigned(&papay(), 1_554_208_460, NONCE).unwrap();
    let expected_message = unsigned.string_to_sign().to_vec();
    let request = c.sign(unsigned).unwrap();
    assert_eq!(*signer.seen.lock().unwrap(), vec![expected_message]);
    let authorization = request.header("Authorization").unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode([0xABu8; 256]);
    assert!(
        authorization.contains(&format!("signature=\"{b64}\"")),
        "{authorization}"
    );

    let failing = client().with_signer(Arc::new(RecordingSigner {
        seen: Mutex::new(Vec::new()),
        fail: true,
    }));
    let err = failing.prepare(&papay(), 1_554_208_460, NONCE).unwrap_err();
    assert_eq!(
        (err.kind(), err.message()),
        (ErrorKind::InvalidKey, "the KMS refused to sign")
    );
}

/// The key is held once by the signing backend; exporting it (WebCrypto import) gives back a
/// key that signs identically, on either backend.
#[test]
fn a_private_key_exports_as_pkcs8_that_signs_identically() {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let pkcs1 = MerchantPrivateKey::from_pem(&key("merchant_doc_pkcs1.pem")).unwrap();
    let der = pkcs1.to_pkcs8_der().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_slice());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let exported = MerchantPrivateKey::from_pem(pem.as_bytes()).unwrap();
    let original = MerchantPrivateKey::from_pem(&key("merchant_doc_pkcs8.pem")).unwrap();
    assert_eq!(exported.sign(b"m").unwrap(), original.sign(b"m").unwrap());
    assert_eq!(pkcs1.sign(b"m").unwrap(), original.sign(b"m").unwrap());
}

#[test]
fn absolute_urls_are_signed_only_for_wechat_pay_or_configured_hosts() {
    let c = client();
    let call = |template: &str| ApiCall::new(Method::Get, template);
    let err = c
        .unsigned_call(&call("https://evil.example/v3/x"), 1, "n")
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.field()),
        (ErrorKind::InvalidInput, Some("template"))
    );
    for ok in [
        "https://api.mch.weixin.qq.com/v3/x",
        "https://api2.mch.weixin.qq.com/v3/x",
        "https://apihk.mch.weixin.qq.com/v3/x",
    ] {
        assert!(c.unsigned_call(&call(ok), 1, "n").is_ok(), "{ok}");
    }
    let mut opted_in = call("https://evil.example/v3/x");
    opted_in.allow_any_host = true;
    let unsigned = c.unsigned_call(&opted_in, 1, "n").unwrap();
    assert!(unsigned.string_to_sign().starts_with(b"GET\n/v3/x\n"));
}
