"""Python side of `make bench`: the binding against wechatpayv3 and OpenSSL via `cryptography`.

Every figure is µs per request, one thread, except the thread-scaling ratio. The peer is
wechatpayv3's `build_authorization` (signs with `cryptography`, i.e. OpenSSL); the verify limit
is `cryptography`'s RSA verify plus `json.loads` of the same body.
"""
import base64
import json
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3.utils import build_authorization

import wxpay_terminate as wt

from common import ROOT, per_call_us, save

KEYS = ROOT / "tests" / "vectors" / "keys"
CLIENTS = json.loads((ROOT / "tests" / "vectors" / "clients.json").read_text())
PARAMS = {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}
PATH = "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate"


def main() -> None:
    key_pem = (KEYS / "merchant_go_pkcs8.pem").read_text()
    client = wt.Client(
        mchid="1234567890",
        serial_no="F5765756002FDD77",
        private_key=key_pem,
        platform_certificates=[(KEYS / "platform_cert_a.pem").read_text(), (KEYS / "platform_cert_b.pem").read_text()],
        apiv3_key=CLIENTS["go_platform"]["apiv3_key"],
    )
    results = {}
    results["python_sign_us"] = per_call_us(lambda: client.terminate_papay_contract(**PARAMS, timestamp=1700000000, nonce="N"))
    results["python_prepare_unsigned_us"] = per_call_us(
        lambda: client.unsigned.terminate_papay_contract(**PARAMS, timestamp=1700000000, nonce="N"), batch=2000
    )

    peer_key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    body = json.dumps({"contract_termination_remark": "用户解约"}, ensure_ascii=False, separators=(",", ":"))
    results["peer_wechatpayv3_us"] = per_call_us(
        lambda: build_authorization(PATH, "POST", "1234567890", "F5765756002FDD77", peer_key, data=body)
    )

    case = json.loads((ROOT / "tests/vectors/cases/response/papay_200_cert_a.json").read_text())
    response = case["response"]
    headers = [tuple(p) for p in response["headers"]]
    raw = response["body"].encode()
    results["python_parse_verify_us"] = per_call_us(
        lambda: client.parse("terminate_papay_contract", 200, headers, raw, now=case["now"]), batch=1000
    )
    header = dict(headers)
    cert_key = x509.load_pem_x509_certificate((KEYS / "platform_cert_a.pem").read_bytes()).public_key()
    message = f"{header['Wechatpay-Timestamp']}\n{header['Wechatpay-Nonce']}\n".encode() + raw + b"\n"
    signature = base64.b64decode(header["Wechatpay-Signature"])

    def openssl_verify_and_json() -> None:
        cert_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        json.loads(raw)

    results["limit_openssl_verify_json_us"] = per_call_us(openssl_verify_and_json, batch=1000)
    results.update(notification(client))
    results.update(thread_scaling(client))
    save("python", results)


def notification(client: wt.Client) -> dict:
    """A termination notification: the binding against OpenSSL verify + AES-256-GCM + json.loads."""
    case = json.loads((ROOT / "tests/vectors/cases/notification/entrust_terminate_direct_cert_a.json").read_text())
    headers = [tuple(p) for p in case["notification"]["headers"]]
    raw = case["notification"]["body"].encode()
    now = case["now"]
    out = {"python_parse_notification_us": per_call_us(lambda: client.parse_notification(headers, raw, now=now), batch=1000)}

    header = dict(headers)
    cert_key = x509.load_pem_x509_certificate((KEYS / "platform_cert_a.pem").read_bytes()).public_key()
    message = f"{header['Wechatpay-Timestamp']}\n{header['Wechatpay-Nonce']}\n".encode() + raw + b"\n"
    signature = base64.b64decode(header["Wechatpay-Signature"])
    aead = AESGCM(CLIENTS["go_platform"]["apiv3_key"].encode())

    def openssl_verify_decrypt_json() -> None:
        cert_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        envelope = json.loads(raw)
        resource = envelope["resource"]
        plaintext = aead.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                 (resource.get("associated_data") or "").encode())
        json.loads(plaintext)

    out["limit_openssl_verify_aesgcm_json_us"] = per_call_us(openssl_verify_decrypt_json, batch=1000)
    return out


def thread_scaling(client: wt.Client, seconds: float = 3.0) -> dict:
    """Signed requests per second with 1 and with 2 threads (the GIL is released during RSA)."""

    def run(threads: int) -> float:
        counts = [0] * threads
        stop = time.perf_counter() + seconds

        def worker(i: int) -> None:
            while time.perf_counter() < stop:
                client.terminate_papay_contract(**PARAMS, timestamp=1700000000, nonce="N")
                counts[i] += 1

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return sum(counts) / seconds

    one, two = run(1), run(2)
    return {"python_1_thread_per_s": one, "python_2_threads_per_s": two, "python_2_thread_scaling": two / one}


if __name__ == "__main__":
    main()
