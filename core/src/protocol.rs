//! The APIv3 signing rules, each stage on its own so vectors can check every step.

use std::fmt::Write as _;

/// The `Authorization` scheme for RSA-2048 / SHA-256 merchant signatures.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The only `Wechatpay-Signature-Type` this library accepts (RSA-2048 / SHA-256).
pub const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

/// Prefix of the signatures WeChat Pay sends to probe whether merchants verify.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// Largest allowed |host clock − `Wechatpay-Timestamp`|, in seconds (PHP and Node SDKs: `> 300` fails).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`: every line ends in LF, the last one too,
/// so an empty body ends the message with `\n\n`.
pub fn request_string_to_sign(
    method: &str,
    canonical_url: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(capacity(&[
        method.len(),
        canonical_url.len(),
        nonce.len(),
        body.len(),
        32,
    ]));
    message.extend_from_slice(method.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(canonical_url.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(timestamp.to_string().as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// A buffer size hint: the sum of the parts' lengths (saturating, as the lint on untrusted sizes
/// asks; only a hint, so saturation costs nothing).
fn capacity(lengths: &[usize]) -> usize {
    lengths.iter().fold(0, |sum, len| sum.saturating_add(*len))
}

/// `TIMESTAMP\nNONCE\nBODY\n` over the raw response body (an empty line for 204).
pub fn response_string_to_verify(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(capacity(&[timestamp.len(), nonce.len(), body.len(), 3]));
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
///
/// WeChat Pay accepts the five items in any order; this order is fixed so vectors are exact.
pub fn authorization(
    mchid: &str,
    nonce: &str,
    signature_b64: &str,
    timestamp: i64,
    serial_no: &str,
) -> String {
    let mut header = String::with_capacity(capacity(&[
        AUTH_SCHEME.len(),
        mchid.len(),
        nonce.len(),
        signature_b64.len(),
        serial_no.len(),
        80,
    ]));
    // Writing into a String cannot fail.
    let _ = write!(
        header,
        "{AUTH_SCHEME} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{signature_b64}\",timestamp=\"{timestamp}\",serial_no=\"{serial_no}\""
    );
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_allocated_once_at_their_exact_size() {
        // The size hint is the parts' sum, saturating rather than overflowing.
        assert_eq!(capacity(&[3, 4, 5]), 12);
        assert_eq!(capacity(&[usize::MAX, 2]), usize::MAX);
        let m = response_string_to_verify("1624523846", "A1B2", b"{}");
        assert_eq!((m.len(), m.capacity()), (19, 19));
    }

    // Golden strings published by wechatpay-axios-plugin and wechatpay-go in their own test suites.
    #[test]
    fn empty_body_ends_with_two_line_feeds() {
        let m =
            request_string_to_sign("GET", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", b"");
        assert_eq!(m, b"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n");
    }

    #[test]
    fn body_ending_in_lf_still_gets_its_own_lf() {
        let m = request_string_to_sign(
            "POST",
            "/v3/certificates",
            1624523846,
            "A1B2C3D4E5F6G7",
            b"Hello World!\n",
        );
        assert_eq!(
            m,
            b"POST\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\nHello World!\n\n"
        );
    }

    #[test]
    fn response_message_for_204_has_an_empty_third_line() {
        assert_eq!(response_string_to_verify("9", "8", b""), b"9\n8\n\n");
        assert_eq!(response_string_to_verify("3", "2", b"1"), b"3\n2\n1\n");
    }

    #[test]
    fn authorization_layout() {
        assert_eq!(
            authorization("1", "2", "3", 4, "5"),
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="2",signature="3",timestamp="4",serial_no="5""#
        );
    }
}
