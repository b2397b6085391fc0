//! The generic call: method, URI template, path parameters, query and JSON body →
//! `Client::unsigned_call`, and every built request checked against the invariants of
//! `check_request` (nothing unencoded in the signed URL, no dot segment, exact string to sign)
//! and, unless `allow_any_host`, an origin that is WeChat Pay's or the client's own.
//!
//! Input: `[flags]TEMPLATE\nname\tvalue\n…\n\nname\tvalue\n…\n\nJSON`: flags % 5 is the method,
//! bit 0x08 `allow_any_host`, flags >> 5 the client; the first block holds the template and the
//! path parameters, the second the query pairs, the rest the JSON body (none when empty or not JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxpay_terminate::{ApiCall, ErrorKind, Method};
use wxpay_terminate_fuzz::{check_request, fixture};

const METHODS: [Method; 5] = [
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
];
const TIMESTAMP: i64 = 1_700_000_000;
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";
const WECHAT_PAY: [&str; 3] = [
    "https://api.mch.weixin.qq.com",
    "https://api2.mch.weixin.qq.com",
    "https://apihk.mch.weixin.qq.com",
];

fn pairs(block: &str) -> Vec<(String, String)> {
    block
        .split('\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap_or((line, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else {
        return;
    };
    let fixture = fixture(flags >> 5);
    let text = String::from_utf8_lossy(rest);
    let mut blocks = text.splitn(3, "\n\n");
    let first = blocks.next().unwrap_or_default();
    let (template, path_block) = first.split_once('\n').unwrap_or((first, ""));
    let call = ApiCall {
        method: METHODS[usize::from(*flags) % METHODS.len()],
        template: template.to_owned(),
        path_params: pairs(path_block),
        query: pairs(blocks.next().unwrap_or_default()),
        json: serde_json::from_str(blocks.next().unwrap_or_default()).ok(),
        allow_any_host: flags & 0x08 != 0,
    };
    match fixture.client.unsigned_call(&call, TIMESTAMP, NONCE) {
        Ok(unsigned) => {
            let origin = check_request(unsigned, call.method, TIMESTAMP, NONCE);
            if !call.allow_any_host {
                // The client's own origins, from the requests it builds itself.
                let own: Vec<String> = [wxpay_terminate::Host::Api, wxpay_terminate::Host::Global]
                    .into_iter()
                    .map(|host| {
                        let request = fixture
                            .client
                            .unsigned_certificates(host, TIMESTAMP, NONCE)
                            .expect("certificate request")
                            .complete("AAAA")
                            .expect("complete");
                        origin_of(request.url()).to_ascii_lowercase()
                    })
                    .collect();
                let lower = origin.to_ascii_lowercase();
                assert!(
                    WECHAT_PAY.contains(&lower.as_str()) || own.contains(&lower),
                    "signed for origin {origin:?} without allow_any_host"
                );
            }
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e:?}"),
    }
});
