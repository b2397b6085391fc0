//! Certificate life cycle on the client: run-time replacement, re-verifying the same bytes after
//! an unknown serial, expiry as a typed error, and the refresh policy. The download parsing
//! itself is covered by the shared `certificates` vectors.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use wxpay_terminate::certificates::{MIN_RETRY_SECS, REFRESH_INTERVAL_SECS};
use wxpay_terminate::{CertificateSet, Client, ClientConfig, DownloadedCertificate, ErrorKind};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn pem(file: &str) -> String {
    std::fs::read_to_string(vectors().join("keys").join(file)).unwrap()
}

fn client_with(certs: &[&str]) -> Client {
    Client::new(&ClientConfig {
        mchid: "1234567890".into(),
        serial_no: "F5765756002FDD77".into(),
        platform_certificates: certs.iter().map(|f| pem(f).into()).collect(),
        ..Default::default()
    })
    .unwrap()
}

/// A response case from the vectors: (status, headers, body, now).
fn response(case: &str) -> (u16, Vec<(String, String)>, Vec<u8>, i64) {
    let path = vectors()
        .join("cases/response")
        .join(format!("{case}.json"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = &v["response"];
    let headers = r["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (
        r["status"].as_u64().unwrap() as u16,
        headers,
        r["body"].as_str().unwrap().as_bytes().to_vec(),
        v["now"].as_i64().unwrap(),
    )
}

fn set_of(file: &str, serial: &str) -> CertificateSet {
    CertificateSet {
        certificates: vec![DownloadedCertificate {
            serial_no: serial.into(),
            not_before: 1_577_836_800,
            not_after: 2_208_988_800,
            pem: pem(file),
        }],
    }
}

const CERT_B: &str = "B1A2C3D4E5F60718293A4B5C6D7E8F9001122334";

#[test]
fn a_response_from_a_new_certificate_verifies_after_an_update_from_the_same_bytes() {
    let client = client_with(&["platform_cert_a.pem"]);
    let (status, headers, body, now) = response("papay_partner_200_cert_b");
    let err = client.verify(status, &headers, &body, now).unwrap_err();
    assert_eq!(
        (err.kind(), err.serial()),
        (ErrorKind::UnknownSerial, Some(CERT_B))
    );
    assert!(
        client.certificates_refresh_due(now),
        "an unknown serial makes a download due"
    );

    client
        .update_certificates(&set_of("platform_cert_b.pem", CERT_B), now)
        .unwrap();
    assert_eq!(client.verification_serials(), vec![CERT_B.to_owned()]);
    assert_eq!(
        client.certificates(),
        vec![(CERT_B.to_owned(), 2_208_988_800)]
    );
    assert!(
        client
            .verify(status, &headers, &body, now)
            .unwrap()
            .is_some()
    );
}

#[test]
fn an_expired_certificate_is_a_typed_error_not_a_silent_accept() {
    let client = client_with(&["platform_cert_a.pem"]);
    let (status, headers, body, _) = response("papay_200_cert_a");
    // cert A is valid until 2040-01-01; the signature is good, the certificate is not.
    let err = client
        .verify(status, &headers, &body, 2_208_988_801)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey);
    assert_eq!(
        err.serial(),
        Some("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC")
    );
}

#[test]
fn the_public_key_survives_a_certificate_update_and_an_empty_set_is_refused_without_it() {
    let platform_only = client_with(&["platform_cert_a.pem"]);
    let err = platform_only
        .update_certificates(&CertificateSet::default(), 1)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        platform_only.certificates().len(),
        1,
        "a refused update changes nothing"
    );

    let with_public_key = Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        wechatpay_public_key_id: Some("PUB_KEY_ID_0119000072912025112400000000000001".into()),
        wechatpay_public_key: Some(pem("wechatpay_public_key.pem").into()),
        platform_certificates: vec![pem("platform_cert_a.pem").into()],
        ..Default::default()
    })
    .unwrap();
    with_public_key
        .update_certificates(&set_of("platform_cert_b.pem", CERT_B), 1)
        .unwrap();
    assert_eq!(
        with_public_key.verification_serials(),
        vec![
            "PUB_KEY_ID_0119000072912025112400000000000001".to_owned(),
            CERT_B.to_owned()
        ]
    );
}

#[test]
fn refresh_is_due_every_12_hours_and_at_most_once_a_minute_for_unknown_serials() {
    let client = client_with(&["platform_cert_a.pem"]);
    let t = 1_700_000_000;
    assert!(client.certificates_refresh_due(t), "never downloaded");
    client
        .update_certificates(&set_of("platform_cert_b.pem", CERT_B), t)
        .unwrap();
    assert!(!client.certificates_refresh_due(t + 1));
    assert!(!client.certificates_refresh_due(t + REFRESH_INTERVAL_SECS - 1));
    assert!(client.certificates_refresh_due(t + REFRESH_INTERVAL_SECS));

    // A forged serial right after a download waits for the one-minute limit.
    let (status, headers, body, now) = response("papay_200_cert_a");
    assert_eq!(
        client
            .verify(status, &headers, &body, now)
            .unwrap_err()
            .kind(),
        ErrorKind::UnknownSerial
    );
    assert!(!client.certificates_refresh_due(t + MIN_RETRY_SECS - 1));
    assert!(client.certificates_refresh_due(t + MIN_RETRY_SECS));
}

#[test]
fn a_certificate_expiring_within_a_day_makes_a_download_due() {
    let client = client_with(&["platform_cert_a.pem"]);
    let not_after = 2_208_988_800;
    client
        .update_certificates(
            &set_of(
                "platform_cert_a.pem",
                "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC",
            ),
            not_after - 2 * 86_400,
        )
        .unwrap();
    assert!(!client.certificates_refresh_due(not_after - 2 * 86_400 + 120));
    client
        .update_certificates(
            &set_of(
                "platform_cert_a.pem",
                "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC",
            ),
            not_after - 86_400 - 10,
        )
        .unwrap();
    assert!(client.certificates_refresh_due(not_after - 86_400 - 10 + MIN_RETRY_SECS));
}

#[test]
fn the_download_request_is_signed_like_any_request() {
    let client = Client::new(&ClientConfig {
        mchid: "1234567890".into(),
        serial_no: "F5765756002FDD77".into(),
        private_key: Some(pem("merchant_go_pkcs8.pem").into()),
        platform_certificates: vec![pem("platform_cert_a.pem").into()],
        ..Default::default()
    })
    .unwrap();
    let request = client
        .sign(
            client
                .unsigned_certificates(wxpay_terminate::Host::Api, 1_700_000_000, "N1")
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        request.url(),
        "https://api.mch.weixin.qq.com/v3/certificates?algorithm_type=RSA"
    );
    assert_eq!(request.method().as_str(), "GET");
    assert!(request.body().is_none());
    let global = client
        .unsigned_certificates(wxpay_terminate::Host::Global, 1_700_000_000, "N1")
        .unwrap();
    assert!(
        global
            .string_to_sign()
            .starts_with(b"GET\n/v3/global/certificates\n1700000000\nN1\n\n")
    );
}
