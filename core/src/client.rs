//! The client: a loaded configuration plus the entry points that verify and decode what
//! WeChat Pay sends back. Building requests is in `prepare.rs`, the verification rules in
//! `verify.rs`, configuration in `config.rs`. No I/O anywhere: time and nonce are arguments.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;

use crate::catalog::{self, Operation, ResponseBody};
use crate::config::{self, Apiv3Key, ClientConfig};
use crate::crypto::Signer;
use crate::error::{ErrorKind, Result};
use crate::verify::{
    self, HeaderPair, PendingVerification, SignedHeaders, TrustedKeys, signed_headers,
};

/// A configured merchant. Cheap to share across threads; keys are parsed once here.
pub struct Client {
    pub(crate) mchid: String,
    pub(crate) serial_no: String,
    pub(crate) signer: Option<Arc<dyn Signer>>,
    pub(crate) public_key_id: Option<String>,
    /// Swapped whole by certificate updates; readers take a snapshot, so a verification in
    /// flight keeps the keys it started with.
    pub(crate) trusted: RwLock<Arc<TrustedKeys>>,
    pub(crate) refresh: Mutex<crate::certificates::RefreshState>,
    pub(crate) apiv3_key: Option<Apiv3Key>,
    pub(crate) api_origin: String,
    pub(crate) global_origin: String,
    pub(crate) user_agent: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("has_private_key", &self.signer.is_some())
            .field("has_apiv3_key", &self.apiv3_key.is_some())
            .field("verification_serials", &self.verification_serials())
            .field("api_origin", &self.api_origin)
            .field("global_origin", &self.global_origin)
            .finish_non_exhaustive()
    }
}

/// A verified, decoded success.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed<T> {
    /// HTTP status (200 or 204).
    pub status: u16,
    /// `Request-ID`, for support tickets.
    pub request_id: Option<String>,
    /// The typed result; [`catalog::NoContent`] (JSON `null`) for 204 endpoints.
    pub data: T,
}

impl Client {
    /// Parses and checks the configuration. Fails with `InvalidInput` or `InvalidKey`.
    pub fn new(config: &ClientConfig) -> Result<Client> {
        let loaded = config::load(config)?;
        Ok(Client {
            mchid: config.mchid.clone(),
            serial_no: config.serial_no.clone(),
            signer: loaded.signer,
            public_key_id: config.wechatpay_public_key_id.clone(),
            trusted: RwLock::new(Arc::new(loaded.trusted)),
            refresh: Mutex::default(),
            apiv3_key: loaded.apiv3_key,
            api_origin: loaded.api_origin,
            global_origin: loaded.global_origin,
            user_agent: loaded.user_agent,
        })
    }

    /// Replaces the signer (a KMS, an HSM, another backend) while keeping the config.
    pub fn with_signer(mut self, signer: Arc<dyn Signer>) -> Client {
        self.signer = Some(signer);
        self
    }

