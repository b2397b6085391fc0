"""Every file of tests/vectors/cases, through the public Python API, exactly as in Rust."""
from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Tuple

import pytest

import wxpay_terminate as wt
from wxpay_terminate import _native

from conftest import CLIENTS, KEYS, VECTORS, client_kwargs, make_client

CASE_FILES = sorted((VECTORS / "cases").rglob("*.json"))
CASES: List[Tuple[str, Dict[str, Any]]] = [
    (str(path.relative_to(VECTORS / "cases").with_suffix("")), json.loads(path.read_text())) for path in CASE_FILES
]
ERROR_CLASSES = {
    "invalid_input": wt.InvalidInputError,
    "invalid_key": wt.InvalidKeyError,
    "unsigned_response": wt.UnsignedResponseError,
    "invalid_signature": wt.SignatureError,
    "signature_probe": wt.SignatureProbeError,
    "unknown_serial": wt.UnknownSerialError,
    "clock_skew": wt.ClockSkewError,
    "api": wt.ApiError,
    "decode": wt.DecodeError,
}


def test_every_vector_file_is_run() -> None:
    assert len(CASE_FILES) >= 100
    assert len(CASES) == len(CASE_FILES)
    runners = {"signing", "request", "request_generic", "request_error", "client_error", "response"}
    unknown = {case["type"] for _, case in CASES} - runners
    assert not unknown, f"vector types without a Python runner: {unknown}"


def check_error(error: wt.WxpayError, want: Dict[str, Any]) -> None:
    assert type(error) is ERROR_CLASSES[want["kind"]], (type(error), str(error))
    assert error.kind == want["kind"]
    assert isinstance(error, wt.WxpayError)
    if "field" in want:
        assert error.field == want["field"]
    for attr in ("status", "code", "request_id", "retryable"):
        if attr in want:
            assert getattr(error, attr) == want[attr], attr
    if "message" in want:
        assert error.message == want["message"]
    if "detail" in want:
        assert error.detail == want["detail"]
    text = f"{error} {error!r}"
    assert "MII" not in text and "KEY-----" not in text


def check_request(req: wt.Request[Any], want: Dict[str, Any], expect: Dict[str, Any]) -> None:
    assert req.method == want["method"]
    assert req.url == want["url"]
    lower = {name.lower(): value for name, value in req.headers.items()}
    for name, value in want["headers"].items():
        assert lower.get(name.lower()) == value, name
    for name in want.get("absent_headers", []):
        assert name.lower() not in lower
    assert lower["user-agent"].startswith(want["user_agent_prefix"])
    assert lower["user-agent"].endswith(")") and "(python/" in lower["user-agent"]
    expected_names = {n.lower() for n in want["headers"]} | {"user-agent"}
    assert set(lower) == expected_names
    body = None if req.body is None else req.body.decode("utf-8")
    assert body == want["body"]
    assert req.headers["Authorization"] == expect["authorization"]


def build(client: wt.Client, case: Dict[str, Any], unsigned: bool = False) -> Any:
    calls = client.unsigned if unsigned else client
    if case.get("operation"):
        operation = case["operation"]
        if operation in wt.OPERATIONS:
            return getattr(calls, operation)(**case["params"], timestamp=case["timestamp"], nonce=case["nonce"])
        return calls.prepare(operation, case["params"], timestamp=case["timestamp"], nonce=case["nonce"])
    return calls.request(
        case["method"],
        case["template"],
        path_params=case.get("path_params"),
        query=[tuple(pair) for pair in case.get("query", [])],
        json=case.get("json"),
        timestamp=case["timestamp"],
        nonce=case["nonce"],
    )


def run_signing(case: Dict[str, Any]) -> None:
    key = (KEYS / case["key"]).read_bytes()
    if "message" in case:
        message = case["message"].encode("utf-8")
    else:
        # The stage is built by the binding: an unsigned generic request over the same parts.
        client = wt.Client(**client_kwargs({**CLIENTS["doc_pubkey"], "private_key": case["key"]}))
        body = json.loads(case["body"]) if case["body"] else None
        unsigned = client.unsigned.request(
            case["method"], case["canonical_url"], json=body, timestamp=case["timestamp"], nonce=case["nonce"]
        )
        message = unsigned.string_to_sign
        assert message.decode("utf-8") == case["expect"]["string_to_sign"]
    assert _native.sign_message(key, message) == case["expect"]["signature"]


def run_request(case: Dict[str, Any]) -> None:
    client = make_client(case["client"])
    expect = case["expect"]
    req = build(client, case)
    check_request(req, expect["request"], expect)
    # Two-phase signing with the oracle's signature gives the same descriptor, from base64 or raw bytes.
    unsigned = build(client, case, unsigned=True)
    assert unsigned.string_to_sign.decode("utf-8") == expect["string_to_sign"]
    assert unsigned.complete(expect["signature"]) == req
    assert unsigned.complete(base64.b64decode(expect["signature"])) == req
    if case.get("operation"):
        assert req.operation == case["operation"]


def run_request_error(case: Dict[str, Any]) -> None:
    client = make_client(case["client"])
    with pytest.raises(wt.WxpayError) as info:
        build(client, case)
    check_error(info.value, case["expect"]["error"])


def run_client_error(case: Dict[str, Any]) -> None:
    with pytest.raises(wt.WxpayError) as info:
        wt.Client(**client_kwargs(case["config"]))
    check_error(info.value, case["expect"]["error"])


def run_response(case: Dict[str, Any]) -> None:
    client = make_client(case["client"])
    response = case["response"]
    body = response["body"].encode("utf-8") if "body" in response else base64.b64decode(response["body_base64"])
    headers = [tuple(pair) for pair in response["headers"]]
    expect = case["expect"]
    if "ok" in expect:
        parsed = client.parse(case["operation"], response["status"], headers, body, now=case["now"])
        assert parsed == wt.Parsed(status=expect["ok"]["status"], request_id=expect["ok"]["request_id"], data=expect["ok"]["data"])
    else:
        with pytest.raises(wt.WxpayError) as info:
            client.parse(case["operation"], response["status"], headers, body, now=case["now"])
        check_error(info.value, expect["error"])
        signature = dict((n.lower(), v) for n, v in headers).get("wechatpay-signature", "")
        if len(signature) > 8:
            assert signature not in str(info.value)


RUNNERS = {
    "signing": run_signing,
    "request": run_request,
    "request_generic": run_request,
    "request_error": run_request_error,
    "client_error": run_client_error,
    "response": run_response,
}


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_vector(case: Dict[str, Any]) -> None:
    runner = RUNNERS.get(case["type"])
    if runner is None:
        pytest.fail(f"no Python runner for vector type {case['type']!r}")
    runner(case)
