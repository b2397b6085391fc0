//! Notifications (回调通知) WeChat Pay POSTs to the merchant's `notify_url`: verified like a
//! response, decrypted with the APIv3 key, typed by `event_type`, and the reply to send back.
//! See `docs/notifications.md`. No I/O: the host passes the raw headers and body bytes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::catalog::decode_json_as;
use crate::client::Client;
use crate::config::Apiv3Key;
use crate::error::{Error, ErrorKind, Result};
use crate::request::Header;
use crate::verify::{self, PendingVerification};
use crate::verify::{HeaderPair, signed_headers};

pub mod events;
pub use events::*;

/// The only resource encryption APIv3 uses.
pub const AEAD_AES_256_GCM: &str = "AEAD_AES_256_GCM";
/// `resource_type` of every APIv3 notification.
pub const ENCRYPT_RESOURCE: &str = "encrypt-resource";
const TAG_LEN: usize = 16;

macro_rules! termination_events {
    ($($event_type:literal => $ty:ident),* $(,)?) => {
        /// The decrypted `resource` of a notification: one variant per termination event,
        /// `Other` for any other event type (sign events, payments, …) with its plaintext JSON.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[allow(missing_docs)]
        // One value per notification, moved once: boxing would only add an allocation, and
        // uniffi records cannot hold boxes.
        #[allow(clippy::large_enum_variant)]
        pub enum NotificationResource {
            $($ty($ty),)*
            /// An event type this library does not type: the plaintext as JSON text.
            Other { plaintext_json: String },
        }

        /// Every termination event type with the name of its typed resource, in table order.
        pub const TERMINATION_EVENTS: &[(&str, &str)] = &[$(($event_type, stringify!($ty))),*];

        fn decode_resource(event_type: &str, plaintext: &[u8]) -> Result<NotificationResource> {
            match event_type {
                $($event_type => decode_json_as::<$ty>(plaintext, "the notification resource")
                    .map(NotificationResource::$ty),)*
                _ => {
                    // Not typed, but still JSON: checked so bindings can hand out an object.
                    decode_json_as::<serde::de::IgnoredAny>(plaintext, "the notification resource")?;
                    // serde_json skips ignored strings without checking their UTF-8 (found by fuzzing).
                    let text = std::str::from_utf8(plaintext).map_err(|_| {
                        Error::new(ErrorKind::Decode, "the notification resource is not UTF-8")
                    })?;
                    Ok(NotificationResource::Other {
                        plaintext_json: text.to_owned(),
                    })
                }
            }
        }

        impl NotificationResource {
            /// The resource as JSON: typed fields with absent ones left out, or the plaintext.
            pub fn to_json(&self) -> serde_json::Value {
                let mut value = match self {
                    $(NotificationResource::$ty(event) => serde_json::to_value(event).unwrap_or_default(),)*
                    NotificationResource::Other { plaintext_json } => {
                        return serde_json::from_str(plaintext_json).unwrap_or_default();
                    }
                };
                crate::catalog::drop_nulls(&mut value);
                value
            }

            /// [`NotificationResource::to_json`] as JSON text, written straight from the typed
            /// event (the plaintext as it came for `Other`).
            pub fn to_json_text(&self) -> String {
                let mut text = Vec::with_capacity(256);
                self.write_json_text(&mut text);
                crate::json_text::into_text(text)
            }

            /// [`NotificationResource::to_json_text`], appended to `out`.
            fn write_json_text(&self, out: &mut Vec<u8>) {
                match self {
                    $(NotificationResource::$ty(event) => crate::json_text::write_without_nulls(event, out),)*
                    NotificationResource::Other { plaintext_json } => out.extend_from_slice(plaintext_json.as_bytes()),
                }
            }
        }

        /// JSON Schemas of the typed resources, for the bindings' stub generators.
        #[cfg(feature = "schema")]
        pub(crate) fn resource_schemas(generator: &mut schemars::SchemaGenerator) -> Vec<serde_json::Value> {
            vec![$(serde_json::json!({
                "event_type": $event_type,
                "type": stringify!($ty),
                "schema": generator.subschema_for::<$ty>().to_value(),
            })),*]
        }
    };
}

termination_events! {
    "ENTRUST.TERMINATE" => PapayTerminated,
    "INSURANCE_ENTRUST.TERMINATE" => InsuranceTerminated,
    "ECOMMERCE_ENTRUST.TERMINATE" => CombinePapayTerminated,
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT" => CreditRepaymentTerminated,
    "PAPAY.TERMINATE" => GlobalPapayTerminated,
    "ENTRUST.RELEASE" => EduPapayReleased,
    "PAYSCORE.USER_CLOSE_SERVICE" => PayscoreServiceClosed,
    "FACEPAY.USER_STATE_CHANGE" => FacepayUserStateChanged,
    "MCHTRANSFER.AUTHORIZATION.CLOSED" => TransferAuthorizationClosed,
    "WEBIZPAY.REVOKED" => WebizpayRevoked,
}

