//! `make demo` (core stage): builds the signed descriptor of each seed endpoint with the
//! official WeChat Pay documentation test key, then verifies a signed 204 and a signed 200
//! and shows a tampered response being rejected. The responses are the oracle-signed ones
//! from `tests/vectors`; nothing here touches the network.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wxpay_terminate::{
    Client, ClientConfig, Error, Operation, Request, TerminateCreditRepaymentContract,
    TerminateEduschoolpayContract, TerminatePapayContract, TerminatePasswordExemptContract,
};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read(path: PathBuf) -> Vec<u8> {
    fs::read(&path).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())))
}

fn fail(message: &str) -> ! {
    eprintln!("demo failed: {message}");
    std::process::exit(1)
}

fn show(title: &str, request: &Request) {
    println!("── {title} ({})", request.operation().unwrap_or("generic"));
    println!("   {} {}", request.method(), request.url());
    for (name, value) in request.headers() {
        println!("   {name}: {value}");
    }
    match request.body() {
        Some(body) => println!("   body: {}", String::from_utf8_lossy(body)),
        None => println!("   (no body, no Content-Type)"),
    }
    println!();
}

/// Verifies and decodes one oracle-signed response vector.
fn replay(client: &Client, case: &str) -> Result<(String, Value), Error> {
    let json: Value = serde_json::from_slice(&read(vectors().join("cases/response").join(case)))
        .unwrap_or_else(|e| fail(&format!("{case}: {e}")));
    let response = &json["response"];
    let headers: Vec<(&str, &str)> = response["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| {
            (
                pair[0].as_str().unwrap_or(""),
                pair[1].as_str().unwrap_or(""),
            )
        })
        .collect();
    let status = response["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(0);
    let body = response["body"].as_str().unwrap_or("").as_bytes();
    let operation = json["operation"].as_str();
    let parsed = client.parse_by_id(
        operation,
        status,
        &headers,
        body,
        json["now"].as_i64().unwrap_or(0),
    )?;
    Ok((
        format!("{} {}", parsed.status, operation.unwrap_or("generic")),
        parsed.data,
    ))
}

fn main() -> Result<(), Error> {
    let keys = vectors().join("keys");
    let client = Client::new(&ClientConfig {
        mchid: "1900007291".into(),
        serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        private_key: Some(read(keys.join("merchant_doc_pkcs8.pem")).into()),
        wechatpay_public_key_id: Some("PUB_KEY_ID_0119000072912025112400000000000001".into()),
        wechatpay_public_key: Some(read(keys.join("wechatpay_public_key.pem")).into()),
        ..Default::default()
    })?;
    // Fixed so the output is reproducible; a real caller passes its clock and generate_nonce().
    let (timestamp, nonce) = (1_554_208_460, "593BEC0C930BF1AFEB40B4A08C8FB242");

    println!(
        "wxpay-terminate demo: the four seed endpoints, signed with the official doc test key\n"
    );
    let campus = TerminateEduschoolpayContract {
        contract_id: "2045011120563805041758214605".into(),
    };
    show(
        TerminateEduschoolpayContract::SPEC.title,
        &client.prepare(&campus, timestamp, nonce)?,
    );
    let exempt = TerminatePasswordExemptContract {
        service_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    };
    show(
        TerminatePasswordExemptContract::SPEC.title,
        &client.prepare(&exempt, timestamp, nonce)?,
    );
    let papay = TerminatePapayContract {
        plan_id: 12535,
        out_contract_code: "wxwtdk20200910100000".into(),
        contract_termination_remark: "用户解约".into(),
    };
    show(
        TerminatePapayContract::SPEC.title,
        &client.prepare(&papay, timestamp, nonce)?,
    );
    let credit = TerminateCreditRepaymentContract {
        out_contract_code: "100001256".into(),
        contract_termination_remark: "用户申请解约".into(),
    };
    show(
        TerminateCreditRepaymentContract::SPEC.title,
        &client.prepare(&credit, timestamp, nonce)?,
    );

    println!("Verifying responses signed by the WeChat Pay (test) public key:");
    for case in [
        "eduschoolpay_204_pubkey.json",
        "password_exempt_200_pubkey.json",
    ] {
        let (what, data) = replay(&client, case)?;
        println!("   ✔ {what} verified → {data}");
    }
    match replay(&client, "tampered_body.json") {
        Err(e) => println!("   ✘ tampered response rejected → {e}"),
        Ok(_) => fail("a tampered response was accepted"),
    }
    Ok(())
}
