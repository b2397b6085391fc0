"""Python side of `make bench`: the binding interleaved with its references in one process
(common.interleave). References: wechatpayv3 2.0.4 (`build_authorization`, which signs with
`cryptography`) and OpenSSL through `cryptography` (sign; verify + json.loads; verify +
AES-256-GCM + json.loads). Raw rounds go to target/bench/python.json.
"""
import base64
import json
import threading
import time

import cryptography
from cryptography import x509
from cryptography.hazmat.backends.openssl import backend as openssl_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3.utils import build_authorization

import wxpay_terminate as wt

from common import ROOT, interleave, save

KEYS = ROOT / "tests" / "vectors" / "keys"
CLIENTS = json.loads((ROOT / "tests" / "vectors" / "clients.json").read_text())
PARAMS = {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}
PATH = "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate"
NOW = 1700000000


def signed_case(relative: str, part: str) -> tuple:
    """Headers (pairs), raw body, now, and what a hand-written verifier checks."""
    case = json.loads((ROOT / "tests/vectors/cases" / relative).read_text())
    headers = [tuple(p) for p in case[part]["headers"]]
    raw = case[part]["body"].encode()
    header = dict(headers)
    message = f"{header['Wechatpay-Timestamp']}\n{header['Wechatpay-Nonce']}\n".encode() + raw + b"\n"
    return headers, raw, case["now"], message, base64.b64decode(header["Wechatpay-Signature"])


def main() -> None:
    key_pem = (KEYS / "merchant_go_pkcs8.pem").read_text()
    client = wt.Client(
        mchid="1234567890",
        serial_no="F5765756002FDD77",
        private_key=key_pem,
        platform_certificates=[(KEYS / "platform_cert_a.pem").read_text(), (KEYS / "platform_cert_b.pem").read_text()],
        apiv3_key=CLIENTS["go_platform"]["apiv3_key"],
    )
    figures = {}

    peer_key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    body = json.dumps({"contract_termination_remark": "用户解约"}, ensure_ascii=False, separators=(",", ":"))
    message = client.unsigned.terminate_papay_contract(**PARAMS, timestamp=NOW, nonce="N").string_to_sign
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    figures["sign"] = interleave(
        "build and sign one terminate request",
        "client.terminate_papay_contract(**params, timestamp, nonce) | wechatpayv3.utils.build_authorization(...) "
        "| key.sign(message, PKCS1v15(), SHA256())",
        {
            "wxpay_terminate": lambda: client.terminate_papay_contract(**PARAMS, timestamp=NOW, nonce="N"),
            "wechatpayv3": lambda: build_authorization(PATH, "POST", "1234567890", "F5765756002FDD77", peer_key, data=body),
            "openssl": lambda: peer_key.sign(message, pkcs1, sha256),
        },
    )
    figures["unsigned"] = interleave(
        "build an unsigned request (everything but RSA)",
        "client.unsigned.terminate_papay_contract(**params, timestamp, nonce) | client.certificates_refresh_due(now=…)",
        {
            "wxpay_terminate": lambda: client.unsigned.terminate_papay_contract(**PARAMS, timestamp=NOW, nonce="N"),
            "baseline": lambda: client.certificates_refresh_due(now=NOW),
        },
    )

    cert_key = x509.load_pem_x509_certificate((KEYS / "platform_cert_a.pem").read_bytes()).public_key()
    headers, raw, now, r_message, r_signature = signed_case("response/papay_200_cert_a.json", "response")

    def openssl_verify_json() -> None:
        cert_key.verify(r_signature, r_message, pkcs1, sha256)
        json.loads(raw)

    figures["parse_verify"] = interleave(
        "parse and verify a signed 200 response",
        "client.parse('terminate_papay_contract', 200, headers, body, now=…) | cert_key.verify(...) + json.loads(body)",
        {
            "wxpay_terminate": lambda: client.parse("terminate_papay_contract", 200, headers, raw, now=now),
            "openssl+json": openssl_verify_json,
        },
    )

    n_headers, n_raw, n_now, n_message, n_signature = signed_case(
        "notification/entrust_terminate_direct_cert_a.json", "notification")
    aead = AESGCM(CLIENTS["go_platform"]["apiv3_key"].encode())

    def openssl_verify_decrypt_json() -> None:
        cert_key.verify(n_signature, n_message, pkcs1, sha256)
        resource = json.loads(n_raw)["resource"]
        plaintext = aead.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                 (resource.get("associated_data") or "").encode())
        json.loads(plaintext)

    figures["notification"] = interleave(
        "parse, verify and decrypt a notification",
        "client.parse_notification(headers, body, now=…) | cert_key.verify + AESGCM.decrypt + json.loads",
        {
            "wxpay_terminate": lambda: client.parse_notification(n_headers, n_raw, now=n_now),
            "openssl+json": openssl_verify_decrypt_json,
        },
    )
    save("python", figures, threads=thread_scaling(client),
         openssl=f"{openssl_backend.openssl_version_text()} (cryptography {cryptography.__version__})")


def thread_scaling(client: wt.Client, rounds: int = 5, seconds: float = 0.5) -> dict:
    """Signed requests per second with 1 and with 2 threads (the GIL is released during RSA),
    interleaved round by round. Wall-clock throughput: it needs two free cores to show 2×."""

    def run(threads: int) -> float:
        counts = [0] * threads
        stop = time.perf_counter() + seconds

        def worker(i: int) -> None:
            while time.perf_counter() < stop:
                client.terminate_papay_contract(**PARAMS, timestamp=NOW, nonce="N")
                counts[i] += 1

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return sum(counts) / seconds

    one, two = [], []
    for r in range(rounds):
        if r % 2:
            two.append(run(2))
            one.append(run(1))
        else:
            one.append(run(1))
            two.append(run(2))
    return {"one_thread_per_s": one, "two_threads_per_s": two}


if __name__ == "__main__":
    main()