/// A verified, decrypted notification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notification {
    /// The notification id: de-duplicate on it, WeChat Pay re-delivers.
    pub id: String,
    /// As sent (usually RFC 3339 with +08:00; not always).
    pub create_time: String,
    /// e.g. `ENTRUST.TERMINATE`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: String,
    /// WeChat Pay's short description, if any.
    pub summary: Option<String>,
    /// `resource.original_type`, if any.
    pub original_type: Option<String>,
    /// The typed plaintext.
    pub resource: NotificationResource,
}

impl Notification {
    /// The notification as JSON (`docs/notifications.md`), what Python and JS receive.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("id".into(), self.id.clone().into());
        object.insert("create_time".into(), self.create_time.clone().into());
        object.insert("event_type".into(), self.event_type.clone().into());
        object.insert("resource_type".into(), self.resource_type.clone().into());
        if let Some(summary) = &self.summary {
            object.insert("summary".into(), summary.clone().into());
        }
        if let Some(original_type) = &self.original_type {
            object.insert("original_type".into(), original_type.clone().into());
        }
        object.insert("resource".into(), self.resource.to_json());
        serde_json::Value::Object(object)
    }

    /// [`Notification::to_json`] as JSON text (the same JSON), for hosts that parse JSON natively.
    pub fn to_json_text(&self) -> String {
        #[derive(Serialize)]
        struct Envelope<'a> {
            id: &'a str,
            create_time: &'a str,
            event_type: &'a str,
            resource_type: &'a str,
            summary: Option<&'a str>,
            original_type: Option<&'a str>,
        }
        let mut text = Vec::with_capacity(512);
        crate::json_text::write_without_nulls(
            &Envelope {
                id: &self.id,
                create_time: &self.create_time,
                event_type: &self.event_type,
                resource_type: &self.resource_type,
                summary: self.summary.as_deref(),
                original_type: self.original_type.as_deref(),
            },
            &mut text,
        );
        // `{"id":…}` becomes `{"id":…,"resource":…}`, the resource written in place.
        text.pop();
        text.extend_from_slice(b",\"resource\":");
        self.resource.write_json_text(&mut text);
        text.push(b'}');
        crate::json_text::into_text(text)
    }

    /// Rebuilds a notification from its [`Notification::to_json`] form, as bindings hand it
    /// back (e.g. to [`crate::Termination::on_notification`]). The resource is typed again by
    /// its event type; nothing is verified here (it was when it was parsed).
    pub fn from_json(value: &serde_json::Value) -> Result<Notification> {
        #[derive(Deserialize)]
        struct Parts {
            id: String,
            create_time: String,
            event_type: String,
            resource_type: String,
            summary: Option<String>,
            original_type: Option<String>,
            resource: serde_json::Value,
        }
        let parts = Parts::deserialize(value).map_err(|_| {
            Error::invalid_input(
                "notification",
                "not a parsed notification: id, create_time, event_type, resource_type and resource are needed",
            )
        })?;
        let plaintext = serde_json::to_vec(&parts.resource)
            .map_err(|_| Error::invalid_input("notification", "the resource is not JSON"))?;
        Ok(Notification {
            resource: decode_resource(&parts.event_type, &plaintext)?,
            id: parts.id,
            create_time: parts.create_time,
            event_type: parts.event_type,
            resource_type: parts.resource_type,
            summary: parts.summary,
            original_type: parts.original_type,
        })
    }
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    create_time: String,
    event_type: String,
    resource_type: String,
    summary: Option<String>,
    resource: EncryptedResource,
}

/// An `AEAD_AES_256_GCM` object of notifications (`resource`) and certificate downloads
/// (`encrypt_certificate`).
#[derive(Deserialize)]
pub(crate) struct EncryptedResource {
    algorithm: String,
    ciphertext: String,
    nonce: String,
    associated_data: Option<String>,
    original_type: Option<String>,
}

impl Client {
    /// Verifies, decrypts and types a notification from the raw request headers and body bytes
    /// (never a re-serialised body: the signature covers the exact bytes).
    pub fn parse_notification(
        &self,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
        now: i64,
    ) -> Result<Notification> {
        let pending = self.begin_notification(headers, body)?;
        let valid = pending.check_signature();
        self.finish_notification(pending, valid, body, now)
    }

