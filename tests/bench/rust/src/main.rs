//! `make bench`, Rust part. Every figure is a set of variants (the core and its references)
//! measured in interleaved rounds (the scheme of tests/bench/common.py), so a variant and its
//! references always see the same machine. Raw per-round µs (wall and process CPU time) go to
//! target/bench/rust.json; tests/bench/report.py makes the ratios.
//!
//! References, all in this process:
//! - OpenSSL: the system libcrypto (the library `openssl speed` uses), called through
//!   `EVP_DigestSign`/`EVP_DigestVerify`/`EVP_aes_256_gcm` as any C caller would.
//! - AWS-LC: `aws-lc-rs` directly, the library the core's `aws-lc` backend signs with.

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use wxpay_terminate::{Client, ClientConfig, TerminatePapayContract};

// ---- the interleaving harness --------------------------------------------------------------

struct Settings {
    rounds: usize,
    batch: Duration,
    slice: Duration,
    warmup: Duration,
    warmup_rounds: usize,
}

impl Settings {
    fn from_env() -> Settings {
        fn var(name: &str, default: f64) -> f64 {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        }
        Settings {
            rounds: var("WXPAY_BENCH_ROUNDS", 15.0) as usize,
            batch: Duration::from_secs_f64(var("WXPAY_BENCH_BATCH_S", 0.2)),
            slice: Duration::from_secs_f64(var("WXPAY_BENCH_SLICE_S", 0.01)),
            warmup: Duration::from_secs_f64(var("WXPAY_BENCH_WARMUP_S", 0.1)),
            warmup_rounds: var("WXPAY_BENCH_WARMUP_ROUNDS", 1.0) as usize,
        }
    }
}

type Run<'a> = Box<dyn FnMut() + 'a>;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: c_int, tp: *mut Timespec) -> c_int;
}

/// CPU time of the whole process (every thread), in seconds.
fn cpu_now() -> f64 {
    const CLOCK_PROCESS_CPUTIME_ID: c_int = 2;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid out-pointer to a timespec-shaped struct.
    unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.sec as f64 + t.nsec as f64 * 1e-9
}

/// Wall and CPU seconds of `iterations` calls.
fn time_slice(run: &mut Run<'_>, iterations: u64) -> (f64, f64) {
    let cpu = cpu_now();
    let start = Instant::now();
    for _ in 0..iterations {
        run();
    }
    (start.elapsed().as_secs_f64(), cpu_now() - cpu)
}

