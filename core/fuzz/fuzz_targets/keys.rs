//! Key material and configuration as a caller hands them over: mode % 4 selects
//! `MerchantPrivateKey::from_pem`, `WechatpayPublicKey::from_pem`, `PlatformCertificate::from_pem`
//! or `ClientConfig::from_json` (then `Client::new`) of the bytes after the mode byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::crypto::{MerchantPrivateKey, PlatformCertificate, WechatpayPublicKey};
use wxpay_terminate::{Client, ClientConfig, ErrorKind};

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Err(e) = MerchantPrivateKey::from_pem(rest) {
                assert_eq!(e.kind(), ErrorKind::InvalidKey, "{e:?}");
            }
        }
        1 => match WechatpayPublicKey::from_pem(rest) {
            Ok(key) => {
                let der = key.spki_der().expect("a parsed key re-encodes");
                WechatpayPublicKey::from_spki_der(&der).expect("its own SPKI parses again");
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidKey, "{e:?}"),
        },
        2 => match PlatformCertificate::from_pem(rest) {
            Ok(cert) => {
                let serial = cert.serial_no();
                assert!(
                    !serial.is_empty()
                        && serial
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                    "serial {serial:?}"
                );
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidKey, "{e:?}"),
        },
        _ => {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) else {
                return;
            };
            match ClientConfig::from_json(value) {
                Ok(config) => {
                    if let Err(e) = Client::new(&config) {
                        assert!(
                            matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::InvalidKey),
                            "{e:?}"
                        );
                    }
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e:?}"),
            }
        }
    }
});
