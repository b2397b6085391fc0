"""End to end over real HTTP: tests/sandbox/e2e_plan.json with requests and httpx.

The sandbox is an independent WeChat Pay stand-in: it verifies our signatures with OpenSSL,
changes contract state, signs its answers, and injects the faults a client must survive.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import httpx
import pytest
import requests

import wxpay_terminate as wt

from conftest import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PLAN = json.loads((ROOT / "tests" / "sandbox" / "e2e_plan.json").read_text(encoding="utf-8"))
ERRORS = {
    "api": wt.ApiError,
    "signature_probe": wt.SignatureProbeError,
    "invalid_signature": wt.SignatureError,
    "clock_skew": wt.ClockSkewError,
    "unsigned_response": wt.UnsignedResponseError,
    "unknown_serial": wt.UnknownSerialError,
}


def plan_client(sandbox: Sandbox) -> wt.Client:
    m = PLAN["merchant"]
    return wt.Client(
        mchid=m["mchid"],
        serial_no=m["serial_no"],
        private_key=ROOT / m["private_key"],
        wechatpay_public_key_id=m["wechatpay_public_key_id"],
        wechatpay_public_key=ROOT / m["wechatpay_public_key"],
        platform_certificates=[ROOT / p for p in m["platform_certificates"]],
        base_url=sandbox.url,
        global_base_url=sandbox.url,
    )


def send(transport: str, req: wt.Request[Any]) -> Any:
    if transport == "requests":
        r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
        return r.status_code, r.headers, r.content
    with httpx.Client(timeout=10) as http:
        r = http.request(req.method, req.url, headers=req.headers, content=req.body)
        return r.status_code, r.headers, r.content


def is_subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and is_subset(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


def test_plan_covers_every_termination() -> None:
    # Queries are run by test_confirm.py, each after a lost termination answer.
    terminations = {op["id"] for op in wt.CATALOG["operations"] if op["confirm_with"]}
    assert {t["operation"] for t in PLAN["terminations"]} == terminations


@pytest.mark.parametrize("transport", ["requests", "httpx"])
@pytest.mark.parametrize("step", PLAN["terminations"], ids=[t["operation"] for t in PLAN["terminations"]])
def test_termination(sandbox: Sandbox, transport: str, step: Dict[str, Any]) -> None:
    client = plan_client(sandbox)
    assert sandbox.state(step["record"]) == "EFFECTIVE"
    req = getattr(client, step["operation"])(**step["params"])
    result = client.parse(req, *send(transport, req))
    assert result.status == step["status"]
    assert result.request_id
    if step["data"] is None:
        assert result.data is None
    else:
        assert is_subset(step["data"], result.data), result.data
    assert sandbox.state(step["record"]) != "EFFECTIVE"


@pytest.mark.parametrize("transport", ["requests", "httpx"])
@pytest.mark.parametrize("step", PLAN["failures"], ids=[f["name"] for f in PLAN["failures"]])
def test_failure(sandbox: Sandbox, transport: str, step: Dict[str, Any]) -> None:
    client = plan_client(sandbox)
    req = getattr(client, step["operation"])(**step["params"])
    if step["fault"]:
        sandbox.control("POST", "/sandbox/faults", {"fault": step["fault"], "count": 1})
    with pytest.raises(wt.WxpayError) as info:
        client.parse(req, *send(transport, req))
    want = step["error"]
    assert type(info.value) is ERRORS[want["kind"]]
    for attr in ("status", "code", "api_message", "retryable"):
        if attr in want:
            assert getattr(info.value, attr) == want[attr]
    if want["kind"] == "api":
        assert info.value.request_id


def test_platform_certificate_mode(sandbox: Sandbox) -> None:
    """Without a public key the client sends no Wechatpay-Serial and verifies the certificate signature."""
    m = PLAN["merchant"]
    client = wt.Client(
        mchid=m["mchid"],
        serial_no=m["serial_no"],
        private_key=ROOT / m["private_key"],
        platform_certificates=[ROOT / m["platform_certificates"][0]],
        base_url=sandbox.url,
    )
    req = client.terminate_edu_papay_contract(contract_id="204009101000000000000002")
    assert "Wechatpay-Serial" not in req.headers
    status, headers, body = send("requests", req)
    assert headers["Wechatpay-Serial"] == "3C5E2E7D9A1B4F6081C2D3E4F5A6B7C8D9E0F1A2"
    assert client.parse(req, status, headers, body).status == 204
