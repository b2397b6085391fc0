//! Client configuration — the one definition every binding builds its constructor from — and
//! the key loading it leads to.
//!
//! `ClientConfig` deserialises from a plain map (Python keyword arguments, a JS options object;
//! field names snake_case) and is a uniffi record, so a new option is one field here plus its
//! docs. Unknown options are refused with the option named.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::catalog::Host;
use crate::crypto::{MerchantPrivateKey, PlatformCertificate, Signer, WechatpayPublicKey};
use crate::error::{Error, Result};
use crate::url;
use crate::verify::{PUBLIC_KEY_ID_PREFIX, TrustedKeys, VerificationKey};

/// Key material as given: PEM text or the bytes of a key file, zeroized on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyMaterial(Zeroizing<Vec<u8>>);

impl KeyMaterial {
    /// The bytes as given.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for KeyMaterial {
    fn from(bytes: Vec<u8>) -> Self {
        KeyMaterial(Zeroizing::new(bytes))
    }
}

impl From<&[u8]> for KeyMaterial {
    fn from(bytes: &[u8]) -> Self {
        KeyMaterial(Zeroizing::new(bytes.to_vec()))
    }
}

impl From<String> for KeyMaterial {
    fn from(text: String) -> Self {
        KeyMaterial(Zeroizing::new(text.into_bytes()))
    }
}

impl From<&str> for KeyMaterial {
    fn from(text: &str) -> Self {
        KeyMaterial::from(text.as_bytes())
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for KeyMaterial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyMaterial;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text or bytes")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<KeyMaterial, E> {
                Ok(KeyMaterial::from(v))
            }
            fn visit_bytes<E: serde::de::Error>(
                self,
                v: &[u8],
            ) -> std::result::Result<KeyMaterial, E> {
                Ok(KeyMaterial::from(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<KeyMaterial, A::Error> {
                let mut bytes = Zeroizing::new(Vec::new());
                while let Some(byte) = seq.next_element::<u8>()? {
                    bytes.push(byte);
                }
                Ok(KeyMaterial(bytes))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(feature = "uniffi")]
uniffi::custom_type!(KeyMaterial, String, {
    lower: |key| String::from_utf8_lossy(key.as_bytes()).into_owned(),
    try_lift: |text| Ok(KeyMaterial::from(text)),
});

/// Everything a [`crate::Client`] needs. Python takes these as keyword arguments, JS as an
/// options object (camelCase), Kotlin and Swift as a record; key material is PEM text (or the
/// file's bytes where the language has bytes).
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ClientConfig {
    /// 商户号 of the merchant or service provider making the call.
    pub mchid: String,
    /// Serial number of the merchant API certificate (`serial_no` in `Authorization`).
    pub serial_no: String,
    /// Merchant API private key (`apiclient_key.pem`, PKCS#8 or PKCS#1). Leave it out when the
    /// host signs (KMS, HSM, WebCrypto) through the unsigned requests.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub private_key: Option<KeyMaterial>,
    /// WeChat Pay public key id, `PUB_KEY_ID_…`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub wechatpay_public_key_id: Option<String>,
    /// WeChat Pay public key (SPKI PEM) matching `wechatpay_public_key_id`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub wechatpay_public_key: Option<KeyMaterial>,
    /// Platform certificates (X.509 PEM; the older verification mode; several during rotation).
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub platform_certificates: Vec<KeyMaterial>,
    /// The merchant's APIv3 key (32 bytes), which decrypts notifications and certificate
    /// downloads. Not needed for terminate calls.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub apiv3_key: Option<KeyMaterial>,
    /// Replaces `https://api.mch.weixin.qq.com` (e.g. the backup `https://api2.mch.weixin.qq.com` or a sandbox).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub base_url: Option<String>,
    /// Replaces `https://apihk.mch.weixin.qq.com` for cross-border endpoints.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub global_base_url: Option<String>,
    /// Names the language package in `User-Agent`, e.g. `python/3.11`; set by the bindings,
    /// `rust` when unset.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_agent_platform: Option<String>,
    /// Appended to `User-Agent`, e.g. your application's name and version.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_agent_suffix: Option<String>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("private_key", &self.private_key)
            .field("wechatpay_public_key_id", &self.wechatpay_public_key_id)
            .field("platform_certificates", &self.platform_certificates.len())
            .field("apiv3_key", &self.apiv3_key)
            .field("base_url", &self.base_url)
            .field("global_base_url", &self.global_base_url)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A configuration from a JSON object of option names (what the bindings receive).
    pub fn from_json(mut options: serde_json::Value) -> Result<ClientConfig> {
        // A binding's None/undefined means "not given".
        if let serde_json::Value::Object(map) = &mut options {
            map.retain(|_, v| !v.is_null());
        }
        serde_path_to_error::deserialize(options).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            // serde names an unknown option in its message; nothing here quotes a value.
            if let Some(unknown) = inner
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
            {
                Error::invalid_input(unknown, format!("`{unknown}` is not a client option"))
            } else {
                let field = if path == "." {
                    "config".to_owned()
                } else {
                    path
                };
                let what = if inner.starts_with("invalid type") {
                    "has the wrong type"
                } else {
                    "is malformed"
                };
                Error::invalid_input(field.clone(), format!("client option `{field}` {what}"))
            }
        })
    }
}

/// The APIv3 key, checked to be exactly the 32 bytes AES-256 needs.
#[derive(Clone)]
pub(crate) struct Apiv3Key(pub(crate) Zeroizing<[u8; 32]>);

/// What a configuration loads into: parsed keys, origins and the `User-Agent`.
pub(crate) struct Loaded {
    pub(crate) signer: Option<Arc<dyn Signer>>,
    pub(crate) trusted: TrustedKeys,
    pub(crate) apiv3_key: Option<Apiv3Key>,
    pub(crate) api_origin: String,
    pub(crate) global_origin: String,
    pub(crate) user_agent: String,
}

pub(crate) fn load(config: &ClientConfig) -> Result<Loaded> {
    if config.mchid.is_empty() || !config.mchid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_input(
            "mchid",
            "mchid must be the merchant number (digits)",
        ));
    }
    if config.serial_no.is_empty() || !config.serial_no.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid_input(
            "serial_no",
            "serial_no must be the merchant API certificate serial (hex)",
        ));
    }
    let signer = match &config.private_key {
        Some(pem) => Some(Arc::new(
            MerchantPrivateKey::from_pem(pem.as_bytes())
                .map_err(|e| e.with_field("private_key"))?,
        ) as Arc<dyn Signer>),
        None => None,
    };
    let trusted = trusted_keys(config)?;
    let apiv3_key = config.apiv3_key.as_ref().map(apiv3_key).transpose()?;
    let origin = |field: &str, value: &Option<String>, host: Host| match value {
        Some(url) => url::normalize_origin(field, url),
        None => Ok(host.default_origin().to_owned()),
    };
    Ok(Loaded {
        signer,
        trusted,
        apiv3_key,
        api_origin: origin("base_url", &config.base_url, Host::Api)?,
        global_origin: origin("global_base_url", &config.global_base_url, Host::Global)?,
        user_agent: user_agent(config)?,
    })
}

