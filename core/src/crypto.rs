//! Keys and the signer/verifier seam.
//!
//! The protocol code only sees [`Signer`] and [`Verifier`]: RSASSA-PKCS1-v1_5 with
//! SHA-256 over a byte string. The built-in backend is RustCrypto's `rsa`; a faster
//! native backend, a KMS or WebCrypto can stand behind the same traits. Keys are
//! parsed once, when a [`crate::Client`] is built, never per request.

use std::fmt;

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
#[cfg(not(feature = "aws-lc"))]
use rsa::pkcs1v15::Signature;
#[cfg(not(feature = "aws-lc"))]
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs1v15::VerifyingKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
#[cfg(not(feature = "aws-lc"))]
use rsa::signature::{SignatureEncoding, Signer as _, Verifier as _};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// RSA keys shorter than this are refused: WeChat Pay issues 2048-bit keys.
pub const MIN_RSA_BITS: u32 = 2048;

/// Signs a message with RSASSA-PKCS1-v1_5 / SHA-256 using the merchant's API key.
pub trait Signer: Send + Sync {
    /// The raw signature bytes (not base64).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

/// Verifies RSASSA-PKCS1-v1_5 / SHA-256 signatures with a WeChat Pay key.
pub trait Verifier: Send + Sync {
    /// True iff `signature` is a valid signature of `message`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

/// The merchant API private key (`apiclient_key.pem`), parsed once.
///
/// Held once, by the backend that signs: `rsa` (zeroized on drop) or, with the `aws-lc`
/// feature, AWS-LC (freed by AWS-LC); `Debug` never prints it.
pub struct MerchantPrivateKey {
    #[cfg(not(feature = "aws-lc"))]
    signing_key: SigningKey<Sha256>,
    #[cfg(feature = "aws-lc")]
    native: aws_lc_rs::rsa::KeyPair,
}

impl MerchantPrivateKey {
    /// Parses a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let (label, der) = decode_pem(pem)?;
        let key = match label.as_str() {
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| {
                Error::invalid_key(format!("PKCS#8 private key is not a usable RSA key ({e})"))
            })?,
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| {
                Error::invalid_key(format!("PKCS#1 private key could not be parsed ({e})"))
            })?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::invalid_key(
                    "encrypted private keys are not supported: decrypt it first (openssl pkcs8 -nocrypt)",
                ));
            }
            other => {
                return Err(Error::invalid_key(format!(
                    "expected a private key PEM (PRIVATE KEY or RSA PRIVATE KEY), got `{other}`"
                )));
            }
        };
        check_size(key.n().bit_width())?;
        #[cfg(not(feature = "aws-lc"))]
        return Ok(MerchantPrivateKey {
            signing_key: SigningKey::new(key),
        });
        #[cfg(feature = "aws-lc")]
        {
            // `rsa` parsed and checked it; AWS-LC takes it over and the `rsa` copy is dropped
            // (and zeroized) here, so the process holds the key once.
            use rsa::pkcs8::EncodePrivateKey;
            let der = key.to_pkcs8_der().map_err(|_| {
                Error::invalid_key("private key could not be re-encoded for AWS-LC")
            })?;
            let native = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.as_bytes()).map_err(|e| {
                Error::invalid_key(format!("AWS-LC rejected the private key ({e})"))
            })?;
            Ok(MerchantPrivateKey { native })
        }
    }
}

impl MerchantPrivateKey {
    /// The key as PKCS#8 DER, for importing into a platform key store (WebCrypto's
    /// `importKey("pkcs8", …)` as a non-extractable key). Zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        #[cfg(not(feature = "aws-lc"))]
        let der = {
            use rsa::pkcs8::EncodePrivateKey;
            self.signing_key
                .as_ref()
                .to_pkcs8_der()
                .map(|doc| doc.as_bytes().to_vec())
        };
        #[cfg(feature = "aws-lc")]
        let der = {
            use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
            AsDer::<Pkcs8V1Der<'static>>::as_der(&self.native).map(|doc| doc.as_ref().to_vec())
        };
        der.map(Zeroizing::new)
            .map_err(|_| Error::invalid_key("private key could not be encoded as PKCS#8"))
    }
}