/// A first estimate of calls per slice, discarded warm-up rounds (which set calls per slice),
/// then `rounds` rounds. A round alternates the variants slice by slice (A B C A B C …, the order
/// rotating every slice and every round) until each has run `batch` worth of slices; its figure
/// per variant is µs per call over the round. Fine alternation means every variant of a round
/// sees the same machine.
fn interleave(
    s: &Settings,
    title: &str,
    command: &str,
    mut variants: Vec<(&str, Run<'_>)>,
) -> Value {
    let slice = s.slice.as_secs_f64();
    let slices = ((s.batch.as_secs_f64() / slice).round() as usize).max(1);
    let k = variants.len();
    // A first estimate of calls per slice.
    let mut per_slice = Vec::new();
    for (_, run) in variants.iter_mut() {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < s.warmup || n < 3 {
            run();
            n += 1;
        }
        let per_call = start.elapsed().as_secs_f64() / n as f64;
        per_slice.push(((slice / per_call).round() as u64).max(1));
    }
    let round = |variants: &mut Vec<(&str, Run<'_>)>, per_slice: &[u64], r: usize| {
        let mut wall = vec![0.0; k];
        let mut cpu = vec![0.0; k];
        for j in 0..slices {
            for i in 0..k {
                let v = (i + r + j) % k;
                let (w, c) = time_slice(&mut variants[v].1, per_slice[v]);
                wall[v] += w;
                cpu[v] += c;
            }
        }
        (wall, cpu)
    };
    // Warm-up rounds, discarded; calls per slice from the last one.
    for r in 0..s.warmup_rounds {
        let (wall, _) = round(&mut variants, &per_slice, r);
        if r + 1 == s.warmup_rounds {
            per_slice = (0..k)
                .map(|v| {
                    ((slice / (wall[v] / (per_slice[v] as usize * slices) as f64)).round() as u64)
                        .max(1)
                })
                .collect();
        }
    }
    let mut wall_us = vec![Vec::new(); k];
    let mut cpu_us = vec![Vec::new(); k];
    let mut first = Vec::new();
    for r in 0..s.rounds {
        let (wall, cpu) = round(&mut variants, &per_slice, r);
        for v in 0..k {
            let calls = (per_slice[v] as usize * slices) as f64;
            wall_us[v].push(wall[v] * 1e6 / calls);
            cpu_us[v].push(cpu[v] * 1e6 / calls);
        }
        first.push(variants[r % k].0);
    }
    let mut out = Map::new();
    for (v, (name, _)) in variants.iter().enumerate() {
        out.insert(
            (*name).into(),
            json!({"calls_per_slice": per_slice[v], "slices": slices, "us": wall_us[v], "cpu_us": cpu_us[v]}),
        );
    }
    let median = |v: &Vec<f64>| {
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    };
    let summary: Vec<String> = variants
        .iter()
        .enumerate()
        .map(|(v, (n, _))| format!("{n} {:.2} µs", median(&cpu_us[v])))
        .collect();
    println!("{title}: {} (CPU, median)", summary.join(", "));
    json!({"title": title, "command": command, "variants": out, "first": first})
}

// ---- OpenSSL (system libcrypto), declared by hand -----------------------------------------

#[allow(non_camel_case_types)]
type ptr = *mut c_void;

#[link(name = "crypto")]
unsafe extern "C" {
    fn OpenSSL_version(t: c_int) -> *const std::ffi::c_char;
    fn BIO_new_mem_buf(buf: *const c_void, len: c_int) -> ptr;
    fn BIO_free(bio: ptr) -> c_int;
    fn PEM_read_bio_PrivateKey(bio: ptr, x: ptr, cb: ptr, u: ptr) -> ptr;
    fn PEM_read_bio_X509(bio: ptr, x: ptr, cb: ptr, u: ptr) -> ptr;
    fn X509_get_pubkey(x: ptr) -> ptr;
    fn EVP_sha256() -> ptr;
    fn EVP_MD_CTX_new() -> ptr;
    fn EVP_MD_CTX_free(ctx: ptr);
    fn EVP_DigestSignInit(ctx: ptr, pctx: ptr, md: ptr, e: ptr, pkey: ptr) -> c_int;
    fn EVP_DigestSign(
        ctx: ptr,
        sig: *mut u8,
        siglen: *mut usize,
        tbs: *const u8,
        tbslen: usize,
    ) -> c_int;
    fn EVP_DigestVerifyInit(ctx: ptr, pctx: ptr, md: ptr, e: ptr, pkey: ptr) -> c_int;
    fn EVP_DigestVerify(
        ctx: ptr,
        sig: *const u8,
        siglen: usize,
        tbs: *const u8,
        tbslen: usize,
    ) -> c_int;
    fn EVP_aes_256_gcm() -> ptr;
    fn EVP_CIPHER_CTX_new() -> ptr;
    fn EVP_CIPHER_CTX_free(ctx: ptr);
    fn EVP_CIPHER_CTX_ctrl(ctx: ptr, kind: c_int, arg: c_int, p: ptr) -> c_int;
    fn EVP_DecryptInit_ex(ctx: ptr, cipher: ptr, e: ptr, key: *const u8, iv: *const u8) -> c_int;
    fn EVP_DecryptUpdate(
        ctx: ptr,
        out: *mut u8,
        outl: *mut c_int,
        inp: *const u8,
        inl: c_int,
    ) -> c_int;
    fn EVP_DecryptFinal_ex(ctx: ptr, out: *mut u8, outl: *mut c_int) -> c_int;
}

const EVP_CTRL_GCM_SET_IVLEN: c_int = 0x9;
const EVP_CTRL_GCM_SET_TAG: c_int = 0x11;
const NULL: ptr = std::ptr::null_mut();

struct OpenSsl {
    private: ptr,
    public: ptr,
}

impl OpenSsl {
    fn version() -> String {
        // SAFETY: OpenSSL returns a static NUL-terminated string.
        unsafe {
            std::ffi::CStr::from_ptr(OpenSSL_version(0))
                .to_string_lossy()
                .into_owned()
        }
    }

    fn load(private_pem: &[u8], cert_pem: &[u8]) -> OpenSsl {
        // SAFETY: read-only memory BIOs over live slices, freed after use; PEM results checked.
        unsafe {
            let bio = BIO_new_mem_buf(private_pem.as_ptr().cast(), private_pem.len() as c_int);
            let private = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
            BIO_free(bio);
            let bio = BIO_new_mem_buf(cert_pem.as_ptr().cast(), cert_pem.len() as c_int);
            let cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            BIO_free(bio);
            assert!(
                !private.is_null() && !cert.is_null(),
                "OpenSSL could not read the keys"
            );
            OpenSsl {
                private,
                public: X509_get_pubkey(cert),
            }
        }
    }

    /// SHA256withRSA (PKCS#1 v1.5) of `message`, a fresh context per call as a caller would.
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; 512];
        let mut len = sig.len();
        // SAFETY: a fresh context, freed; the buffers outlive the call.
        unsafe {
            let ctx = EVP_MD_CTX_new();
            let ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, self.private) == 1
                && EVP_DigestSign(
                    ctx,
                    sig.as_mut_ptr(),
                    &mut len,
                    message.as_ptr(),
                    message.len(),
                ) == 1;
            EVP_MD_CTX_free(ctx);
            assert!(ok, "OpenSSL sign failed");
        }
        sig.truncate(len);
        sig
    }

    fn verify(&self, signature: &[u8], message: &[u8]) -> bool {
        // SAFETY: as `sign`.
        unsafe {
            let ctx = EVP_MD_CTX_new();
            let ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, self.public) == 1
                && EVP_DigestVerify(
                    ctx,
                    signature.as_ptr(),
                    signature.len(),
                    message.as_ptr(),
                    message.len(),
                ) == 1;
            EVP_MD_CTX_free(ctx);
            ok
        }
    }

    /// AEAD_AES_256_GCM open: `ciphertext` ends with the 16-byte tag.
    fn aes_gcm_open(key: &[u8], nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        let (body, tag) = ciphertext.split_at(ciphertext.len() - 16);
        let mut out = vec![0u8; body.len() + 16];
        let mut len: c_int = 0;
        let mut tail: c_int = 0;
        let mut tag = tag.to_vec();
        // SAFETY: a fresh context, freed; every buffer outlives the calls and is large enough.
        let ok = unsafe {
            let ctx = EVP_CIPHER_CTX_new();
            let ok = EVP_DecryptInit_ex(
                ctx,
                EVP_aes_256_gcm(),
                NULL,
                std::ptr::null(),
                std::ptr::null(),
            ) == 1
                && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, nonce.len() as c_int, NULL)
                    == 1
                && EVP_DecryptInit_ex(ctx, NULL, NULL, key.as_ptr(), nonce.as_ptr()) == 1
                && EVP_DecryptUpdate(
                    ctx,
                    std::ptr::null_mut(),
                    &mut len,
                    aad.as_ptr(),
                    aad.len() as c_int,
                ) == 1
                && EVP_DecryptUpdate(
                    ctx,
                    out.as_mut_ptr(),
                    &mut len,
                    body.as_ptr(),
                    body.len() as c_int,
                ) == 1
                && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.as_mut_ptr().cast()) == 1
                && EVP_DecryptFinal_ex(ctx, out.as_mut_ptr().add(len as usize), &mut tail) == 1;
            EVP_CIPHER_CTX_free(ctx);
            ok
        };
        ok.then(|| {
            out.truncate((len + tail) as usize);
            out
        })
    }
}

