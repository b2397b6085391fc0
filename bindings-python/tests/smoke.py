"""Smoke test of an installed wheel, for any CPython ≥ 3.9 (standard library only):
import, build and sign requests, verify responses and parse notifications from the shared
vectors (tests/vectors/cases). Usage: python smoke.py REPO_ROOT; exit status 0 when all pass."""
import base64
import json
import sys
from pathlib import Path

import wxpay_terminate as wt

ROOT = Path(sys.argv[1])
VECTORS = ROOT / "tests" / "vectors"
CLIENTS = json.loads((VECTORS / "clients.json").read_text(encoding="utf-8"))


def client(name):
    config = CLIENTS[name]
    key = lambda file: (VECTORS / "keys" / file).read_text()  # noqa: E731
    kwargs = {"mchid": config.get("mchid"), "serial_no": config.get("serial_no")}
    if config.get("private_key"):
        kwargs["private_key"] = key(config["private_key"])
    if config.get("wechatpay_public_key_id"):
        kwargs["wechatpay_public_key_id"] = config["wechatpay_public_key_id"]
    if config.get("wechatpay_public_key"):
        kwargs["wechatpay_public_key"] = key(config["wechatpay_public_key"])
    kwargs["platform_certificates"] = [key(n) for n in config.get("platform_certificates") or []]
    for name in ("base_url", "global_base_url", "apiv3_key"):
        if config.get(name):
            kwargs[name] = config[name]
    return wt.Client(**kwargs)


def body_of(message):
    return message["body"].encode("utf-8") if "body" in message else base64.b64decode(message["body_base64"])


def outcome(call, expect):
    try:
        result = call()
    except wt.WxpayError as e:
        assert "error" in expect and type(e).kind == expect["error"]["kind"], (e, expect)
        return "error"
    assert "ok" in expect, (result, expect)
    return result


counts = {}
for path in sorted((VECTORS / "cases").rglob("*.json")):
    case = json.loads(path.read_text(encoding="utf-8"))
    kind = path.parent.name
    if kind == "request" and case.get("operation"):
        c = client(case["client"])
        req = getattr(c, case["operation"])(timestamp=case["timestamp"], nonce=case["nonce"], **case["params"])
        assert req.headers["Authorization"] == case["expect"]["authorization"], path
    elif kind == "response":
        c = client(case["client"])
        r = case["response"]
        got = outcome(lambda: c.parse(case["operation"], r["status"], [tuple(h) for h in r["headers"]], body_of(r), now=case["now"]), case["expect"])
        if got != "error":
            assert got.data == case["expect"]["ok"]["data"], path
    elif kind == "notification":
        c = client(case["client"])
        n = case["notification"]
        got = outcome(lambda: c.parse_notification([tuple(h) for h in n["headers"]], body_of(n), now=case["now"]), case["expect"])
        if got != "error":
            assert got == case["expect"]["ok"], path
    else:
        continue
    counts[kind] = counts.get(kind, 0) + 1

assert all(counts.get(k) for k in ("request", "response", "notification")), counts
assert wt.notification_ack().status == 200
print("smoke ok: python %s, wxpay_terminate %s from %s, %s" % (sys.version.split()[0], wt.__version__, wt.__file__, counts))