impl Signer for MerchantPrivateKey {
    #[cfg(not(feature = "aws-lc"))]
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signing_key
            .try_sign(message)
            .map(|s| s.to_vec())
            .map_err(|_| Error::invalid_key("RSA signing failed"))
    }

    #[cfg(feature = "aws-lc")]
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0u8; self.native.public_modulus_len()];
        // PKCS#1 v1.5 is deterministic: AWS-LC ignores the RNG argument for it.
        self.native
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| Error::invalid_key("RSA signing failed"))?;
        Ok(signature)
    }
}

impl fmt::Debug for MerchantPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MerchantPrivateKey(<redacted>)")
    }
}

/// A WeChat Pay verification key: the public key (`PUB_KEY_ID_…`) or a platform certificate's key.
#[derive(Clone)]
pub struct WechatpayPublicKey {
    verifying_key: VerifyingKey<Sha256>,
    /// The same key parsed once by AWS-LC, which verifies when the `aws-lc` feature is on.
    #[cfg(feature = "aws-lc")]
    native: aws_lc_rs::signature::ParsedPublicKey,
}

impl WechatpayPublicKey {
    /// Parses an SPKI (`BEGIN PUBLIC KEY`), PKCS#1 (`BEGIN RSA PUBLIC KEY`) or certificate PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let (label, der) = decode_pem(pem)?;
        let key = match label.as_str() {
            "PUBLIC KEY" => RsaPublicKey::from_public_key_der(&der).map_err(|e| {
                Error::invalid_key(format!("public key is not a usable RSA key ({e})"))
            })?,
            "RSA PUBLIC KEY" => RsaPublicKey::from_pkcs1_der(&der).map_err(|e| {
                Error::invalid_key(format!("PKCS#1 public key could not be parsed ({e})"))
            })?,
            "CERTIFICATE" => return Ok(PlatformCertificate::from_der(&der)?.key),
            other => {
                return Err(Error::invalid_key(format!(
                    "expected a public key or certificate PEM, got `{other}`"
                )));
            }
        };
        Self::from_rsa(key)
    }

    /// Parses SubjectPublicKeyInfo DER (as [`crate::Client::verification_keys`] gives it).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let key = RsaPublicKey::from_public_key_der(der)
            .map_err(|e| Error::invalid_key(format!("public key is not a usable RSA key ({e})")))?;
        Self::from_rsa(key)
    }

    /// The key as SubjectPublicKeyInfo DER (for WebCrypto's `importKey("spki", …)`).
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        use rsa::pkcs8::EncodePublicKey;
        self.verifying_key
            .as_ref()
            .to_public_key_der()
            .map(|der| der.as_bytes().to_vec())
            .map_err(|e| Error::invalid_key(format!("public key could not be encoded ({e})")))
    }

    fn from_rsa(key: RsaPublicKey) -> Result<Self> {
        check_size(key.n().bit_width())?;
        let verifying_key = VerifyingKey::new(key);
        #[cfg(feature = "aws-lc")]
        let native = {
            use rsa::pkcs8::EncodePublicKey;
            let der = verifying_key.as_ref().to_public_key_der().map_err(|e| {
                Error::invalid_key(format!("public key could not be encoded ({e})"))
            })?;
            aws_lc_rs::signature::ParsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                der.as_bytes(),
            )
            .map_err(|e| Error::invalid_key(format!("AWS-LC rejected the public key ({e})")))?
        };
        Ok(WechatpayPublicKey {
            verifying_key,
            #[cfg(feature = "aws-lc")]
            native,
        })
    }
}

