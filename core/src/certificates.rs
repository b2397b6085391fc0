//! Platform certificates over their whole life, without I/O: the signed download request, the
//! decrypted and verified answer, replacing the client's certificates at run time, and a pure
//! refresh policy the host's timer asks.
//!
//! Trust: each certificate arrives encrypted with the merchant's APIv3 key (AEAD_AES_256_GCM,
//! associated data `certificate`), so the GCM tag under a key only the merchant and WeChat Pay
//! hold is what authenticates the list. The response signature is then checked with a
//! certificate from the list itself or one already trusted (decrypt, then verify), so a first
//! download needs no certificate in advance.

use serde::{Deserialize, Serialize};

use crate::catalog::{Host, decode_json_as};
use crate::client::Client;
use crate::crypto::PlatformCertificate;
use crate::error::{Error, ErrorKind, Result};
use crate::notification::{EncryptedResource, open_sealed};
use crate::prepare::{Stamp, Target};
use crate::request::{Method, UnsignedRequest};
use crate::verify::{self, VerificationKey};
use crate::verify::{HeaderPair, signed_headers};

/// WeChat Pay asks merchants to download at least this often (12 h).
pub const REFRESH_INTERVAL_SECS: i64 = 12 * 3600;
/// A certificate expiring within this window (24 h, the overlap WeChat Pay gives) makes a
/// download due.
pub const EXPIRY_WINDOW_SECS: i64 = 24 * 3600;
/// At most one download a minute for unknown serials or expiring certificates, so a forged
/// `Wechatpay-Serial` cannot make the host hammer the endpoint.
pub const MIN_RETRY_SECS: i64 = 60;

/// One downloaded, decrypted platform certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DownloadedCertificate {
    /// The serial, as `Wechatpay-Serial` carries it.
    pub serial_no: String,
    /// X.509 notBefore, Unix seconds.
    pub not_before: i64,
    /// X.509 notAfter, Unix seconds.
    pub not_after: i64,
    /// The certificate PEM, to store or hand to another client.
    pub pem: String,
}

/// The verified result of a certificate download: the certificates valid at the host's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CertificateSet {
    /// In the order WeChat Pay listed them.
    pub certificates: Vec<DownloadedCertificate>,
}

/// What the refresh policy remembers between calls.
#[derive(Debug, Default)]
pub(crate) struct RefreshState {
    pub(crate) last_download: Option<i64>,
    pub(crate) unknown_serial_seen: bool,
}

#[derive(Deserialize)]
struct Listing {
    data: Vec<ListedCertificate>,
}

#[derive(Deserialize)]
struct ListedCertificate {
    serial_no: String,
    encrypt_certificate: EncryptedResource,
}

fn same_serial(a: &str, b: &str) -> bool {
    a.trim_start_matches('0')
        .eq_ignore_ascii_case(b.trim_start_matches('0'))
}

impl Client {
    /// The download request for sign-it-yourself hosts: `GET /v3/certificates?algorithm_type=RSA`
    /// on the main host, or `GET /v3/global/certificates` on the cross-border host. Sign it
    /// with [`Client::sign`] and send it like any request.
    pub fn unsigned_certificates(
        &self,
        host: Host,
        timestamp: i64,
        nonce: &str,
    ) -> Result<UnsignedRequest> {
        let query = [("algorithm_type".to_owned(), "RSA".to_owned())];
        let (origin, template, query): (&str, &str, &[(String, String)]) = match host {
            Host::Api => (&self.api_origin, "/v3/certificates", &query),
            Host::Global => (&self.global_origin, "/v3/global/certificates", &[]),
        };
        let target = Target {
            operation: None,
            method: Method::Get,
            origin,
            template,
            path_params: std::iter::empty::<(&str, &str)>(),
            query,
            body: None,
        };
        self.assemble(target, Stamp { timestamp, nonce })
    }

