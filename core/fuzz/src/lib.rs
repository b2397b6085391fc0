//! Shared by the fuzz targets: the test clients of `tests/vectors/clients.json`, the input
//! framing, the AES-256-GCM sealing of fuzzer-chosen plaintexts and the invariants every built
//! request must keep.
//!
//! Input framing (what `seed.py` writes and libFuzzer mutates) for the message targets:
//!
//! ```text
//! [client byte][mode byte]FIRST LINE\nName: value\nName: value\n\nBODY…
//! ```
//!
//! The first line holds the numbers of the call (`status now`, or `now`), the following lines the
//! headers in order (duplicates kept), the first empty line ends them and the rest is the body.
//! Bytes are taken as UTF-8 lossily for the head; the body is passed as raw bytes.

use std::path::PathBuf;
use std::sync::OnceLock;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use wxpay_terminate::{Client, ClientConfig, Method, UnsignedRequest, protocol};

/// One client of `tests/vectors/clients.json`.
pub struct Fixture {
    /// Its name in clients.json.
    pub name: String,
    /// The configured client.
    pub client: Client,
    /// Its APIv3 key bytes.
    pub apiv3_key: [u8; 32],
    /// The `Wechatpay-Serial` values it verifies with.
    pub serials: Vec<String>,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// The clients of `clients.json`, sorted by name (`doc_pubkey`, `go_platform`, `migration`);
/// `seed.py` writes the index of that order as the client byte.
pub fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = vectors_dir();
        let text = std::fs::read_to_string(dir.join("clients.json"))
            .expect("tests/vectors/clients.json is readable");
        let clients: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).expect("clients.json is a JSON object");
        let mut names: Vec<&String> = clients.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let config = config_with_keys(&clients[name]);
                let apiv3 = config["apiv3_key"].as_str().expect("apiv3_key").as_bytes();
                let client = Client::new(
                    &ClientConfig::from_json(config.clone()).expect("clients.json config"),
                )
                .expect("clients.json client");
                Fixture {
                    name: name.clone(),
                    serials: client.verification_serials(),
                    apiv3_key: apiv3.try_into().expect("32-byte APIv3 key"),
                    client,
                }
            })
            .collect()
    })
}

/// A clients.json entry with key file names replaced by the PEM text of `tests/vectors/keys/`.
pub fn config_with_keys(entry: &serde_json::Value) -> serde_json::Value {
    let keys = vectors_dir().join("keys");
    let read = |file: &serde_json::Value| -> serde_json::Value {
        let name = file.as_str().expect("key file name");
        std::fs::read_to_string(keys.join(name))
            .expect("key file")
            .into()
    };
    let mut config = entry.clone();
    let object = config.as_object_mut().expect("config object");
    for field in ["private_key", "wechatpay_public_key"] {
        if let Some(file) = object.get(field).filter(|v| v.is_string()).cloned() {
            object.insert(field.into(), read(&file));
        }
    }
    if let Some(serde_json::Value::Array(files)) = object.get("platform_certificates").cloned() {
        object.insert(
            "platform_certificates".into(),
            files.iter().map(read).collect::<Vec<_>>().into(),
        );
    }
    config
}

/// The fixture a client byte selects.
pub fn fixture(selector: u8) -> &'static Fixture {
    let all = fixtures();
    &all[usize::from(selector) % all.len()]
}

/// A framed message: the numbers line, the header list and the body.
pub struct Message<'a> {
    /// The first line, split on spaces.
    pub numbers: Vec<String>,
    /// `(name, value)` in order.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub body: &'a [u8],
}

impl Message<'_> {
    /// The `i`-th number of the first line, or `default`.
    pub fn number<T: std::str::FromStr>(&self, i: usize, default: T) -> T {
        self.numbers
            .get(i)
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `FIRST\nH: v\n…\n\nBODY`.
pub fn split_message(data: &[u8]) -> Message<'_> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let numbers = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect();
    let headers = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) => (
                name.to_owned(),
                value.strip_prefix(' ').unwrap_or(value).to_owned(),
            ),
            None => (line.to_owned(), String::new()),
        })
        .collect();
    Message {
        numbers,
        headers,
        body,
    }
}

