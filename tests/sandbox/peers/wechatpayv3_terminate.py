"""Terminate one papay contract on the sandbox with the Python peer SDK wechatpayv3 (PyPI).

Run by tests/sandbox/test_peers.py with the interpreter of a virtualenv holding
`wechatpayv3==2.0.4` (never with the repository's own environment):

    python wechatpayv3_terminate.py '{"base": "http://127.0.0.1:PORT", "mode": "public_key",
                                      "code": "wxwtdk20200910100000", "cert_dir": "/tmp/x"}'

`mode` is `public_key` (WeChat Pay public key + its id: the SDK sends
`Wechatpay-Serial: PUB_KEY_ID_…`, so the sandbox signs with the public key) or `platform`
(platform certificates only: `cert_dir` holds a copy of the sandbox's platform_cert.pem, the
SDK sends no `Wechatpay-Serial`, the sandbox signs with the platform certificate).

Prints one JSON line: `outcome` (`ok` — the SDK returned a 2xx answer; `rejected` — it
raised while verifying; `error` — anything else, e.g. a non-2xx answer, which it returns),
`status`, `body`, `error`, and what the SDK's verification did: `verifications` (each
`Core._verify_signature`: the answer's `Wechatpay-Serial` and the result), `rsa_checks` (each
RSA check it ran: the result) and `requests` (every URL it asked for). Any URL outside `base`
is refused, so nothing reaches the real WeChat Pay host.
"""

import json
import sys
from pathlib import Path

import requests.api
import wechatpayv3
import wechatpayv3.core as core
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.type import RequestType

HERE = Path(__file__).resolve().parent
SANDBOX = HERE.parent
MERCHANT_KEY = SANDBOX.parent / "vectors" / "keys" / "merchant_doc_pkcs8.pem"
MCHID = "1900007291"
SERIAL = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"
PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000099"
REMARK = "用户申请解约"


def main() -> None:
    args = json.loads(sys.argv[1])
    base = args["base"].rstrip("/")
    apiv3_key = next(m["apiv3_key"] for m in json.loads((SANDBOX / "merchants.json").read_text())["merchants"]
                     if m["mchid"] == MCHID)
    report = {"sdk": "wechatpayv3 " + wechatpayv3.__version__, "mode": args["mode"], "verifications": [],
              "rsa_checks": [], "requests": []}

    # Observe, without changing, what the SDK does: its HTTP calls, its verification, its RSA checks.
    real_request = requests.api.request

    def guarded_request(method, url, **kw):
        report["requests"].append(f"{method.upper()} {url}")
        if not (url == base or url.startswith(base + "/")):
            raise RuntimeError(f"refused: the SDK asked for {url}, outside the sandbox")
        kw.setdefault("timeout", 10)
        return real_request(method, url, **kw)

    requests.api.request = guarded_request
    real_rsa_verify = core.rsa_verify

    def rsa_verify(*a, **kw):
        result = real_rsa_verify(*a, **kw)
        report["rsa_checks"].append(result)
        return result

    core.rsa_verify = rsa_verify
    real_verify_signature = core.Core._verify_signature

    def verify_signature(self, headers, body):
        entry = {"serial": headers.get("Wechatpay-Serial"), "result": None}
        report["verifications"].append(entry)
        entry["result"] = real_verify_signature(self, headers, body)
        return entry["result"]

    core.Core._verify_signature = verify_signature

    if args["mode"] == "public_key":
        keys = {"public_key": (SANDBOX / "keys" / "wechatpay_public_key.pem").read_text(), "public_key_id": PUB_KEY_ID}
    else:  # platform certificates only, read from cert_dir (so the constructor downloads nothing)
        keys = {"cert_dir": args["cert_dir"]}
    wxpay = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=MCHID, appid="wxd678efh567hg6787",
                      private_key=MERCHANT_KEY.read_text(), cert_serial_no=SERIAL, apiv3_key=apiv3_key,
                      timeout=(10, 10), **keys)
    wxpay._core._gate_way = base  # instead of https://api.mch.weixin.qq.com (there is no parameter)
    path = f"/v3/papay/sign/contracts/plan-id/{args.get('plan', 12535)}/out-contract-code/{args['code']}/terminate"
    try:
        status, body = wxpay._core.request(path, method=RequestType.POST,
                                           data={"contract_termination_remark": args.get("remark", REMARK)})
        # wechatpayv3 returns non-2xx answers (unsigned, never verified) instead of raising.
        report.update(outcome="ok" if 200 <= status < 300 else "error", status=status,
                      body=body if isinstance(body, str) else body.decode("utf-8", "replace"))
    except Exception as e:  # wechatpayv3 raises a bare Exception when verification fails
        verifying = bool(report["verifications"]) or "algorithm" in str(e)
        report.update(outcome="rejected" if verifying else "error", error=f"{type(e).__name__}: {e}")
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