// ---- fixtures ------------------------------------------------------------------------------

fn root() -> PathBuf {
    std::env::var_os("WXPAY_REPO_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.."))
}

fn read(relative: &str) -> Vec<u8> {
    let path = root().join("tests/vectors").join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pem_der(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem);
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body.trim()).expect("PEM base64")
}

struct Signed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    now: i64,
}

impl Signed {
    fn load(relative: &str, key: &str) -> Signed {
        let case: Value = serde_json::from_slice(&read(relative)).expect("case json");
        let part = &case[key];
        let headers = part["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().expect("name").to_owned(),
                    p[1].as_str().expect("value").to_owned(),
                )
            })
            .collect();
        Signed {
            headers,
            body: part["body"].as_str().expect("body").as_bytes().to_vec(),
            now: case["now"].as_i64().expect("now"),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .expect("header")
    }

    /// What a verifier checks by hand: the message and the decoded signature.
    fn message_and_signature(&self) -> (Vec<u8>, Vec<u8>) {
        let mut message = format!(
            "{}\n{}\n",
            self.header("Wechatpay-Timestamp"),
            self.header("Wechatpay-Nonce")
        )
        .into_bytes();
        message.extend_from_slice(&self.body);
        message.push(b'\n');
        (
            message,
            B64.decode(self.header("Wechatpay-Signature"))
                .expect("signature base64"),
        )
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

// ---- the figures ---------------------------------------------------------------------------

const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";
const PATH: &str =
    "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate";
const APIV3_KEY: &str = "go_platform_test_apiv3_key_00002";

fn main() {
    let s = Settings::from_env();
    let private_pem = read("keys/merchant_go_pkcs8.pem");
    let cert_a = read("keys/platform_cert_a.pem");
    let client = Client::new(&ClientConfig {
        mchid: "1234567890".into(),
        serial_no: "F5765756002FDD77".into(),
        private_key: Some(private_pem.clone().into()),
        platform_certificates: vec![
            cert_a.clone().into(),
            read("keys/platform_cert_b.pem").into(),
        ],
        apiv3_key: Some(APIV3_KEY.into()),
        ..Default::default()
    })
    .expect("valid client");
    let op = TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    };
    let openssl = OpenSsl::load(&private_pem, &cert_a);
    let awslc_key =
        aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&pem_der(&private_pem)).expect("aws-lc key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    // The message the core signs, so every variant signs the same bytes.
    let message = client
        .unsigned(&op, 1_700_000_000, NONCE)
        .expect("built")
        .string_to_sign()
        .to_vec();
    assert!(message.starts_with(format!("POST\n{PATH}\n").as_bytes()));
    let response = Signed::load("cases/response/papay_200_cert_a.json", "response");
    let cert_a_spki = client
        .verification_keys()
        .into_iter()
        .find(|(serial, _)| serial == response.header("Wechatpay-Serial"))
        .map(|(_, der)| der)
        .expect("cert A key");
    let awslc_public = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        cert_a_spki,
    );

    let mut figures = Map::new();
    figures.insert(
        "sign".into(),
        interleave(
            &s,
            "build and sign one terminate request",
            "client.prepare(&TerminatePapayContract, ts, nonce) | EVP_DigestSign (libcrypto) | aws-lc-rs RsaKeyPair::sign",
            vec![
                ("core", Box::new(|| drop(black_box(client.prepare(black_box(&op), 1_700_000_000, NONCE).expect("signed"))))),
                ("openssl", Box::new(|| drop(black_box(openssl.sign(black_box(&message)))))),
                (
                    "aws-lc",
                    Box::new(|| {
                        let mut sig = vec![0u8; awslc_key.public_modulus_len()];
                        awslc_key
                            .sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, black_box(&message), &mut sig)
                            .expect("aws-lc sign");
                        black_box(sig);
                    }),
                ),
            ],
        ),
    );
    figures.insert(
        "unsigned".into(),
        interleave(
            &s,
            "build an unsigned request (everything but RSA)",
            "client.unsigned(&TerminatePapayContract, ts, nonce) | client.certificates_refresh_due(now)",
            vec![
                ("core", Box::new(|| drop(black_box(client.unsigned(black_box(&op), 1_700_000_000, NONCE).expect("built"))))),
                ("baseline", Box::new(|| {
                    black_box(client.certificates_refresh_due(black_box(1_700_000_000)));
                })),
            ],
        ),
    );

    let pairs = response.pairs();
    let (r_message, r_signature) = response.message_and_signature();
    assert!(openssl.verify(&r_signature, &r_message));
    figures.insert(
        "parse_verify".into(),
        interleave(
            &s,
            "parse and verify a signed 200 response",
            "client.parse::<TerminatePapayContract>(200, headers, body, now) | aws-lc-rs verify + serde_json | EVP_DigestVerify + serde_json",
            vec![
                (
                    "core",
                    Box::new(|| {
                        drop(black_box(
                            client
                                .parse::<TerminatePapayContract>(200, black_box(&pairs), black_box(&response.body), response.now)
                                .expect("ok"),
                        ))
                    }),
                ),
                (
                    "aws-lc+serde_json",
                    Box::new(|| {
                        awslc_public.verify(black_box(&r_message), &r_signature).expect("valid");
                        black_box(serde_json::from_slice::<Value>(black_box(&response.body)).expect("json"));
                    }),
                ),
                (
                    "openssl+serde_json",
                    Box::new(|| {
                        assert!(openssl.verify(&r_signature, black_box(&r_message)));
                        black_box(serde_json::from_slice::<Value>(black_box(&response.body)).expect("json"));
                    }),
                ),
            ],
        ),
    );

    let notification = Signed::load(
        "cases/notification/entrust_terminate_direct_cert_a.json",
        "notification",
    );
    let n_pairs = notification.pairs();
    let (n_message, n_signature) = notification.message_and_signature();
    let aead = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, APIV3_KEY.as_bytes())
            .expect("aes key"),
    );
    // The hand-written references decode the envelope, decrypt `resource` and decode the result.
    let resource = |body: &[u8]| -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let envelope: Value = serde_json::from_slice(body).expect("envelope");
        let r = &envelope["resource"];
        (
            r["nonce"].as_str().expect("nonce").as_bytes().to_vec(),
            r["associated_data"]
                .as_str()
                .unwrap_or("")
                .as_bytes()
                .to_vec(),
            B64.decode(r["ciphertext"].as_str().expect("ciphertext"))
                .expect("ciphertext base64"),
        )
    };
    {
        let (nonce, aad, ct) = resource(&notification.body);
        let plain = OpenSsl::aes_gcm_open(APIV3_KEY.as_bytes(), &nonce, &aad, &ct)
            .expect("OpenSSL AES-GCM");
        serde_json::from_slice::<Value>(&plain).expect("decrypted json");
    }
    figures.insert(
        "notification".into(),
        interleave(
            &s,
            "parse, verify and decrypt a notification",
            "client.parse_notification(headers, body, now) | aws-lc-rs verify + AES-256-GCM + serde_json | EVP_DigestVerify + EVP_aes_256_gcm + serde_json",
            vec![
                (
                    "core",
                    Box::new(|| {
                        drop(black_box(
                            client.parse_notification(black_box(&n_pairs), black_box(&notification.body), notification.now).expect("ok"),
                        ))
                    }),
                ),
                (
                    "aws-lc+serde_json",
                    Box::new(|| {
                        awslc_public.verify(black_box(&n_message), &n_signature).expect("valid");
                        let (nonce, aad, mut ct) = resource(black_box(&notification.body));
                        let nonce = aws_lc_rs::aead::Nonce::try_assume_unique_for_key(&nonce).expect("nonce");
                        let plain = aead.open_in_place(nonce, aws_lc_rs::aead::Aad::from(&aad), &mut ct).expect("open");
                        black_box(serde_json::from_slice::<Value>(plain).expect("json"));
                    }),
                ),
                (
                    "openssl+serde_json",
                    Box::new(|| {
                        assert!(openssl.verify(&n_signature, black_box(&n_message)));
                        let (nonce, aad, ct) = resource(black_box(&notification.body));
                        let plain = OpenSsl::aes_gcm_open(APIV3_KEY.as_bytes(), &nonce, &aad, &ct).expect("open");
                        black_box(serde_json::from_slice::<Value>(&plain).expect("json"));
                    }),
                ),
            ],
        ),
    );

    let out = root().join("target/bench");
    std::fs::create_dir_all(&out).expect("target/bench");
    let doc = json!({
        "language": "rust",
        "rounds": s.rounds,
        "batch_seconds": s.batch.as_secs_f64(),
        "slice_seconds": s.slice.as_secs_f64(),
        "warmup_rounds": s.warmup_rounds,
        "openssl": OpenSsl::version(),
        "figures": figures,
    });
    std::fs::write(
        out.join("rust.json"),
        serde_json::to_string_pretty(&doc).expect("json") + "\n",
    )
    .expect("write rust.json");
}