/// A nonce of exactly 12 bytes for AES-GCM: the fuzzer's when it has that length.
pub fn gcm_nonce(candidate: Option<&str>) -> String {
    match candidate {
        Some(n) if n.len() == 12 => n.to_owned(),
        _ => "fuzzNonce012".to_owned(),
    }
}

/// base64(AES-256-GCM(key, nonce, aad, plaintext) ‖ tag), as WeChat Pay seals resources.
pub fn seal(key: &[u8; 32], nonce: &str, aad: &str, plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let nonce = Nonce::try_from(nonce.as_bytes()).expect("12-byte nonce");
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any length used here");
    BASE64.encode(sealed)
}

/// Signature headers that pass every check before RSA for `fixture` at `now`, naming the public
/// key when the client has one (no validity period), else its first platform certificate.
pub fn synthetic_headers(fixture: &Fixture, now: i64) -> Vec<(String, String)> {
    let serial = fixture
        .serials
        .iter()
        .find(|s| s.starts_with("PUB_KEY_ID_"))
        .unwrap_or(&fixture.serials[0]);
    vec![
        ("Wechatpay-Timestamp".into(), now.to_string()),
        ("Wechatpay-Nonce".into(), "fuzz".into()),
        ("Wechatpay-Signature".into(), "AAAA".into()),
        ("Wechatpay-Serial".into(), serial.clone()),
    ]
}

/// `.` or `..`, also with `%2e` in any case.
pub fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Invariants of every request the core builds: the signed canonical URL is the end of the
/// sent URL, printable ASCII without space or `#`, at most one `?`, no dot segment; the message
/// is exactly `METHOD\nURL\nTS\nNONCE\nBODY\n`; a body is JSON without 4-byte characters.
/// Returns the origin the URL was sent to.
pub fn check_request(
    unsigned: UnsignedRequest,
    method: Method,
    timestamp: i64,
    nonce: &str,
) -> String {
    let message = unsigned.string_to_sign().to_vec();
    let request = unsigned
        .complete("AAAA")
        .expect("a base64 signature completes any built request");
    assert_eq!(request.method(), method);
    let mut lines = message.splitn(3, |&b| b == b'\n');
    assert_eq!(lines.next(), Some(method.as_str().as_bytes()));
    let canonical = std::str::from_utf8(lines.next().expect("canonical URL line"))
        .expect("the canonical URL is UTF-8");
    assert!(
        request.url().ends_with(canonical),
        "sent URL {:?} does not end with the signed {canonical:?}",
        request.url()
    );
    let origin = request.url()[..request.url().len() - canonical.len()].to_owned();
    assert!(canonical.starts_with('/'), "{canonical:?}");
    assert!(
        canonical.bytes().all(|b| b.is_ascii_graphic() && b != b'#'),
        "raw byte that needs encoding in {canonical:?}"
    );
    let (path, _query) = canonical.split_once('?').unwrap_or((canonical, ""));
    assert!(!_query.contains('?'), "two `?` in {canonical:?}");
    assert!(
        !path.split('/').any(is_dot_segment),
        "dot segment in {canonical:?}"
    );
    let body = request.body();
    if let Some(body) = body {
        let text = std::str::from_utf8(body).expect("a JSON body is UTF-8");
        serde_json::from_str::<serde_json::Value>(text).expect("the body is JSON");
        assert!(
            text.chars().all(|c| (c as u32) <= 0xFFFF),
            "4-byte character in the body"
        );
    }
    let expected = protocol::request_string_to_sign(
        method.as_str(),
        canonical,
        timestamp,
        nonce,
        body.unwrap_or_default(),
    );
    assert_eq!(
        message, expected,
        "string_to_sign is not METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n"
    );
    origin
}