    /// Two-phase form of [`Client::parse_notification`] for hosts that verify RSA with their
    /// own crypto; see [`Client::begin_verification`].
    pub fn begin_notification(
        &self,
        headers: impl IntoIterator<Item = impl HeaderPair>,
        body: &[u8],
    ) -> Result<PendingVerification> {
        self.apiv3()?;
        self.begin_signed(signed_headers(headers), body)
    }

    /// Completes [`Client::begin_notification`] with the RSA outcome: checks the clock, then
    /// decrypts and types the body.
    pub fn finish_notification(
        &self,
        pending: PendingVerification,
        signature_valid: bool,
        body: &[u8],
        now: i64,
    ) -> Result<Notification> {
        verify::finish(pending, signature_valid, now)?;
        let envelope: Envelope = decode_json_as(body, "the notification envelope")?;
        if envelope.resource_type != ENCRYPT_RESOURCE {
            return Err(Error::new(
                ErrorKind::Decode,
                "the notification's resource_type is not encrypt-resource",
            ));
        }
        let plaintext = decrypt(self.apiv3()?, &envelope.resource)?;
        Ok(Notification {
            resource: decode_resource(&envelope.event_type, &plaintext)?,
            id: envelope.id,
            create_time: envelope.create_time,
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            original_type: envelope.resource.original_type,
        })
    }

    pub(crate) fn apiv3(&self) -> Result<&Apiv3Key> {
        self.apiv3_key.as_ref().ok_or_else(|| {
            Error::invalid_key(
                "no APIv3 key is configured: notifications are encrypted with it (apiv3_key)",
            )
            .with_field("apiv3_key")
        })
    }
}

/// `AEAD_AES_256_GCM` with the APIv3 key; `nonce` and `associated_data` are used as their bytes.
fn decrypt(key: &Apiv3Key, resource: &EncryptedResource) -> Result<Vec<u8>> {
    open_sealed(key, resource, "notification")
}

/// Opens AEAD_AES_256_GCM with the APIv3 key; `what` names the thing in error messages.
pub(crate) fn open_sealed(
    key: &Apiv3Key,
    sealed: &EncryptedResource,
    what: &str,
) -> Result<Vec<u8>> {
    let failed = |why: String| Error::new(ErrorKind::Decryption, why);
    if sealed.algorithm != AEAD_AES_256_GCM {
        return Err(failed(format!(
            "the {what} is encrypted with an algorithm other than AEAD_AES_256_GCM"
        )));
    }
    let bytes = BASE64
        .decode(&sealed.ciphertext)
        .map_err(|_| failed(format!("the {what} ciphertext is not base64")))?;
    if bytes.len() < TAG_LEN {
        return Err(failed(format!(
            "the {what} ciphertext is shorter than the 16-byte GCM tag"
        )));
    }
    let nonce = Nonce::try_from(sealed.nonce.as_bytes())
        .map_err(|_| failed(format!("the {what} nonce is not 12 bytes")))?;
    let cipher = Aes256Gcm::new_from_slice(key.0.as_slice())
        .map_err(|_| failed("the APIv3 key is not 32 bytes".to_owned()))?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &bytes,
                aad: sealed.associated_data.as_deref().unwrap_or("").as_bytes(),
            },
        )
        .map_err(|_| {
            failed(format!(
                "the {what} does not decrypt with the APIv3 key: wrong apiv3_key, or the ciphertext was altered"
            ))
        })
}

/// The reply the host sends back to WeChat Pay for a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NotificationReply {
    /// 200 to acknowledge, 500 to have WeChat Pay retry.
    pub status: u16,
    /// `Content-Type: application/json`.
    pub headers: Vec<Header>,
    /// `{"code":"SUCCESS","message":"成功"}` or `{"code":"FAIL","message":…}`.
    pub body: Vec<u8>,
}

fn reply(status: u16, code: &str, message: &str) -> NotificationReply {
    NotificationReply {
        status,
        headers: vec![Header {
            name: crate::verify::header::CONTENT_TYPE.to_owned(),
            value: "application/json".to_owned(),
        }],
        body: serde_json::json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
    }
}

/// Acknowledges a notification: 200 with `{"code":"SUCCESS","message":"成功"}`, which old and
/// new WeChat Pay pages both accept. Send it within 5 seconds, then process the event.
pub fn notification_ack() -> NotificationReply {
    reply(200, "SUCCESS", "成功")
}

/// Refuses a notification so WeChat Pay retries it: 500 with `{"code":"FAIL","message":…}`.
/// `message` is 1–64 characters.
pub fn notification_nack(message: &str) -> Result<NotificationReply> {
    let chars = message.chars().count();
    if chars == 0 || chars > 64 || message.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "message",
            "a notification reply message is 1–64 characters without control characters",
        ));
    }
    Ok(reply(500, "FAIL", message))
}