    /// Decrypts and verifies a certificate download (see the module docs for why this order is
    /// safe) and returns the certificates valid at `now`. It does not change the client: pass
    /// the set to [`Client::update_certificates`].
    pub fn parse_certificates(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<CertificateSet> {
        let headers = signed_headers(headers);
        if !(200..300).contains(&status) {
            return Err(verify::api_error(status, body, headers.request_id));
        }
        let key = self.apiv3()?;
        let listing: Listing = decode_json_as(body, "the certificate download")?;
        let mut downloaded = Vec::with_capacity(listing.data.len());
        for listed in &listing.data {
            let pem = open_sealed(key, &listed.encrypt_certificate, "certificate")?;
            let cert = PlatformCertificate::from_pem(&pem).map_err(|e| {
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "a downloaded certificate is not a usable X.509 certificate ({})",
                        e.message()
                    ),
                )
            })?;
            if !same_serial(cert.serial_no(), &listed.serial_no) {
                return Err(Error::new(
                    ErrorKind::Decode,
                    format!(
                        "a downloaded certificate's own serial `{}` differs from its serial_no: the list is not trustworthy",
                        cert.serial_no()
                    ),
                )
                .with_serial(cert.serial_no()));
            }
            downloaded.push((cert, String::from_utf8_lossy(&pem).into_owned()));
        }
        let valid: Vec<_> = downloaded
            .into_iter()
            .filter(|(cert, _)| (cert.not_before()..=cert.not_after()).contains(&now))
            .collect();
        // Verify with the current keys plus the freshly decrypted ones.
        let candidates = valid
            .iter()
            .map(|(cert, _)| VerificationKey::from_certificate(cert))
            .collect::<Result<Vec<_>>>()?;
        let mut trusted = (*self.trusted()).clone();
        for key in candidates {
            trusted.push_unique(key);
        }
        let pending = trusted.begin(headers, body)?;
        let signature_valid = pending.check_signature();
        verify::finish(pending, signature_valid, now)?;
        Ok(CertificateSet {
            certificates: valid
                .into_iter()
                .map(|(cert, pem)| DownloadedCertificate {
                    serial_no: cert.serial_no().to_owned(),
                    not_before: cert.not_before(),
                    not_after: cert.not_after(),
                    pem,
                })
                .collect(),
        })
    }

    /// Replaces the client's platform certificates with `set` (the WeChat Pay public key, if
    /// configured, stays), safely while other threads verify, and records the download time
    /// for [`Client::certificates_refresh_due`]. Responses that failed with `unknown_serial`
    /// can then be verified again from the same bytes.
    pub fn update_certificates(&self, set: &CertificateSet, now: i64) -> Result<()> {
        let keys = set
            .certificates
            .iter()
            .map(|c| {
                PlatformCertificate::from_pem(c.pem.as_bytes())
                    .and_then(|cert| VerificationKey::from_certificate(&cert))
                    .map_err(|e| e.with_field("certificates"))
            })
            .collect::<Result<Vec<_>>>()?;
        let next = self.trusted().with_certificates(keys);
        if next.is_empty() {
            return Err(Error::invalid_input(
                "certificates",
                "the set is empty and no public key is configured: nothing could be verified",
            ));
        }
        *self
            .trusted
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(next);
        let mut state = self
            .refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.last_download = Some(now);
        state.unknown_serial_seen = false;
        Ok(())
    }

    /// `(serial, not_after)` of every platform certificate the client holds.
    pub fn certificates(&self) -> Vec<(String, i64)> {
        self.trusted().certificate_validity()
    }

    /// Whether the host should download certificates now: never downloaded (unless the client
    /// verifies with the public key alone), 12 h since the last download, a certificate expiring
    /// within 24 h, or an unknown serial seen — the last two at most once a minute.
    pub fn certificates_refresh_due(&self, now: i64) -> bool {
        let trusted = self.trusted();
        let state = self
            .refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(last) = state.last_download else {
            return state.unknown_serial_seen
                || !trusted.has_public_key()
                || !trusted.certificate_validity().is_empty();
        };
        let since = now.saturating_sub(last);
        if since >= REFRESH_INTERVAL_SECS {
            return true;
        }
        let expiring = trusted
            .certificate_validity()
            .iter()
            .any(|(_, not_after)| not_after.saturating_sub(now) <= EXPIRY_WINDOW_SECS);
        since >= MIN_RETRY_SECS && (state.unknown_serial_seen || expiring)
    }
}