    /// The `Wechatpay-Serial` values this client can verify: public key id and certificate serials.
    pub fn verification_serials(&self) -> Vec<String> {
        self.trusted()
            .serials()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Each verification key as `(serial, SubjectPublicKeyInfo DER)`, for hosts that verify
    /// with their own crypto.
    pub fn verification_keys(&self) -> Vec<(String, Vec<u8>)> {
        self.trusted()
            .spki()
            .into_iter()
            .map(|(serial, der)| (serial.to_owned(), der.to_vec()))
            .collect()
    }

    /// The current snapshot of trusted keys.
    pub(crate) fn trusted(&self) -> Arc<TrustedKeys> {
        self.trusted
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every check but RSA on a signed message; an unknown serial is remembered for the
    /// certificate refresh policy.
    pub(crate) fn begin_signed(
        &self,
        headers: SignedHeaders,
        body: &[u8],
    ) -> Result<PendingVerification> {
        let result = self.trusted().begin(headers, body);
        if let Err(e) = &result
            && e.kind() == ErrorKind::UnknownSerial
        {
            self.refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .unknown_serial_seen = true;
        }
        result
    }

    /// Panics, on purpose: the bindings' tests call it to show that a panic inside the core
    /// comes back as the package's base error class and leaves the client usable, never
    /// aborting the host process. Not for use outside tests.
    #[doc(hidden)]
    #[allow(clippy::panic)] // the point of the hook
    pub fn panic_for_test(&self) -> Result<()> {
        panic!("wxpay-terminate test hook: a deliberate panic inside the core");
    }

    /// The `User-Agent` every request carries.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    // ---- responses ---------------------------------------------------------------------

    /// Checks status and signature. On a 2xx returns the `Request-ID`; anything else is an error.
    pub fn verify(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Option<String>> {
        let pending = self.begin_verification(status, headers, body)?;
        let valid = pending.check_signature();
        verify::finish(pending, valid, now)
    }

    /// Verifies a response and decodes a typed operation's result.
    pub fn parse<O: Operation>(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<O::Output>> {
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: O::Output::decode(body)?,
        })
    }

    /// Verifies a response and decodes it into the typed result enum of the operation named
    /// by its id.
    pub fn parse_any(
        &self,
        operation_id: &str,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<catalog::AnyOutput>> {
        let entry = catalog::lookup(operation_id)?;
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: (entry.decode_output)(body)?,
        })
    }

    /// Verifies a response and decodes it for the operation named by its id, as JSON with
    /// absent optional fields left out; `None` (a generic call) returns the raw JSON body
    /// (`null` when empty). What the bindings call.
    pub fn parse_by_id(
        &self,
        operation_id: Option<&str>,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<serde_json::Value>> {
        self.parse_by_id_with(
            operation_id,
            status,
            headers,
            body,
            now,
            catalog::decode_with,
        )
    }

    /// [`Client::parse_by_id`] with `data` as JSON text (the same JSON), for hosts that parse
    /// JSON natively: written straight from the typed result, without a `serde_json::Value`.
    pub fn parse_by_id_text(
        &self,
        operation_id: Option<&str>,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Parsed<String>> {
        self.parse_by_id_with(
            operation_id,
            status,
            headers,
            body,
            now,
            catalog::decode_text_with,
        )
    }

    fn parse_by_id_with<T>(
        &self,
        operation_id: Option<&str>,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
        decode: impl FnOnce(Option<&catalog::OperationEntry>, &[u8]) -> Result<T>,
    ) -> Result<Parsed<T>> {
        // An unknown id is the caller's mistake, whatever the response says.
        let entry = operation_id.map(catalog::lookup).transpose()?;
        let request_id = self.verify(status, headers, body, now)?;
        Ok(Parsed {
            status,
            request_id,
            data: decode(entry, body)?,
        })
    }

    /// Two-phase verification for hosts that verify with their own crypto (WebCrypto): every
    /// check but the RSA one. Non-2xx answers, missing headers, probes and unknown serials fail
    /// here; on success, verify [`PendingVerification::signature`] over
    /// [`PendingVerification::message`] with the key of [`PendingVerification::serial`] (see
    /// [`Client::verification_keys`]) and pass the outcome to [`Client::finish_verification`].
    pub fn begin_verification(
        &self,
        status: u16,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
    ) -> Result<PendingVerification> {
        let headers = signed_headers(headers);
        if !(200..300).contains(&status) {
            return Err(verify::api_error(status, body, headers.request_id));
        }
        self.begin_signed(headers, body)
    }

    /// Completes [`Client::begin_verification`] with the outcome of the RSA check, then checks
    /// the clock. Returns the `Request-ID`.
    pub fn finish_verification(
        &self,
        pending: PendingVerification,
        signature_valid: bool,
        now: i64,
    ) -> Result<Option<String>> {
        verify::finish(pending, signature_valid, now)
    }
}

/// Decodes a verified body for the operation named by its id (as [`Client::parse_by_id`] does),
/// for hosts that verified through [`Client::begin_verification`].
pub fn decode_by_id(operation_id: Option<&str>, body: &[u8]) -> Result<serde_json::Value> {
    let entry = operation_id.map(catalog::lookup).transpose()?;
    catalog::decode_with(entry, body)
}

/// [`decode_by_id`] as JSON text (the same JSON), for hosts that parse JSON natively.
pub fn decode_text_by_id(operation_id: Option<&str>, body: &[u8]) -> Result<String> {
    let entry = operation_id.map(catalog::lookup).transpose()?;
    catalog::decode_text_with(entry, body)
}