impl Verifier for WechatpayPublicKey {
    #[cfg(not(feature = "aws-lc"))]
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match Signature::try_from(signature) {
            Ok(sig) => self.verifying_key.verify(message, &sig).is_ok(),
            Err(_) => false,
        }
    }

    #[cfg(feature = "aws-lc")]
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.native.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for WechatpayPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WechatpayPublicKey(..)")
    }
}

/// A WeChat Pay platform certificate: its serial (as `Wechatpay-Serial` sends it) and its key.
#[derive(Clone, Debug)]
pub struct PlatformCertificate {
    serial_no: String,
    key: WechatpayPublicKey,
    not_before: i64,
    not_after: i64,
}

impl PlatformCertificate {
    /// Parses an X.509 certificate PEM (`BEGIN CERTIFICATE`).
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let (label, der) = decode_pem(pem)?;
        if label != "CERTIFICATE" {
            return Err(Error::invalid_key(format!(
                "expected a certificate PEM (CERTIFICATE), got `{label}`"
            )));
        }
        Self::from_der(&der)
    }

    fn from_der(der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der).map_err(|e| {
            Error::invalid_key(format!("X.509 certificate could not be parsed ({e})"))
        })?;
        let tbs = cert.tbs_certificate();
        let serial_no = serial_hex(tbs.serial_number().as_bytes());
        let spki = tbs.subject_public_key_info().to_der().map_err(|e| {
            Error::invalid_key(format!("certificate public key is malformed ({e})"))
        })?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| {
            Error::invalid_key(format!("certificate key is not a usable RSA key ({e})"))
        })?;
        let validity = tbs.validity();
        let seconds = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(PlatformCertificate {
            serial_no,
            key: WechatpayPublicKey::from_rsa(key)?,
            not_before: seconds(&validity.not_before),
            not_after: seconds(&validity.not_after),
        })
    }

    /// The serial as WeChat Pay writes it: upper-case hex, no sign byte.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> &WechatpayPublicKey {
        &self.key
    }

    /// Start of validity (X.509 notBefore), Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity (X.509 notAfter), Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }
}

/// DER stores a positive serial whose top bit is set with a leading 0x00; WeChat Pay's hex does not.
fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn check_size(bits: u32) -> Result<()> {
    if bits < MIN_RSA_BITS {
        return Err(Error::invalid_key(format!(
            "RSA key is {bits} bits; at least {MIN_RSA_BITS} are required"
        )));
    }
    Ok(())
}

/// Decodes the first PEM block, tolerating text around it and CRLF line ends.
/// Intermediate copies are zeroized, since the block may hold a private key.
fn decode_pem(pem: &[u8]) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| Error::invalid_key("key material is not UTF-8 PEM text"))?;
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| Error::invalid_key("no PEM block found (expected `-----BEGIN …-----`)"))?;
    let (_, block) = text.split_at(start);
    // Keep only up to the matching END line so trailing text or further blocks are ignored.
    let (head, after_end) = block
        .split_once("-----END ")
        .ok_or_else(|| Error::invalid_key("PEM block has no END line"))?;
    let (label, _) = after_end
        .split_once("-----")
        .ok_or_else(|| Error::invalid_key("PEM block has no END line"))?;
    let block = Zeroizing::new(format!("{head}-----END {label}-----").replace("\r\n", "\n"));
    let (label, der) = x509_cert::der::pem::decode_vec(block.as_bytes())
        .map_err(|e| Error::invalid_key(format!("PEM could not be decoded ({e})")))?;
    Ok((label.to_owned(), Zeroizing::new(der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_strips_der_sign_byte_only() {
        assert_eq!(serial_hex(&[0x00, 0xB1, 0xA2]), "B1A2");
        assert_eq!(serial_hex(&[0x5D, 0x0A]), "5D0A");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn pem_that_is_not_utf8_is_an_invalid_key() {
        let err = MerchantPrivateKey::from_pem(&[0xff, 0xfe, 0x00]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidKey);
    }

    #[test]
    fn text_without_pem_block_is_an_invalid_key() {
        let err = WechatpayPublicKey::from_pem(b"MIIBIjANBgkq").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidKey);
    }
}