fn trusted_keys(config: &ClientConfig) -> Result<TrustedKeys> {
    let mut trusted = TrustedKeys::default();
    match (
        &config.wechatpay_public_key_id,
        &config.wechatpay_public_key,
    ) {
        (Some(id), Some(pem)) => {
            let valid_id = id.strip_prefix(PUBLIC_KEY_ID_PREFIX).is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
            if !valid_id {
                return Err(Error::invalid_input(
                    "wechatpay_public_key_id",
                    "wechatpay_public_key_id must look like PUB_KEY_ID_0114232134912410000000000000",
                ));
            }
            let key = WechatpayPublicKey::from_pem(pem.as_bytes())
                .map_err(|e| e.with_field("wechatpay_public_key"))?;
            let spki_der = key.spki_der()?;
            trusted.push_unique(VerificationKey {
                serial: id.clone(),
                is_public_key: true,
                key: Arc::new(key),
                spki_der,
                validity: None,
            });
        }
        (Some(_), None) => {
            return Err(Error::invalid_input(
                "wechatpay_public_key",
                "wechatpay_public_key_id is set but wechatpay_public_key is missing",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::invalid_input(
                "wechatpay_public_key_id",
                "wechatpay_public_key is set but wechatpay_public_key_id is missing",
            ));
        }
        (None, None) => {}
    }
    for pem in &config.platform_certificates {
        let cert = PlatformCertificate::from_pem(pem.as_bytes())
            .map_err(|e| e.with_field("platform_certificates"))?;
        trusted.push_unique(VerificationKey::from_certificate(&cert)?);
    }
    if trusted.is_empty() {
        return Err(Error::invalid_input(
            "wechatpay_public_key",
            "configure the WeChat Pay public key (and its id) or platform certificates: responses cannot be verified without one",
        ));
    }
    Ok(trusted)
}

fn apiv3_key(key: &KeyMaterial) -> Result<Apiv3Key> {
    let bytes: [u8; 32] = key.as_bytes().try_into().map_err(|_| {
        Error::invalid_key(format!(
            "apiv3_key must be the 32-byte APIv3 key from the merchant platform (got {} bytes)",
            key.as_bytes().len()
        ))
        .with_field("apiv3_key")
    })?;
    Ok(Apiv3Key(Zeroizing::new(bytes)))
}

fn user_agent(config: &ClientConfig) -> Result<String> {
    let mut user_agent = format!(
        "wxpay-terminate/{} ({})",
        env!("CARGO_PKG_VERSION"),
        config.user_agent_platform.as_deref().unwrap_or("rust")
    );
    if let Some(suffix) = &config.user_agent_suffix {
        user_agent.push(' ');
        user_agent.push_str(suffix);
    }
    if user_agent.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::invalid_input(
            "user_agent_suffix",
            "User-Agent parts must be printable ASCII",
        ));
    }
    Ok(user_agent)
}
