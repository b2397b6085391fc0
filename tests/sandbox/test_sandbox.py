"""Tests of the WeChat Pay APIv3 sandbox (tests/sandbox/server.py), run as a subprocess.

The client side here is its own minimal signer/verifier written with `cryptography`; it
shares no code with the server nor with wxpay-terminate. Platform-certificate downloads are
decrypted here with the APIv3 keys and parsed with `cryptography.x509`. Every request has a timeout and
every server process is stopped in a `finally`, killed if it does not exit in time.
Notifications are received by a small `http.server` on 127.0.0.1 (`Receiver`), verified and
decrypted here with `cryptography` (RSA PKCS#1 v1.5 SHA-256, AES-256-GCM).

Run: python3 -m pytest tests/sandbox -q
"""

import base64
import collections
import datetime as dt
import json
import os
import queue
import http.client as http_client
import re
import secrets
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent
SERVER = HERE / "server.py"
KEYS = HERE / "keys"
VECTOR_KEYS = HERE.parent / "vectors" / "keys"
TIMEOUT = 10  # seconds, for every request and every wait on the server process

PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000099"
SCHEME = "WECHATPAY2-SHA256-RSA2048"
RFC3339_CST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def _private(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


@dataclass(frozen=True)
class Merchant:
    mchid: str
    serial: str
    key: object


DOC = Merchant("1900007291", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB", _private(VECTOR_KEYS / "merchant_doc_pkcs8.pem"))
GO = Merchant("1234567890", "F5765756002FDD77", _private(VECTOR_KEYS / "merchant_go_pkcs8.pem"))

WECHATPAY_PUBLIC_KEY = serialization.load_pem_public_key((KEYS / "wechatpay_public_key.pem").read_bytes())
PLATFORM_CERT = x509.load_pem_x509_certificate((KEYS / "platform_cert.pem").read_bytes())
PLATFORM_SERIAL = format(PLATFORM_CERT.serial_number, "X")

# ---------------------------------------------------------------------------
# Server process
# ---------------------------------------------------------------------------


@dataclass
class Sandbox:
    proc: subprocess.Popen
    url: str
    stderr: object  # a temporary file: a pipe nobody reads could fill up and block the server


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:  # bounded by the deadline
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise TimeoutError("the sandbox printed no SANDBOX_URL line in time")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"the sandbox exited early with {proc.poll()}")
            buf += chunk
    return buf.split(b"\n", 1)[0].decode()


def start(*args: str) -> Sandbox:
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=stderr)
    try:
        line = _read_line(proc, TIMEOUT)
        assert re.fullmatch(r"SANDBOX_URL=https?://127\.0\.0\.1:\d+", line), line
        return Sandbox(proc, line.split("=", 1)[1], stderr)
    except BaseException:
        stop(proc)
        stderr.close()
        raise


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> Optional[int]:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    if proc.stdout:
        proc.stdout.close()
    return proc.returncode


# Notification retries 1000x faster than WeChat Pay's schedules; a reply slower than 2 s fails.
NOTIFY_ARGS = ("--notify-time-scale", "0.001", "--notify-timeout", "2")


@pytest.fixture(scope="session")
def server():
    sandbox = start(*NOTIFY_ARGS)
    try:
        yield sandbox
        sandbox.stderr.seek(0)
        log = sandbox.stderr.read().decode("utf-8", "replace")
        assert "internal error" not in log and "Traceback" not in log, log[-2000:]
    finally:
        stop(sandbox.proc)
        sandbox.stderr.close()


@pytest.fixture
def base(server) -> str:
    """The base URL of a freshly re-seeded sandbox."""
    r = http("POST", server.url + "/sandbox/reset")
    assert r.status == 200
    return server.url


# ---------------------------------------------------------------------------
# HTTP client, signer and verifier (independent of the server's code)
# ---------------------------------------------------------------------------


@dataclass
class Resp:
    status: int
    headers: object
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)


def http(method: str, url: str, body: Optional[bytes] = None, headers=(), context=None) -> Resp:
    req = urllib.request.Request(url, data=body, method=method)
    for name, value in headers:
        req.add_header(name, value)
    handlers = [urllib.request.HTTPSHandler(context=context)] if context else []
    opener = urllib.request.build_opener(*handlers)
    opener.addheaders = []  # no default User-Agent: the tests decide every header
    try:
        with opener.open(req, timeout=TIMEOUT) as r:
            resp = Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        with e:
            resp = Resp(e.code, e.headers, e.read())
    assert resp.header("Request-ID"), "every response carries a Request-ID"
    return resp


def sign(key, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(merchant: Merchant, method: str, target: str, body: bytes, ts: Optional[int] = None,
                  nonce: Optional[str] = None, order=("mchid", "nonce_str", "signature", "timestamp", "serial_no"),
                  **override) -> str:
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or secrets.token_hex(16).upper()
    message = f"{method}\n{target}\n{ts}\n{nonce}\n".encode() + body + b"\n"
    items = {"mchid": merchant.mchid, "nonce_str": nonce, "signature": sign(merchant.key, message),
             "timestamp": str(ts), "serial_no": merchant.serial, **override}
    return SCHEME + " " + ",".join(f'{k}="{items[k]}"' for k in order)


def encode(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def api(base: str, method: str, target: str, body=None, *, raw: Optional[bytes] = None,
        merchant: Merchant = DOC, serial_header: Optional[str] = PUB_KEY_ID, fault: Optional[str] = None,
        content_type: Optional[str] = "application/json", omit=(), auth: Optional[str] = None,
        sign_target: Optional[str] = None, sign_body: Optional[bytes] = None, ts: Optional[int] = None,
        extra_headers=()) -> Resp:
    """One signed API call. `raw` sends exact bytes; sign_* sign something other than what is sent."""
    data = raw if raw is not None else (encode(body) if body is not None else b"")
    if auth is None:
        auth = authorization(merchant, method, sign_target or target,
                             data if sign_body is None else sign_body, ts=ts)
    headers = {"Accept": "application/json", "User-Agent": "sandbox-tests/1.0", "Authorization": auth}
    if data and content_type:
        headers["Content-Type"] = content_type
    if serial_header:
        headers["Wechatpay-Serial"] = serial_header
    if fault:
        headers["X-Sandbox-Fault"] = fault
    pairs = [(k, v) for k, v in headers.items() if k not in omit] + list(extra_headers)
    return http(method, base + target, data if data else None, pairs)


def outcome(resp: Resp, now: Optional[float] = None) -> str:
    """What a careful client concludes about a 2xx response: ok, or why it must be rejected."""
    h = resp.header
    names = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")
    if any(h(n) is None for n in names):
        return "unsigned"
    signature = h("Wechatpay-Signature")
    if signature.startswith("WECHATPAY/SIGNTEST/"):
        return "probe"
    serial = h("Wechatpay-Serial")
    if serial == PUB_KEY_ID:
        key = WECHATPAY_PUBLIC_KEY
    elif serial == PLATFORM_SERIAL:
        key = PLATFORM_CERT.public_key()
    else:
        return "unknown_serial"
    ts = h("Wechatpay-Timestamp")
    if abs(int(ts) - (now or time.time())) > 300:
        return "skew"
    message = f"{ts}\n{h('Wechatpay-Nonce')}\n".encode() + resp.body + b"\n"
    try:
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return "bad_signature"
    assert h("Wechatpay-Signature-Type") == SCHEME
    return "ok"


def state(base: str) -> dict:
    return {r["id"]: r for r in http("GET", base + "/sandbox/state").json()["records"]}


def dig(obj, path: str):
    for part in path.split("/"):
        obj = obj[part]
    return obj


# ---------------------------------------------------------------------------
# Per-endpoint cases (the test's own table, written from the catalog and the seeds in README)
# ---------------------------------------------------------------------------

TIME = object()  # "an RFC 3339 time with +08:00"


@dataclass
class Case:
    name: str
    method: str
    target: str
    body: Optional[dict]
    status: int
    state_id: str
    foreign_target: str  # a record of merchant 1234567890
    foreign_body: Optional[dict]
    unknown_target: str  # no such record for 1900007291
    unknown_body: Optional[dict]
    required: tuple = ()  # response fields that must be present
    values: dict = field(default_factory=dict)  # "a/b" -> expected value (TIME: any +08:00 time)
    mode: str = "MCH_API_TERMINATE"


def _pe(service_id, code):
    return f"/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{code}/terminate"


def _papay(plan_id, code, kind="sign"):
    return f"/v3/papay/{kind}/contracts/plan-id/{plan_id}/out-contract-code/{code}/terminate"


def _combine(plan_id, code):
    return f"/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{code}/terminate"


def _face(org, user):
    return f"/v3/offlinefacemch/organizations/{org}/users/user-id/{user}/terminate-contract"


REMARK = {"contract_termination_remark": "用户解约"}
TERMINATE_INFO = {"contract_terminate_info/contract_termination_mode": "MCH_API_TERMINATE",
                  "contract_terminate_info/contract_termination_remark": "用户解约",
                  "contract_terminate_info/contract_terminated_time": TIME,
                  "contract_state": "TERMINATED"}
EDU = "/v3/eduschoolpay/contracts/{}/terminate"
GLOBAL = "/v3/global/papay/contracts/{}/terminate"
PS_CODE = "/v3/payscore/permissions/authorization-code/{}/terminate"
PS_OPENID = "/v3/payscore/permissions/openid/{}/terminate"
PSP_CODE = "/v3/payscore/partner/permissions/authorization-code/{}/terminate"
PSP = "/v3/payscore/partner/permissions/terminate"
PSA = "/v3/payscore/acquiringbank/permissions/authorization-code/{}/terminate"
PSU = "/v3/payscore/users/{}/permissions/{}/terminate"
TRANSFER = "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{}/close"
TRANSFER_P = "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{}/close"
EMPLOYEE = "/v3/webizpay/employees/{}/revoke"
CREDIT = "/v3/credit-repayment/partner/contracts/terminate"
APPID = "wxd678efh567hg6787"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS"

CASES = [
    Case("eduschoolpay", "POST", EDU.format("2045011120563805041758214605"), None, 204,
         "eduschoolpay:2045011120563805041758214605",
         EDU.format("2045011120563805041758219999"), None, EDU.format("2045011120563805041758210000"), None),
    Case("password_exempt", "POST", _pe(12535, "wxwtdk20200910100000"), REMARK, 200,
         "password_exempt:12535:wxwtdk20200910100000",
         _pe(12536, "wxwtdk20200910100002"), REMARK, _pe(12535, "wxwtdk20200910199999"), REMARK,
         ("mchid", "service_id", "out_contract_code"),
         {"mchid": "1900007291", "service_id": 12535, "out_contract_code": "wxwtdk20200910100000"}),
    Case("papay", "POST", _papay(12535, "wxwtdk20200910100000"), REMARK, 200,
         "papay:12535:wxwtdk20200910100000",
         _papay(12537, "wxwtdk20200910100003"), REMARK, _papay(12535, "nosuchcontract01"), REMARK,
         ("mchid", "contract_id", "appid", "plan_id", "out_contract_code", "contract_display_account",
          "contract_state", "openid", "deduct_schedule"),
         {"mchid": "1900007291", "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
          "deduct_schedule/estimated_deduct_amount/total": 1500, **TERMINATE_INFO}),
    Case("papay_partner", "POST", _papay(12535, "wxwtdk20200910200000", "sign/partner"),
         {"sub_mchid": "1900000109", **REMARK}, 200, "papay_partner:12535:wxwtdk20200910200000",
         _papay(12535, "wxwtdk20200910200002", "sign/partner"), {"sub_mchid": "1900000111", **REMARK},
         _papay(12535, "wxwtdk20200910200000", "sign/partner"), {"sub_mchid": "1900000110", **REMARK},
         ("contract_id", "sp_mchid", "sp_appid", "sub_mchid", "plan_id", "out_contract_code",
          "contract_display_account", "contract_state", "sp_openid"),
         {"sp_mchid": "1900007291", "sub_mchid": "1900000109", "plan_id": 12535, **TERMINATE_INFO}),
    Case("papay_insurance", "POST", _papay(12535, "insur20240101000001", "insurance-sign"), REMARK, 200,
         "papay_insurance:12535:insur20240101000001",
         _papay(12538, "insur20240101000003", "insurance-sign"), REMARK,
         _papay(12535, "insur20240101009999", "insurance-sign"), REMARK,
         ("mchid", "contract_id", "appid", "plan_id", "out_contract_code", "contract_state", "openid"),
         {"mchid": "1900007291", "out_contract_code": "insur20240101000001", **TERMINATE_INFO}),
    Case("combine_papay", "POST", _combine(12535, "combine2024010100001"), REMARK, 200,
         "combine_papay:12535:combine2024010100001",
         _combine(12539, "combine2024010100003"), REMARK, _combine(12536, "combine2024010100001"), REMARK,
         ("mchid", "plan_id", "out_contract_code"),
         {"mchid": "1900007291", "plan_id": 12535, "out_contract_code": "combine2024010100001"}),
    Case("credit_repayment", "POST", CREDIT, {"out_contract_code": "100001256", **REMARK}, 200,
         "credit_repayment:100001256",
         CREDIT, {"out_contract_code": "100001258", **REMARK}, CREDIT, {"out_contract_code": "100009999", **REMARK},
         ("contract_info",),
         {"contract_info/out_contract_code": "100001256", "contract_info/plan_id": "10001",
          "contract_info/contract_state": "CONTRACT_STATE_TERMINATED",
          "contract_info/contract_terminated_mode": "TERMINATION_MODE_BY_MERCHANT",
          "contract_info/contract_termination_remark": "用户解约", "contract_info/contract_terminated_time": TIME,
          "contract_info/repayment_amount_limit": 500000, "contract_info/display_name": "*明"},
         mode="TERMINATION_MODE_BY_MERCHANT"),
    Case("global_papay", "POST", GLOBAL.format("203009101000000000000001"),
         {"appid": APPID, "termination_note": "用户要求解约"}, 204, "global_papay:203009101000000000000001",
         GLOBAL.format("203009101000000000000003"), {}, GLOBAL.format("203009101000000000000009"), {}),
    Case("edu_papay", "DELETE", "/v3/edu-papay/contracts/204009101000000000000001", None, 204,
         "edu_papay:204009101000000000000001", "/v3/edu-papay/contracts/204009101000000000000003", None,
         "/v3/edu-papay/contracts/204009101000000000000009", None),
    Case("facepay", "POST", _face("1000032", "FACEUSER0000000001"), None, 204, "facepay:1000032:FACEUSER0000000001",
         _face("1000099", "FACEUSER0000000003"), None, _face("1000032", "FACEUSER0000000099"), None),
    Case("payscore_by_code", "POST", PS_CODE.format("authcode20200910000001"),
         {"service_id": "500001", "reason": "用户投诉"}, 204, "payscore:authcode20200910000001",
         PS_CODE.format("authcode20200910000004"), {"service_id": "500009", "reason": "用户投诉"},
         PS_CODE.format("authcode20200910000001"), {"service_id": "500002", "reason": "用户投诉"}),
    Case("payscore_by_openid", "POST", PS_OPENID.format(OPENID + "2"),
         {"service_id": "500001", "appid": APPID, "reason": "用户投诉"}, 204, "payscore:authcode20200910000002",
         PS_OPENID.format(OPENID + "4"), {"service_id": "500009", "appid": APPID, "reason": "用户投诉"},
         PS_OPENID.format("oUnknownUser"), {"service_id": "500001", "appid": APPID, "reason": "用户投诉"}),
    Case("payscore_partner_by_code", "POST", PSP_CODE.format("authcode20200910000005"),
         {"service_id": "500001", "sub_mchid": "1900000109", "reason": "用户投诉"}, 204,
         "payscore_partner:authcode20200910000005",
         PSP_CODE.format("authcode20200910000007"), {"service_id": "500009", "sub_mchid": "1900000111", "reason": "x"},
         PSP_CODE.format("authcode20200910000005"), {"service_id": "500001", "sub_mchid": "1900000999", "reason": "x"}),
    Case("payscore_partner_by_openid", "POST", PSP,
         {"service_id": "500001", "appid": APPID, "sub_mchid": "1900000109", "reason": "用户投诉", "openid": OPENID + "6"},
         204, "payscore_partner:authcode20200910000006",
         PSP, {"service_id": "500009", "appid": APPID, "sub_mchid": "1900000111", "reason": "x", "openid": OPENID + "7"},
         PSP, {"service_id": "500001", "appid": APPID, "sub_mchid": "1900000109", "reason": "x", "openid": "oUnknown"}),
    Case("payscore_acquiringbank", "POST", PSA.format("authcode20200910000008"),
         {"service_id": "500001", "sub_mchid": "1900000109", "reason": "用户投诉", "channel_id": "1900000001"}, 204,
         "payscore_acquiringbank:authcode20200910000008",
         PSA.format("authcode20200910000000"), {"service_id": "500009", "sub_mchid": "1900000111", "reason": "x"},
         PSA.format("authcode20200910000008"),
         {"service_id": "500001", "sub_mchid": "1900000109", "reason": "x", "channel_id": "1900000999"}),
    Case("payscore_user", "POST", PSU.format(OPENID + "3", "500002"), {"appid": APPID, "reason": "用户投诉"}, 204,
         "payscore:authcode20200910000003",
         PSU.format(OPENID + "4", "500009"), {"appid": APPID, "reason": "x"},
         PSU.format(OPENID + "3", "500001"), {"appid": APPID, "reason": "x"}),
    Case("transfer", "POST", TRANSFER.format("plfk2020042013"), None, 200, "transfer_authorization:plfk2020042013",
         TRANSFER.format("plfk2020042099"), None, TRANSFER.format("plfk2020049999"), None,
         ("out_authorization_no", "appid", "openid", "user_display_name", "authorization_id", "state",
          "authorize_time", "close_info"),
         {"out_authorization_no": "plfk2020042013", "state": "CLOSED",
          "close_info/close_reason": "CLOSE_VIA_MCH_API", "close_info/close_time": TIME},
         mode="CLOSE_VIA_MCH_API"),
    Case("transfer_partner", "POST", TRANSFER_P.format("spfk2025041000001"), None, 200,
         "transfer_partner_authorization:spfk2025041000001",
         TRANSFER_P.format("spfk2025041000099"), None, TRANSFER_P.format("spfk2025049999999"), None,
         ("out_authorization_no", "appid", "openid", "user_display_name", "state", "close_info", "transfer_scene_id"),
         {"state": "CLOSED", "transfer_scene_id": "1000", "close_info/close_reason": "CLOSE_VIA_MCH_API"},
         mode="CLOSE_VIA_MCH_API"),
    Case("webizpay", "POST", EMPLOYEE.format("WeBizPay_a968402a-73bb-43e2-9e1a-8371b0ca3d7c"),
         {"sp_mchid": "1900007291", "sub_mchid": "43214321"}, 200,
         "webizpay_employee:WeBizPay_a968402a-73bb-43e2-9e1a-8371b0ca3d7c",
         EMPLOYEE.format("WeBizPay_c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e5f"), {"sp_mchid": "1234567890", "sub_mchid": "43219999"},
         EMPLOYEE.format("WeBizPay_a968402a-73bb-43e2-9e1a-8371b0ca3d7c"), {"sp_mchid": "1900007291", "sub_mchid": "43210000"},
         ("sp_mchid", "sub_mchid", "user_id", "authorization_state", "authorization_revoked_time", "reason"),
         {"sp_mchid": "1900007291", "user_id": "employee123", "authorization_state": "REVOKED",
          "authorization_revoked_time": TIME}),
]
CASE_IDS = [c.name for c in CASES]


def check_success_body(case: Case, resp: Resp) -> None:
    if case.status == 204:
        assert resp.body == b"" and resp.header("Content-Type") is None
        return
    assert resp.header("Content-Type") == "application/json"
    body = resp.json()
    for name in case.required:
        assert name in body, name
    for path, expected in case.values.items():
        value = dig(body, path)
        if expected is TIME:
            assert RFC3339_CST.match(value), value
        else:
            assert value == expected, path


def test_catalog_has_19_endpoints():
    assert len(CASES) == 19 and len({(c.method, re.sub(r"/[^/]*\d[^/]*", "/*", c.target)) for c in CASES}) == 19


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_terminate_changes_state_and_repeat_is_rejected(base, case):
    assert state(base)[case.state_id]["state"] == "EFFECTIVE"
    resp = api(base, case.method, case.target, case.body)
    assert resp.status == case.status, resp.body
    assert outcome(resp) == "ok"
    assert resp.header("Wechatpay-Serial") == PUB_KEY_ID
    check_success_body(case, resp)

    record = state(base)[case.state_id]
    assert record["state"] == "TERMINATED"
    assert record["termination"]["mode"] == case.mode
    assert RFC3339_CST.match(record["termination"]["time"])

    again = api(base, case.method, case.target, case.body)
    assert again.status == 400
    assert again.json()["code"] == "INVALID_REQUEST"
    assert "已" in again.json()["message"]  # 协议已解约 / 授权已关闭 / …
    assert again.header("Wechatpay-Signature") is None


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_unknown_and_foreign_records_are_not_found(base, case):
    before = state(base)
    for target, body in ((case.unknown_target, case.unknown_body), (case.foreign_target, case.foreign_body)):
        resp = api(base, case.method, target, body)
        assert resp.status == 404, (target, resp.body)
        assert resp.json()["code"] == "NOT_FOUND"
    assert state(base) == before


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_second_merchant_terminates_its_own_record_signed_by_platform_cert(base, case):
    resp = api(base, case.method, case.foreign_target, case.foreign_body, merchant=GO, serial_header=None)
    assert resp.status == case.status, resp.body
    assert resp.header("Wechatpay-Serial") == PLATFORM_SERIAL
    assert outcome(resp) == "ok"


# ---------------------------------------------------------------------------
# Seeds and products
# ---------------------------------------------------------------------------

SEED_EXAMPLES = [
    "eduschoolpay:2045011120563805041758214605",
    "password_exempt:12535:wxwtdk20200910100000",
    "papay:12535:wxwtdk20200910100000",
    "credit_repayment:100001256",
]


def test_seeds_include_the_documented_examples_and_two_per_collection(base):
    records = state(base)
    for rid in SEED_EXAMPLES:
        assert records[rid]["owner"] == "1900007291" and records[rid]["state"] == "EFFECTIVE"
    per_collection = {}
    for r in records.values():
        if r["owner"] == "1900007291" and r["state"] == "EFFECTIVE":
            per_collection[r["collection"]] = per_collection.get(r["collection"], 0) + 1
    assert len(per_collection) == 16 and min(per_collection.values()) >= 2
    assert {r["owner"] for r in records.values()} == {"1900007291", "1234567890"}


def test_user_terminated_seed_is_already_terminated(base):
    resp = api(base, "POST", _papay(12535, "wxwtdk20200910100009"), REMARK)
    assert (resp.status, resp.json()["code"], resp.json()["message"]) == (400, "INVALID_REQUEST", "协议已解约")


def test_payscore_authorization_is_shared_between_its_endpoints(base):
    # Terminated by openid, the same authorization is gone for the authorization-code endpoint.
    assert api(base, "POST", PS_OPENID.format(OPENID + "1"),
               {"service_id": "500001", "appid": APPID, "reason": "r"}).status == 204
    resp = api(base, "POST", PS_CODE.format("authcode20200910000001"), {"service_id": "500001", "reason": "r"})
    assert (resp.status, resp.json()["message"]) == (400, "用户授权关系已解除")


def test_payscore_partner_by_sub_openid_and_neither_openid(base):
    body = {"service_id": "500001", "appid": APPID, "sub_mchid": "1900000109", "reason": "r"}
    resp = api(base, "POST", PSP, body)
    assert resp.status == 400 and resp.json()["detail"]["field"] == "/openid"
    resp = api(base, "POST", PSP, {**body, "sub_openid": "oSubUser0000000000000005", "sub_appid": "wxd678efh567hg0109"})
    assert resp.status == 204 and outcome(resp) == "ok"


def test_global_papay_accepts_an_empty_object(base):
    resp = api(base, "POST", GLOBAL.format("203009101000000000000002"), {})
    assert resp.status == 204 and outcome(resp) == "ok"


def test_remark_of_256_cjk_characters_is_accepted(base):
    remark = "解" * 256
    resp = api(base, "POST", _papay(12535, "wxwtdk20200910100001"), {"contract_termination_remark": remark})
    assert resp.status == 200 and outcome(resp) == "ok"
    assert resp.json()["contract_terminate_info"]["contract_termination_remark"] == remark
    assert "deduct_schedule" not in resp.json()


# ---------------------------------------------------------------------------
# Request verification, in order
# ---------------------------------------------------------------------------

PE = _pe(12535, "wxwtdk20200910100000")
PE_ID = "password_exempt:12535:wxwtdk20200910100000"


def error_of(resp: Resp):
    body = resp.json()
    return resp.status, body["code"], body["message"]


@pytest.mark.parametrize("missing", ["Accept", "User-Agent"])
def test_missing_accept_or_user_agent(base, missing):
    resp = api(base, "POST", PE, REMARK, omit=(missing,))
    assert error_of(resp) == (400, "INVALID_REQUEST", "Http头缺少Accept或User-Agent")


def test_header_check_comes_before_authorization(base):
    resp = api(base, "POST", PE, REMARK, omit=("Accept", "Authorization"))
    assert error_of(resp)[1] == "INVALID_REQUEST"


def _valid_items():
    auth = authorization(DOC, "POST", PE, encode(REMARK))
    return dict(re.findall(r'(\w+)="([^"]*)"', auth))


FORMAT_ERROR = "Http头Authorization值格式错误"


def _bad_authorizations():
    items = _valid_items()

    def join(d, sep=","):
        return SCHEME + " " + sep.join(f'{k}="{v}"' for k, v in d.items())

    return {
        "missing": None,
        "empty": "",
        "scheme_only": SCHEME,
        "no_space": SCHEME + join(items)[len(SCHEME) + 1:],
        "missing_key": join({k: v for k, v in items.items() if k != "nonce_str"}),
        "extra_key": join({**items, "foo": "bar"}),
        "duplicate_key": join(items) + ',mchid="1900007291"',
        "space_after_comma": join(items, ", "),
        "unquoted": join(items).replace('mchid="1900007291"', "mchid=1900007291"),
        "empty_value": join({**items, "nonce_str": ""}),
        "timestamp_not_digits": join({**items, "timestamp": "12a4"}),
    }


BAD_AUTH = _bad_authorizations()


@pytest.mark.parametrize("name", sorted(BAD_AUTH))
def test_malformed_authorization(base, name):
    value = BAD_AUTH[name]
    resp = api(base, "POST", PE, REMARK, auth=value or "", omit=() if value else ("Authorization",))
    assert error_of(resp) == (401, "SIGN_ERROR", FORMAT_ERROR)


def test_wrong_authorization_scheme(base):
    value = authorization(DOC, "POST", PE, encode(REMARK)).replace(SCHEME, "WECHATPAY2-SHA256-RSA4096")
    assert error_of(api(base, "POST", PE, REMARK, auth=value))[:2] == (401, "SIGN_ERROR")


@pytest.mark.parametrize("order", [
    ("mchid", "serial_no", "timestamp", "nonce_str", "signature"),  # PHP, axios
    ("mchid", "nonce_str", "timestamp", "serial_no", "signature"),  # Go, Java
    ("signature", "timestamp", "serial_no", "nonce_str", "mchid"),
])
def test_authorization_items_in_any_order(base, order):
    auth = authorization(DOC, "POST", PE, encode(REMARK), order=order)
    assert api(base, "POST", PE, REMARK, auth=auth).status == 200


def test_unknown_mchid(base):
    auth = authorization(DOC, "POST", PE, encode(REMARK), mchid="1900000001")
    assert error_of(api(base, "POST", PE, REMARK, auth=auth))[:2] == (401, "SIGN_ERROR")


def test_serial_of_another_merchant(base):
    auth = authorization(DOC, "POST", PE, encode(REMARK), serial_no=GO.serial)
    status, code, message = error_of(api(base, "POST", PE, REMARK, auth=auth))
    assert (status, code) == (401, "SIGN_ERROR") and "序列号" in message


def test_serial_is_compared_case_insensitively(base):
    auth = authorization(DOC, "POST", PE, encode(REMARK), serial_no=DOC.serial.lower())
    assert api(base, "POST", PE, REMARK, auth=auth).status == 200


@pytest.mark.parametrize("offset", [-301, 301, -400])
def test_timestamp_more_than_5_minutes_off(base, offset):
    resp = api(base, "POST", PE, REMARK, ts=int(time.time()) + offset)
    assert error_of(resp) == (401, "SIGN_ERROR", "Http头Authorization中的timestamp与发起请求的时间不得超过5分钟")
    assert state(base)[PE_ID]["state"] == "EFFECTIVE"


def test_timestamp_within_5_minutes(base):
    assert api(base, "POST", PE, REMARK, ts=int(time.time()) - 280).status == 200


def test_skew_is_checked_before_the_signature(base):
    auth = authorization(DOC, "POST", PE, b"other", ts=int(time.time()) - 1000)
    assert "5分钟" in error_of(api(base, "POST", PE, REMARK, auth=auth))[2]


def assert_sign_mismatch(resp: Resp, method: str, url: str) -> None:
    status, code, message = error_of(resp)
    assert (status, code, message) == (401, "SIGN_ERROR", "错误的签名，验签失败")
    detail = resp.json()["detail"]
    assert detail["detail"] == {"issue": "sign not match"}
    assert (detail["field"], detail["location"]) == ("signature", "authorization")
    info = detail["sign_information"]
    assert info["method"] == method and info["url"] == url
    assert isinstance(info["sign_message_length"], int) and info["truncated_sign_message"].startswith(f"{method}\n{url}\n")


def test_signature_over_another_body(base):
    resp = api(base, "POST", PE, REMARK, sign_body=encode({"contract_termination_remark": "用户解约 "}))
    assert_sign_mismatch(resp, "POST", PE)
    assert state(base)[PE_ID]["state"] == "EFFECTIVE"


def test_signature_over_reserialised_body_fails(base):
    # Same JSON value, other bytes: the server must use the bytes received.
    raw = b'{ "contract_termination_remark": "x" }'
    resp = api(base, "POST", PE, raw=raw, sign_body=b'{"contract_termination_remark":"x"}')
    assert_sign_mismatch(resp, "POST", PE)


def test_signature_by_another_key(base):
    bad = Merchant(DOC.mchid, DOC.serial, GO.key)
    assert_sign_mismatch(api(base, "POST", PE, REMARK, merchant=bad), "POST", PE)


def test_signature_not_base64(base):
    auth = authorization(DOC, "POST", PE, encode(REMARK), signature="not*base64")
    assert_sign_mismatch(api(base, "POST", PE, REMARK, auth=auth), "POST", PE)


def test_signature_must_cover_the_query(base):
    target = PE + "?from=test"
    assert_sign_mismatch(api(base, "POST", target, REMARK, sign_target=PE), "POST", target)
    assert api(base, "POST", target, REMARK).status == 200  # the query itself is ignored


def test_signature_over_the_raw_encoded_path(base):
    raw = _face("1000032", "FACEUSER%30000000001")  # %30 is "0": the same record, encoded
    assert_sign_mismatch(api(base, "POST", raw, sign_target=_face("1000032", "FACEUSER0000000001")), "POST", raw)
    resp = api(base, "POST", raw)
    assert resp.status == 204 and outcome(resp) == "ok"
    assert state(base)["facepay:1000032:FACEUSER0000000001"]["state"] == "TERMINATED"


def test_long_sign_message_is_truncated_in_the_detail(base):
    long_remark = {"contract_termination_remark": "解" * 200}
    resp = api(base, "POST", PE, long_remark, sign_body=b"{}")
    info = resp.json()["detail"]["sign_information"]
    assert info["sign_message_length"] > 600 and "…" in info["truncated_sign_message"]


# --- body presence and JSON rules --------------------------------------------


def test_body_on_a_bodyless_endpoint(base):
    for raw in (b"{}", b'{"contract_id":"x"}'):
        resp = api(base, "POST", EDU.format("2045011120563805041758214605"), raw=raw)
        assert error_of(resp)[:2] == (400, "INVALID_REQUEST")
    assert state(base)["eduschoolpay:2045011120563805041758214605"]["state"] == "EFFECTIVE"


def test_missing_body(base):
    assert error_of(api(base, "POST", PE))[:2] == (400, "INVALID_REQUEST")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_without_json_content_type(base, content_type):
    # urllib adds application/x-www-form-urlencoded when a body has no Content-Type.
    resp = api(base, "POST", PE, REMARK, content_type=content_type)
    assert error_of(resp)[:2] == (400, "INVALID_REQUEST")


def test_body_with_no_content_type_header_at_all(base):
    # urllib always adds a Content-Type to a body, so this one request uses http.client.
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    data = encode(REMARK)
    url = urlsplit(base)
    conn = HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        conn.request("POST", PE, body=data, headers={
            "Accept": "application/json", "User-Agent": "t", "Authorization": authorization(DOC, "POST", PE, data)})
        r = conn.getresponse()
        status, body = r.status, json.loads(r.read())
    finally:
        conn.close()
    assert (status, body["code"]) == (400, "INVALID_REQUEST")


def test_chunked_request_body(base):
    data = encode(REMARK)
    auth = authorization(DOC, "POST", PE, data)
    headers = [("Accept", "application/json"), ("User-Agent", "t"), ("Authorization", auth),
               ("Content-Type", "application/json")]
    resp = http("POST", base + PE, [data[:7], data[7:]], headers)  # an iterable: urllib sends it chunked
    assert resp.status == 200 and outcome(resp) == "ok"


def test_content_type_with_charset_is_json(base):
    assert api(base, "POST", PE, REMARK, content_type="application/json; charset=utf-8").status == 200


def _param_cases():
    pe, credit = PE, CREDIT
    emoji = "用户😀"
    return {
        # name: (target, raw body, field, location)
        "not_json": (pe, b"{not json", "", "body"),
        "invalid_utf8": (pe, b'{"contract_termination_remark":"\xff"}', "", "body"),
        "nan": (pe, b'{"contract_termination_remark":NaN}', "", "body"),
        "array": (pe, b'["x"]', "", "body"),
        "string": (pe, b'"x"', "", "body"),
        "null_value": (pe, b'{"contract_termination_remark":null}', "/contract_termination_remark", "body"),
        "unknown_field": (pe, encode({**REMARK, "extra": 1}), "/extra", "body"),
        "missing_required": (credit, encode(REMARK), "/out_contract_code", "body"),
        "wrong_type": (pe, encode({"contract_termination_remark": 5}), "/contract_termination_remark", "body"),
        "too_long": (pe, encode({"contract_termination_remark": "解" * 257}), "/contract_termination_remark", "body"),
        "too_long_128": (credit, encode({"out_contract_code": "100001256", "contract_termination_remark": "x" * 129}),
                         "/contract_termination_remark", "body"),
        "not_alnum_body": (credit, encode({"out_contract_code": "1000-01256", **REMARK}), "/out_contract_code", "body"),
        "four_byte": (pe, encode({"contract_termination_remark": emoji}), "/contract_termination_remark", "body"),
        "empty_string": (pe, encode({"contract_termination_remark": ""}), "/contract_termination_remark", "body"),
        "duplicate_key": (pe, b'{"contract_termination_remark":"a","contract_termination_remark":"b"}',
                          "/contract_termination_remark", "body"),
        "termination_note_too_long": (GLOBAL.format("203009101000000000000001"),
                                      encode({"termination_note": "x" * 257}), "/termination_note", "body"),
        "path_integer": (_pe("12a35", "wxwtdk20200910100000"), encode(REMARK), "service_id", "uri"),
        "path_not_alnum": (_pe(12535, "wxwtdk-2020"), encode(REMARK), "out_contract_code", "uri"),
        "path_too_long": (_papay(12535, "a" * 33), encode(REMARK), "out_contract_code", "uri"),
        "path_bad_percent": (_papay(12535, "abc%zz"), encode(REMARK), "out_contract_code", "uri"),
        "path_four_byte": (_papay(12535, "abc%F0%9F%98%80"), encode(REMARK), "out_contract_code", "uri"),
        "path_whitespace": (_papay(12535, "abc%20def"), encode(REMARK), "out_contract_code", "uri"),
        "path_invalid_utf8": (_papay(12535, "abc%FF"), encode(REMARK), "out_contract_code", "uri"),
    }


PARAM_CASES = _param_cases()

#: The `issue` each parameter error carries (WeChat Pay's detail names what is wrong, in Chinese).
PARAM_ISSUES = {
    "array": "请求主体必须是JSON对象",
    "duplicate_key": "字段重复",
    "empty_string": "不能为空字符串",
    "four_byte": "仅支持UTF-8一至三个字节编码的字符，不支持4字节字符（如emoji）",
    "invalid_utf8": "请求主体不是合法的UTF-8 JSON（UnicodeDecodeError）",
    "missing_required": "缺少必填字段",
    "nan": "请求主体不是合法的UTF-8 JSON（ValueError）",
    "not_alnum_body": "只能是数字、大小写字母的组合",
    "not_json": "请求主体不是合法的UTF-8 JSON（JSONDecodeError）",
    "null_value": "不允许null值",
    "path_bad_percent": "路径参数的百分号编码无效",
    "path_four_byte": "仅支持UTF-8一至三个字节编码的字符，不支持4字节字符（如emoji）",
    "path_integer": "必须为非负整数",
    "path_invalid_utf8": "路径参数不是合法的UTF-8",
    "path_not_alnum": "只能是数字、大小写字母的组合",
    "path_too_long": "长度不能超过32个字符",
    "path_whitespace": "不能包含空白或控制字符",
    "string": "请求主体必须是JSON对象",
    "termination_note_too_long": "长度不能超过256个字符",
    "too_long": "长度不能超过256个字符",
    "too_long_128": "长度不能超过128个字符",
    "unknown_field": "未知字段",
    "wrong_type": "类型错误，应为字符串",
}


@pytest.mark.parametrize("name", sorted(PARAM_CASES))
def test_param_error(base, name):
    target, raw, field_name, location = PARAM_CASES[name]
    before = state(base)
    resp = api(base, "POST", target, raw=raw)
    assert error_of(resp)[:2] == (400, "PARAM_ERROR"), resp.body
    detail = resp.json()["detail"]
    assert set(detail) == {"field", "value", "issue", "location"}
    assert (detail["field"], detail["location"]) == (field_name, location)
    assert detail["issue"] == PARAM_ISSUES[name]
    assert state(base) == before


def test_param_error_echoes_the_value(base):
    resp = api(base, "POST", PE, {"contract_termination_remark": 5})
    assert resp.json()["detail"]["value"] == 5


def test_body_checks_come_after_the_signature(base):
    resp = api(base, "POST", PE, raw=b"{not json", sign_body=b"{}")
    assert error_of(resp)[1] == "SIGN_ERROR"


# --- routing -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v3/unknown", "/", PE + "/", "/v3/eduschoolpay/contracts//terminate"])
def test_unknown_path(base, path):
    resp = api(base, "POST", path, REMARK)
    assert error_of(resp)[:2] == (404, "NOT_FOUND")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method(base, method):
    resp = api(base, method, PE, REMARK if method in ("PUT", "PATCH") else None)
    assert resp.status == 405 and resp.json()["code"] == "METHOD_NOT_ALLOWED" and resp.header("Allow") == "POST"


def test_edu_papay_is_delete_only(base):
    resp = api(base, "POST", "/v3/edu-papay/contracts/204009101000000000000001")
    assert resp.status == 405 and resp.header("Allow") == "DELETE"


# ---------------------------------------------------------------------------
# Response signing key: the official migration rule
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("serial_header,expected", [
    (PUB_KEY_ID, PUB_KEY_ID),
    (None, PLATFORM_SERIAL),
    (PLATFORM_SERIAL, PLATFORM_SERIAL),
    ("PUB_KEY_ID_0119000072912025112400000000000001", PLATFORM_SERIAL),
])
def test_response_key_follows_the_request_wechatpay_serial(base, serial_header, expected):
    resp = api(base, "POST", PE, REMARK, serial_header=serial_header)
    assert resp.status == 200 and resp.header("Wechatpay-Serial") == expected
    assert outcome(resp) == "ok"
    assert resp.header("Wechatpay-Signature-Type") == SCHEME
    assert re.fullmatch(r"[0-9A-Za-z]{16,}", resp.header("Wechatpay-Nonce"))


def test_204_signature_covers_an_empty_line(base):
    resp = api(base, "POST", EDU.format("2045011120563805041758214606"))
    h = resp.header
    message = f"{h('Wechatpay-Timestamp')}\n{h('Wechatpay-Nonce')}\n\n".encode()
    WECHATPAY_PUBLIC_KEY.verify(base64.b64decode(h("Wechatpay-Signature")), message,
                                padding.PKCS1v15(), hashes.SHA256())


def test_error_responses_are_unsigned(base):
    resp = api(base, "POST", PE, REMARK, ts=0)
    assert resp.status == 401 and resp.header("Wechatpay-Signature") is None


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

# fault -> what a verifying client must conclude
SIGNATURE_FAULTS = {
    "probe": "probe",
    "bad_signature": "bad_signature",
    "skew": "skew",
    "missing_headers": "unsigned",
    "unknown_serial": "unknown_serial",
    "tampered_body": "bad_signature",
    "truncated_body": "bad_signature",
}
PAPAY = _papay(12535, "wxwtdk20200910100000")
PAPAY_ID = "papay:12535:wxwtdk20200910100000"
EDU_ID = "eduschoolpay:2045011120563805041758214605"


@pytest.mark.parametrize("fault", sorted(SIGNATURE_FAULTS))
@pytest.mark.parametrize("serial_header", [PUB_KEY_ID, None], ids=["pubkey", "platform"])
def test_signature_fault_on_200(base, fault, serial_header):
    resp = api(base, "POST", PAPAY, REMARK, fault=fault, serial_header=serial_header)
    assert resp.status == 200
    assert outcome(resp) == SIGNATURE_FAULTS[fault]
    # The termination happened; only the response is bad.
    assert state(base)[PAPAY_ID]["state"] == "TERMINATED"
    if fault == "probe":
        assert resp.header("Wechatpay-Signature").startswith("WECHATPAY/SIGNTEST/")
    if fault == "bad_signature":
        assert len(base64.b64decode(resp.header("Wechatpay-Signature"), validate=True)) == 256
    if fault == "skew":
        assert abs(int(resp.header("Wechatpay-Timestamp")) - time.time()) >= 590
        # …and correctly signed for that timestamp.
        assert outcome(resp, now=int(resp.header("Wechatpay-Timestamp"))) == "ok"
    if fault == "missing_headers":
        assert not [k for k in resp.headers.keys() if k.lower().startswith("wechatpay-")]
        assert resp.header("Request-ID")
    if fault == "unknown_serial":
        assert resp.header("Wechatpay-Serial") not in (PUB_KEY_ID, PLATFORM_SERIAL)
        assert resp.header("Wechatpay-Serial").startswith("PUB_KEY_ID_") == (serial_header == PUB_KEY_ID)
    if fault == "tampered_body":
        json.loads(resp.body)  # still valid JSON: only the signature can tell
        assert resp.json()["contract_state"] == "TERMINATED"
    if fault == "truncated_body":
        assert int(resp.header("Content-Length")) == len(resp.body)
        assert 0 < len(resp.body) < 400


def test_tampered_body_changes_exactly_one_byte(base):
    resp = api(base, "POST", PAPAY, REMARK, fault="tampered_body")
    ts, nonce = resp.header("Wechatpay-Timestamp"), resp.header("Wechatpay-Nonce")
    signature = base64.b64decode(resp.header("Wechatpay-Signature"))
    body = bytearray(resp.body)
    found = []
    for i, b in enumerate(body):  # bounded by the body length; try the single-digit changes
        if not 0x30 <= b <= 0x39:
            continue
        for d in b"0123456789":
            candidate = bytes(body[:i]) + bytes([d]) + bytes(body[i + 1:])
            try:
                WECHATPAY_PUBLIC_KEY.verify(signature, f"{ts}\n{nonce}\n".encode() + candidate + b"\n",
                                            padding.PKCS1v15(), hashes.SHA256())
                found.append(i)
            except InvalidSignature:
                pass
        if found:
            break
    assert len(found) == 1


def test_truncated_body_is_the_first_half(base):
    resp = api(base, "POST", PAPAY, REMARK, fault="truncated_body")
    assert resp.body.startswith(b'{"mchid":"1900007291"')
    with pytest.raises(ValueError):
        json.loads(resp.body)


@pytest.mark.parametrize("fault", sorted(SIGNATURE_FAULTS))
def test_signature_fault_on_204(base, fault):
    resp = api(base, "POST", EDU.format("2045011120563805041758214605"), fault=fault)
    assert resp.status == 204 and resp.body == b""
    assert outcome(resp) == SIGNATURE_FAULTS[fault]
    assert state(base)[EDU_ID]["state"] == "TERMINATED"


@pytest.mark.parametrize("fault,status,code,message", [
    ("ratelimit", 429, "RATELIMIT_EXCEEDED", None),
    ("system_error", 500, "SYSTEM_ERROR", "系统错误"),
])
def test_error_faults_change_nothing(base, fault, status, code, message):
    resp = api(base, "POST", PAPAY, REMARK, fault=fault)
    got = error_of(resp)
    assert got[:2] == (status, code) and (message is None or got[2] == message)
    assert not [k for k in resp.headers.keys() if k.lower().startswith("wechatpay-")]
    assert state(base)[PAPAY_ID]["state"] == "EFFECTIVE"
    assert api(base, "POST", PAPAY, REMARK).status == 200  # the next request is normal


def test_signature_fault_on_an_error_answer_is_a_plain_error(base):
    api(base, "POST", PAPAY, REMARK)
    resp = api(base, "POST", PAPAY, REMARK, fault="bad_signature")
    assert error_of(resp)[:2] == (400, "INVALID_REQUEST")


def arm(base: str, fault, count=None) -> Resp:
    body = {"fault": fault} if count is None else {"fault": fault, "count": count}
    return http("POST", base + "/sandbox/faults", encode(body), [("Content-Type", "application/json")])


def test_armed_fault_applies_to_the_next_n_requests(base):
    assert arm(base, "bad_signature", 2).json()["remaining"] == 2
    first = api(base, "POST", _papay(12535, "wxwtdk20200910100000"), REMARK)
    second = api(base, "POST", _papay(12535, "wxwtdk20200910100001"), REMARK)
    third = api(base, "POST", PE, REMARK)
    assert [outcome(r) for r in (first, second, third)] == ["bad_signature", "bad_signature", "ok"]
    assert http("GET", base + "/sandbox/faults").json()["remaining"] == 0


def test_armed_error_fault_leaves_state_alone(base):
    arm(base, "system_error", 1)
    assert api(base, "POST", PAPAY, REMARK).status == 500
    assert state(base)[PAPAY_ID]["state"] == "EFFECTIVE"
    assert api(base, "POST", PAPAY, REMARK).status == 200


def test_header_fault_wins_and_does_not_use_up_the_armed_one(base):
    arm(base, "ratelimit", 1)
    resp = api(base, "POST", PAPAY, REMARK, fault="probe")
    assert outcome(resp) == "probe"
    assert api(base, "POST", PE, REMARK).status == 429


def test_control_requests_do_not_use_up_armed_faults(base):
    arm(base, "ratelimit", 1)
    state(base)
    http("GET", base + "/sandbox/keys")
    assert api(base, "POST", PE, REMARK).status == 429


def test_disarm_and_reset_clear_faults(base):
    arm(base, "ratelimit", 5)
    assert arm(base, None).json()["remaining"] == 0
    assert api(base, "POST", PE, REMARK).status == 200
    arm(base, "ratelimit", 5)
    http("POST", base + "/sandbox/reset")
    assert api(base, "POST", PAPAY, REMARK).status == 200


def test_unknown_fault(base):
    resp = api(base, "POST", PE, REMARK, fault="nope")
    assert resp.status == 400 and resp.json()["code"] == "SANDBOX_UNKNOWN_FAULT"
    assert arm(base, "nope", 1).status == 400
    assert arm(base, "probe", -1).status == 400
    assert state(base)[PE_ID]["state"] == "EFFECTIVE"


# ---------------------------------------------------------------------------
# Control endpoints
# ---------------------------------------------------------------------------


def test_keys_endpoint_matches_the_key_files(base):
    keys = http("GET", base + "/sandbox/keys").json()
    assert keys["merchants"] == [
        {"mchid": "1900007291", "serial_no": DOC.serial, "apiv3_key": "wxpayTerminateSandboxApiV3Key001"},
        {"mchid": "1234567890", "serial_no": GO.serial, "apiv3_key": "wxpayTerminateSandboxApiV3Key002"},
    ]
    assert keys["wechatpay_public_key_id"] == PUB_KEY_ID
    assert keys["wechatpay_public_key"] == (KEYS / "wechatpay_public_key.pem").read_text()
    assert keys["platform_certificate"] == (KEYS / "platform_cert.pem").read_text()
    assert keys["platform_certificate_serial"] == PLATFORM_SERIAL and len(PLATFORM_SERIAL) == 40


def test_reset_reseeds(base):
    api(base, "POST", PAPAY, REMARK)
    assert state(base)[PAPAY_ID]["state"] == "TERMINATED"
    assert http("POST", base + "/sandbox/reset").status == 200
    assert state(base)[PAPAY_ID]["state"] == "EFFECTIVE"


def test_control_errors(base):
    assert http("GET", base + "/sandbox/nothing").status == 404
    resp = http("GET", base + "/sandbox/reset")
    assert resp.status == 405 and resp.json()["code"] == "METHOD_NOT_ALLOWED" and resp.header("Allow") == "POST"
    assert http("POST", base + "/sandbox/faults", b"not json").status == 400


# ---------------------------------------------------------------------------
# Process behaviour: logging, signals, host, TLS
# ---------------------------------------------------------------------------


def test_log_has_one_line_per_request_without_secrets(server, base):
    resp = api(base, "POST", PE, REMARK, fault="probe")
    api(base, "POST", PE, REMARK)
    time.sleep(0.2)
    server.stderr.seek(0)
    log = server.stderr.read().decode("utf-8", "replace")
    assert f"POST {PE} 200 fault=probe" in log
    assert f"POST {PE} 400 fault=-" in log
    assert "WECHATPAY" not in log and "用户解约" not in log and resp.header("Wechatpay-Signature") not in log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_exit_on_signal(sig):
    sandbox = start()
    try:
        assert http("GET", sandbox.url + "/sandbox/keys").status == 200
    finally:
        code = stop(sandbox.proc, sig)
        sandbox.stderr.close()
    assert code == 0


def test_refuses_a_non_loopback_host():
    proc = subprocess.Popen([sys.executable, str(SERVER), "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        stop(proc)
    assert proc.returncode != 0 and b"loopback" in err


def test_tls_mode():
    sandbox = start("--tls")
    try:
        assert sandbox.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(KEYS / "tls_cert.pem"))
        target = EDU.format("2045011120563805041758214605")
        auth = authorization(DOC, "POST", target, b"")
        headers = [("Accept", "application/json"), ("User-Agent", "sandbox-tests/1.0"),
                   ("Authorization", auth), ("Wechatpay-Serial", PUB_KEY_ID)]
        resp = http("POST", sandbox.url + target, None, headers, context=context)
        assert resp.status == 204 and outcome(resp) == "ok"
        # An unverified client still cannot talk plain HTTP to it.
        # (the TLS server drops a request that is not a TLS handshake)
        with pytest.raises((http_client.HTTPException, ConnectionError)):
            http("GET", sandbox.url.replace("https://", "http://") + "/sandbox/keys")
    finally:
        stop(sandbox.proc)
        sandbox.stderr.close()


# ---------------------------------------------------------------------------
# Termination notifications (回调通知): a loopback receiver as the merchant's notify_url
# ---------------------------------------------------------------------------

APIV3_KEYS = {"1900007291": "wxpayTerminateSandboxApiV3Key001", "1234567890": "wxpayTerminateSandboxApiV3Key002"}
WRONG_APIV3_KEY = "wxpayTerminateSandboxWrongKey000"  # what the `wrong_key` fault encrypts with (README)
UNKNOWN_PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000009999"
UNKNOWN_CERT_SERIAL = "7D5E1A0C3B2F4E6D8C9A0B1C2D3E4F5A6B7C8D9E"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SIGNED_AT = "2024-03-15T10:20:30+08:00"
EXPIRES_AT = "2029-03-15T10:20:30+08:00"
NOTIFY_PATH = "/wxpay/notify?merchant=1"


@dataclass
class Received:
    path: str
    headers: object  # email.message.Message: case-insensitive get
    body: bytes
    at: float  # time.monotonic() on receipt


class Receiver:
    """A merchant's notify_url on 127.0.0.1: records every request and answers from a script
    (`replies`: statuses, or (status, seconds to wait before answering)), then `default`."""

    def __init__(self, replies=(), default=200):
        self.replies, self.default = list(replies), default
        self.requests: "queue.Queue[Received]" = queue.Queue()
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends any scripted wait when the test is over
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.put(Received(self.path, self.headers, body, time.monotonic()))
                with receiver.lock:
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                status, wait = reply if isinstance(reply, tuple) else (reply, 0)
                if wait:
                    receiver.release.wait(wait)
                ok = 200 <= status < 300
                payload = b"" if status == 204 else encode(
                    {"code": "SUCCESS", "message": "成功"} if ok else {"code": "FAIL", "message": "失败"})
                try:
                    self.send_response(status)
                    if status != 204:
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sandbox gave up waiting (timeout test)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{NOTIFY_PATH}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=TIMEOUT)

    def get(self) -> Received:
        return self.requests.get(timeout=TIMEOUT)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def control(base: str, method: str, path: str, doc=None) -> Resp:
    body = encode(doc) if doc is not None else None
    return http(method, base + path, body, [("Content-Type", "application/json")] if body else [])


def register(base: str, url: Optional[str], mchid: str = "1900007291") -> None:
    """How a test sets a merchant's notify_url (None clears it)."""
    r = control(base, "POST", f"/sandbox/merchants/{mchid}/notify-url", {"notify_url": url})
    assert r.status == 200, r.body
    assert r.json()["notify_url"] == url


def notifications(base: str) -> dict:
    return control(base, "GET", "/sandbox/notifications").json()


def settled(base: str, count: int = 1) -> dict:
    """Waits until `count` notifications exist and none is pending or being sent."""
    deadline = time.monotonic() + TIMEOUT
    while True:  # bounded by the deadline
        log = notifications(base)
        states = [n["state"] for n in log["notifications"]]
        if len(states) == count and all(s in ("delivered", "abandoned") for s in states):
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.02)


def verify(req: Received, key=WECHATPAY_PUBLIC_KEY, serial: str = PUB_KEY_ID) -> dict:
    """Checks the headers and the signature over the raw body; returns the envelope."""
    h = req.headers
    assert req.path == NOTIFY_PATH
    assert h.get("Content-Type") == "application/json"
    assert h.get("Wechatpay-Signature-Type") == SCHEME
    assert h.get("Wechatpay-Serial") == serial
    assert re.fullmatch(r"[0-9A-F]{40}", h.get("Request-ID")), h.get("Request-ID")
    assert re.fullmatch(r"[0-9A-F]{32}", h.get("Wechatpay-Nonce"))
    ts = h.get("Wechatpay-Timestamp")
    assert abs(int(ts) - time.time()) <= 60
    message = f"{ts}\n{h.get('Wechatpay-Nonce')}\n".encode() + req.body + b"\n"
    key.verify(base64.b64decode(h.get("Wechatpay-Signature"), validate=True), message,
               padding.PKCS1v15(), hashes.SHA256())
    envelope = json.loads(req.body)
    assert req.body == encode(envelope), "compact UTF-8 JSON, like WeChat Pay"
    return envelope


def signature_ok(req: Received, body: bytes, key=WECHATPAY_PUBLIC_KEY) -> bool:
    h = req.headers
    message = f"{h.get('Wechatpay-Timestamp')}\n{h.get('Wechatpay-Nonce')}\n".encode() + body + b"\n"
    try:
        key.verify(base64.b64decode(h.get("Wechatpay-Signature"), validate=True), message,
                   padding.PKCS1v15(), hashes.SHA256())
        return True
    except (ValueError, InvalidSignature):
        return False


def decrypt(envelope: dict, key: str = APIV3_KEYS["1900007291"]) -> dict:
    r = envelope["resource"]
    plain = AESGCM(key.encode()).decrypt(r["nonce"].encode(), base64.b64decode(r["ciphertext"]),
                                         r["associated_data"].encode())
    return json.loads(plain.decode("utf-8"))


def check_envelope(envelope: dict, event_type: str, original_type: Optional[str], summary: Optional[str]) -> None:
    assert set(envelope) == {"id", "create_time", "resource_type", "event_type", "resource"} | (
        {"summary"} if summary is not None else set())
    assert UUID.fullmatch(envelope["id"]), envelope["id"]
    assert RFC3339_CST.match(envelope["create_time"])
    assert envelope["resource_type"] == "encrypt-resource"
    assert envelope["event_type"] == event_type
    assert envelope.get("summary") == summary
    resource = envelope["resource"]
    assert set(resource) == {"algorithm", "ciphertext", "associated_data", "nonce"} | (
        {"original_type"} if original_type is not None else set())
    assert resource.get("original_type") == original_type
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert resource["associated_data"] == (original_type or "")
    assert re.fullmatch(r"[0-9A-Za-z]{12}", resource["nonce"])


def fill(obj, when: str):
    """The expected plaintext with TIME replaced by the record's termination time."""
    if obj is TIME:
        return when
    if isinstance(obj, dict):
        return {k: fill(v, when) for k, v in obj.items()}
    return obj


def delivery(nid: str, event_type: str, contract: Optional[str], attempt: int, status, url: str,
             fault: Optional[str] = None, mchid: str = "1900007291") -> dict:
    """One expected delivery-log entry (without its time)."""
    return {"notification_id": nid, "event_type": event_type, "mchid": mchid, "contract": contract,
            "attempt": attempt, "fault": fault, "url": url, "status": status,
            "delivered": isinstance(status, int) and 200 <= status < 300}


def deliveries(log: dict) -> list:
    out = []
    for d in log["deliveries"]:
        assert RFC3339_CST.match(d["time"])
        out.append({k: v for k, v in d.items() if k != "time"})
    return out


# The test's own expectations, written from the reference (§2) and the seeds in README.
MODE_INFO = {"contract_termination_mode": "MCH_API_TERMINATE", "contract_terminated_time": TIME,
             "contract_termination_remark": "用户解约"}
SCHEDULE = {"estimated_deduct_date": "2025-12-22", "estimated_deduct_amount": {"total": 1500, "currency": "CNY"},
            "schedule_state": "SCHEDULED", "scheduled_amount": {"total": 1500, "currency": "CNY"},
            "deduct_date": "2025-12-22"}
PAPAY_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def _payscore_event(i: str, service_id: str, **extra) -> dict:
    return {"appid": APPID, "mchid": "1900007291", **extra, "service_id": service_id, "openid": OPENID + i,
            "user_service_status": "USER_CLOSE_SERVICE", "openorclose_time": TIME,
            "authorization_code": "authcode2020091000000" + i}


def _transfer_event(no: str, authorization_id: str) -> dict:
    return {"out_authorization_no": no, "appid": "wxf636efh567hg4356", "openid": "o-MYE42l80oelYMDE34nYD456Xoy",
            "user_display_name": "wx_123456", "authorization_id": authorization_id, "state": "CLOSED",
            "authorize_time": "2025-05-20T13:29:35+08:00",
            "close_info": {"close_time": TIME, "close_reason": "CLOSE_VIA_MCH_API"}}


PSP_EXTRA = {"sub_appid": "wxd678efh567hg0109", "sub_mchid": "1900000109"}
# case name -> (event_type, original_type, summary, plaintext)
EVENTS = {
    "eduschoolpay": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解约", {
        "appid": APPID, "mchid": "1900007291", "service_id": "500101", "openid": "oEduSchool00000000000001",
        "user_service_status": "USER_CLOSE_SERVICE", "openorclose_time": TIME,
        "contract_id": "2045011120563805041758214605", "plan_id": "30001", "contract_status": "DELETE",
        "out_contract_code": "eduschool2024000001"}),
    "papay": ("ENTRUST.TERMINATE", "entrust", "解约成功", {
        "contract_id": "202009101000000000000001", "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
        "contract_display_account": "微信代扣", "contract_state": "TERMINATED",
        "contract_signed_time": SIGNED_AT, "contract_expired_time": EXPIRES_AT,
        "contract_terminate_info": MODE_INFO, "deduct_schedule": SCHEDULE, "out_user_code": "user0000",
        "mchid": "1900007291", "appid": APPID, "openid": PAPAY_OPENID}),
    "papay_partner": ("ENTRUST.TERMINATE", "entrust", "解约成功", {
        "contract_id": "202009102000000000000001", "plan_id": 12535, "out_contract_code": "wxwtdk20200910200000",
        "contract_display_account": "微信代扣", "contract_state": "TERMINATED",
        "contract_signed_time": SIGNED_AT, "contract_expired_time": EXPIRES_AT,
        "contract_terminate_info": MODE_INFO, "deduct_schedule": SCHEDULE, "out_user_code": "user0000",
        "sp_mchid": "1900007291", "sp_appid": APPID, "sub_mchid": "1900000109", "sp_openid": PAPAY_OPENID}),
    "papay_insurance": ("INSURANCE_ENTRUST.TERMINATE", "insurance_entrust", "解约成功", {
        "mchid": "1900007291", "contract_id": "202401010000000000000001", "appid": APPID, "plan_id": 12535,
        "out_contract_code": "insur20240101000001", "insured_display_name": "*三", "contract_state": "TERMINATED",
        "contract_signed_time": SIGNED_AT, "contract_expired_time": EXPIRES_AT, "openid": PAPAY_OPENID,
        "contract_terminate_info": MODE_INFO, "out_user_code": "user0001"}),
    "combine_papay": ("ECOMMERCE_ENTRUST.TERMINATE", None, "解约成功", {
        "mchid": "1900007291", "out_contract_code": "combine2024010100001", "plan_id": 12535, "appid": APPID,
        "openid": "oCombine000000000000000001", "operate_time": TIME,
        "contract_termination_mode": "MCH_API_TERMINATE"}),
    "credit_repayment": ("CREDIT_REPAYMENT.TERMINATE_CONTRACT", "credit_repayment", "解约成功", {
        "sp_mchid": "1900007291", "contract_id": "1000000000000000000001256", "plan_id": 10001,
        "out_contract_code": "100001256", "display_name": "*明", "contract_state": "CONTRACT_STATE_TERMINATED",
        "contract_signed_time": SIGNED_AT, "contract_terminated_time": TIME,
        "contract_terminated_mode": "TERMINATION_MODE_BY_MERCHANT", "contract_termination_remark": "用户解约",
        "repayment_day": 10, "repayment_amount_limit": "500000", "appid": APPID,
        "openid": "oCredit00000000000000256"}),
    "global_papay": ("PAPAY.TERMINATE", None, "解约成功", {
        "mchid": "1900007291", "out_contract_code": "global2024000001", "appid": APPID,
        "openid": "oGlobal0000000000000000001", "contract_id": "203009101000000000000001", "plan_id": 22001,
        "operate_time": TIME, "contract_expired_time": EXPIRES_AT, "contract_termination_mode": "MERCHANT"}),
    "edu_papay": ("ENTRUST.RELEASE", None, "解约成功", {
        "sp_mchid": "1900007291", "appid": APPID, "openid": "oEduPapay00000000000000001", "plan_id": "40001",
        "contract_information": {"contract_id": "204009101000000000000001", "contract_status": "DELETE",
                                 "create_time": TIME}}),
    "facepay": ("FACEPAY.USER_STATE_CHANGE", "facepay", "用户解约", {
        "user_id": "FACEUSER0000000001", "out_user_id": "out0000000001", "organization_id": "1000032",
        "mch_id": "1900007291", "notify_create_time": TIME, "appid": APPID, "openid": "oFacePay00000000000000001",
        "contract_id": "FC10000320000000001"}),
    "payscore_by_code": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", _payscore_event("1", "500001")),
    "payscore_by_openid": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", _payscore_event("2", "500001")),
    "payscore_partner_by_code": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", {
        **_payscore_event("5", "500001", **PSP_EXTRA), "sub_openid": "oSubUser0000000000000005"}),
    "payscore_partner_by_openid": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", {
        **_payscore_event("6", "500001", **PSP_EXTRA), "sub_openid": "oSubUser0000000000000006"}),
    "payscore_acquiringbank": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", _payscore_event(
        "8", "500001", sub_mchid="1900000109", channel_id="1900000001")),
    "payscore_user": ("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", _payscore_event("3", "500002")),
    "transfer": ("MCHTRANSFER.AUTHORIZATION.CLOSED", "mch_payment", "授权已关闭",
                 _transfer_event("plfk2020042013", "201202504101000123456789013")),
    "transfer_partner": ("MCHTRANSFER.AUTHORIZATION.CLOSED", "mch_payment", "授权已关闭",
                         _transfer_event("spfk2025041000001", "201202504101000223456789001")),
    "webizpay": ("WEBIZPAY.REVOKED", "webizpay", "员工授权已解除", {
        "sp_mchid": "1900007291", "sub_mchid": "43214321", "user_id": "employee123",
        "authorization_state": "REVOKED", "authorization_revoked_time": TIME, "reason": "企业发起"}),
}
NOTIFYING = [c for c in CASES if c.name != "password_exempt"]
CASE = {c.name: c for c in CASES}


def test_every_notifying_endpoint_has_an_expected_event():
    assert sorted(EVENTS) == sorted(c.name for c in NOTIFYING) and len(NOTIFYING) == 18


@pytest.mark.parametrize("case", NOTIFYING, ids=[c.name for c in NOTIFYING])
def test_api_termination_sends_its_signed_encrypted_event(base, receiver, case):
    register(base, receiver.url)
    resp = api(base, case.method, case.target, case.body)
    assert resp.status == case.status, resp.body
    req = receiver.get()
    envelope = verify(req)
    event_type, original_type, summary, plaintext = EVENTS[case.name]
    check_envelope(envelope, event_type, original_type, summary)
    when = state(base)[case.state_id]["termination"]["time"]
    assert decrypt(envelope) == fill(plaintext, when)
    log = settled(base)
    assert deliveries(log) == [delivery(envelope["id"], event_type, case.state_id, 1, 200, receiver.url)]
    assert log["pending"] == []
    assert log["notifications"] == [{"id": envelope["id"], "event_type": event_type, "mchid": "1900007291",
                                     "contract": case.state_id, "url": receiver.url,
                                     "schedule": SCHEDULE_OF[case.name], "fault": None, "state": "delivered",
                                     "attempts": 1}]


SCHEDULE_OF = {**{name: "default" for name in EVENTS}, "combine_papay": "combine_papay",
               "global_papay": "global_papay", "edu_papay": "edu", "eduschoolpay": "edu",
               **{name: "payscore" for name in EVENTS if name.startswith("payscore")}}


def test_password_exempt_sends_no_notification_but_an_arbitrary_event_passes(base, receiver):
    register(base, receiver.url)
    assert api(base, "POST", PE, REMARK).status == 200
    sign = {"mchid": "1900007291", "appid": APPID, "openid": PAPAY_OPENID, "plan_id": 12535,
            "out_contract_code": "wxwtdk20200910100001", "contract_state": "SIGNED"}
    r = control(base, "POST", "/sandbox/notifications/send",
                {"mchid": "1900007291", "event_type": "ENTRUST.SIGN", "plaintext": sign, "summary": "签约成功",
                 "original_type": "entrust"})
    assert r.status == 200 and set(r.json()) == {"id", "event_type", "fault"}
    envelope = verify(receiver.get())  # the first (and only) request: password-exempt sent nothing
    check_envelope(envelope, "ENTRUST.SIGN", "entrust", "签约成功")
    assert envelope["id"] == r.json()["id"] and r.json()["event_type"] == "ENTRUST.SIGN" and r.json()["fault"] is None
    assert decrypt(envelope) == sign
    log = settled(base)
    assert deliveries(log) == [delivery(envelope["id"], "ENTRUST.SIGN", None, 1, 200, receiver.url)]


def test_arbitrary_event_defaults_and_errors(base, receiver):
    r = control(base, "POST", "/sandbox/notifications/send", {"mchid": "1900007291", "event_type": "X.Y"})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_NO_NOTIFY_URL")
    register(base, receiver.url)
    r = control(base, "POST", "/sandbox/notifications/send", {"mchid": "1900007291", "event_type": "PAYSCORE.USER_OPEN_SERVICE"})
    assert r.status == 200
    envelope = verify(receiver.get())
    check_envelope(envelope, "PAYSCORE.USER_OPEN_SERVICE", None, None)
    assert decrypt(envelope) == {"mchid": "1900007291"}
    for doc, status, code in (({"mchid": "1900000000", "event_type": "X"}, 404, "SANDBOX_UNKNOWN_MERCHANT"),
                              ({"mchid": "1900007291"}, 400, "SANDBOX_BAD_REQUEST"),
                              ({"mchid": "1900007291", "event_type": "X", "plaintext": [1]}, 400, "SANDBOX_BAD_REQUEST"),
                              ({"mchid": "1900007291", "event_type": "X", "extra": 1}, 400, "SANDBOX_BAD_REQUEST")):
        r = control(base, "POST", "/sandbox/notifications/send", doc)
        assert (r.status, r.json()["code"]) == (status, code), doc
    assert len(settled(base)["notifications"]) == 1


def test_second_merchant_gets_its_own_events_under_its_own_key(base, receiver):
    register(base, receiver.url, "1234567890")
    assert api(base, "POST", PAPAY, REMARK).status == 200  # 1900007291 has no notify_url: nothing sent
    resp = api(base, "POST", _papay(12537, "wxwtdk20200910100003"), REMARK, merchant=GO, serial_header=None)
    assert resp.status == 200
    envelope = verify(receiver.get())
    with pytest.raises(InvalidTag):
        decrypt(envelope, APIV3_KEYS["1900007291"])
    plain = decrypt(envelope, APIV3_KEYS["1234567890"])
    assert (plain["mchid"], plain["contract_id"], plain["plan_id"]) == ("1234567890", "202009101000000000000003", 12537)
    log = settled(base)
    assert deliveries(log) == [delivery(envelope["id"], "ENTRUST.TERMINATE", "papay:12537:wxwtdk20200910100003",
                                        1, 200, receiver.url, mchid="1234567890")]


# --- user-initiated terminations ----------------------------------------------


def test_user_termination_notifies_and_the_merchant_then_gets_already_terminated(base, receiver):
    register(base, receiver.url)
    r = control(base, "POST", "/sandbox/contracts/terminate", {"contract": PAPAY_ID, "mode": "USER_TERMINATE"})
    assert r.status == 200
    answer = r.json()
    when = answer["termination"]["time"]
    assert RFC3339_CST.match(when)
    envelope = verify(receiver.get())
    assert answer == {"contract": PAPAY_ID, "state": "TERMINATED",
                      "termination": {"mode": "USER_TERMINATE", "time": when, "remark": None},
                      "notification": {"id": envelope["id"], "event_type": "ENTRUST.TERMINATE", "fault": None}}
    check_envelope(envelope, "ENTRUST.TERMINATE", "entrust", "解约成功")
    expected = dict(EVENTS["papay"][3], contract_terminate_info={"contract_termination_mode": "USER_TERMINATE",
                                                                 "contract_terminated_time": TIME})
    assert decrypt(envelope) == fill(expected, when)
    record = state(base)[PAPAY_ID]
    assert record["state"] == "TERMINATED" and record["termination"] == answer["termination"]

    again = api(base, "POST", PAPAY, REMARK)
    assert again.status == 400 and again.json() == {"code": "INVALID_REQUEST", "message": "协议已解约"}
    r = control(base, "POST", "/sandbox/contracts/terminate", {"contract": PAPAY_ID})
    assert r.status == 400 and r.json() == {"code": "INVALID_REQUEST", "message": "协议已解约"}
    assert len(settled(base)["notifications"]) == 1


USER_MODE_CASES = [
    ("combine_papay:12535:combine2024010100002", "CUSTOMER_SERVICE_TERMINATE", "ECOMMERCE_ENTRUST.TERMINATE",
     "contract_termination_mode", "CUSTOMER_SERVICE_TERMINATE"),
    ("papay_insurance:12535:insur20240101000002", "SYSTEM_TERMINATE", "INSURANCE_ENTRUST.TERMINATE",
     "contract_terminate_info/contract_termination_mode", "SYSTEM_TERMINATE"),
    ("papay_partner:12535:wxwtdk20200910200001", "WEPAY_WEB_TERMINATE", "ENTRUST.TERMINATE",
     "contract_terminate_info/contract_termination_mode", "WEPAY_WEB_TERMINATE"),
    ("credit_repayment:100001257", "USER_TERMINATE", "CREDIT_REPAYMENT.TERMINATE_CONTRACT",
     "contract_terminated_mode", "TERMINATION_MODE_BY_USER"),
    ("credit_repayment:100001257", "TERMINATION_MODE_BY_CUSTOMER_SERVICE", "CREDIT_REPAYMENT.TERMINATE_CONTRACT",
     "contract_terminated_mode", "TERMINATION_MODE_BY_CUSTOMER_SERVICE"),
    ("global_papay:203009101000000000000002", "USER_TERMINATE", "PAPAY.TERMINATE",
     "contract_termination_mode", "USER"),
    ("global_papay:203009101000000000000002", "SYSTEM_TERMINATE", "PAPAY.TERMINATE",
     "contract_termination_mode", "PLATFORM"),
    ("edu_papay:204009101000000000000002", "USER_TERMINATE", "ENTRUST.RELEASE",
     "contract_information/contract_status", "DELETE"),
    ("payscore:authcode20200910000002", "USER_TERMINATE", "PAYSCORE.USER_CLOSE_SERVICE",
     "user_service_status", "USER_CLOSE_SERVICE"),
    ("transfer_authorization:plfk2020042014", "USER_TERMINATE", "MCHTRANSFER.AUTHORIZATION.CLOSED",
     "close_info/close_reason", "USER_CLOSE"),
    ("webizpay_employee:WeBizPay_b17c3e55-0f4d-4d8e-9a61-2f0c9d1e5a77", "USER_TERMINATE", "WEBIZPAY.REVOKED",
     "reason", "员工注销"),
    ("facepay:1000032:FACEUSER0000000002", "CUSTOMER_SERVICE_TERMINATE", "FACEPAY.USER_STATE_CHANGE",
     "user_id", "FACEUSER0000000002"),
]


@pytest.mark.parametrize("rid,mode,event_type,path,value", USER_MODE_CASES,
                         ids=[f"{c[0].split(':')[0]}-{c[1]}" for c in USER_MODE_CASES])
def test_user_termination_modes_per_product(base, receiver, rid, mode, event_type, path, value):
    register(base, receiver.url)
    r = control(base, "POST", "/sandbox/contracts/terminate", {"contract": rid, "mode": mode, "remark": "用户主动解约"})
    assert r.status == 200, r.body
    envelope = verify(receiver.get())
    assert envelope["event_type"] == event_type and r.json()["notification"]["id"] == envelope["id"]
    assert dig(decrypt(envelope), path) == value
    assert state(base)[rid]["state"] == "TERMINATED"
    assert state(base)[rid]["termination"]["remark"] == "用户主动解约"


def test_user_termination_errors(base):
    cases = [
        ({"contract": "papay:12535:nosuch"}, 404, "SANDBOX_UNKNOWN_CONTRACT"),
        ({"contract": "credit_repayment:100001256", "mode": "SYSTEM_TERMINATE"}, 400, "SANDBOX_BAD_MODE"),
        ({"contract": "transfer_authorization:plfk2020042013", "mode": "CUSTOMER_SERVICE_TERMINATE"}, 400,
         "SANDBOX_BAD_MODE"),
        ({"contract": PAPAY_ID, "mode": "MCH_API_TERMINATE"}, 400, "SANDBOX_BAD_MODE"),
        ({"contract": PAPAY_ID, "remark": ""}, 400, "SANDBOX_BAD_REQUEST"),
        ({"mode": "USER_TERMINATE"}, 400, "SANDBOX_BAD_REQUEST"),
        ({"contract": "papay:12535:wxwtdk20200910100009"}, 400, "INVALID_REQUEST"),  # seeded as user-terminated
    ]
    before = state(base)
    for doc, status, code in cases:
        r = control(base, "POST", "/sandbox/contracts/terminate", doc)
        assert (r.status, r.json()["code"]) == (status, code), (doc, r.body)
    assert state(base) == before
    r = control(base, "POST", "/sandbox/contracts/terminate", {"contract": PE_ID})
    assert r.status == 200 and r.json()["notification"] is None  # no notify_url, and none for password-exempt


# --- WeChat Pay's delivery rules ----------------------------------------------


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_failed_delivery_is_retried_on_the_scaled_schedule(base, status):
    with Receiver(replies=[status]) as receiver:
        register(base, receiver.url)
        assert api(base, "POST", PAPAY, REMARK).status == 200
        first, second = receiver.get(), receiver.get()
        log = settled(base)
    assert first.body == second.body  # the same notification (same id), signed afresh
    assert first.headers.get("Wechatpay-Nonce") != second.headers.get("Wechatpay-Nonce")
    envelope = verify(second)
    # The default schedule waits 15 s after the first failure; scaled by 0.001 that is 15 ms.
    assert 0.015 <= second.at - first.at < 5
    assert deliveries(log) == [
        delivery(envelope["id"], "ENTRUST.TERMINATE", PAPAY_ID, 1, status, receiver.url),
        delivery(envelope["id"], "ENTRUST.TERMINATE", PAPAY_ID, 2, 200, receiver.url),
    ]
    assert log["notifications"][0]["state"] == "delivered" and log["notifications"][0]["attempts"] == 2


def test_204_counts_as_delivered(base):
    with Receiver(replies=[204]) as receiver:
        register(base, receiver.url)
        assert api(base, "POST", PAPAY, REMARK).status == 200
        envelope = verify(receiver.get())
        log = settled(base)
    assert deliveries(log) == [delivery(envelope["id"], "ENTRUST.TERMINATE", PAPAY_ID, 1, 204, receiver.url)]


def test_a_reply_slower_than_the_timeout_fails(base):
    with Receiver(replies=[(200, 4)]) as receiver:  # the sandbox runs with --notify-timeout 2
        register(base, receiver.url)
        assert api(base, "POST", PAPAY, REMARK).status == 200
        first, second = receiver.get(), receiver.get()
        log = settled(base)
    assert first.body == second.body
    nid = json.loads(first.body)["id"]
    assert deliveries(log) == [delivery(nid, "ENTRUST.TERMINATE", PAPAY_ID, 1, "timeout", receiver.url),
                               delivery(nid, "ENTRUST.TERMINATE", PAPAY_ID, 2, 200, receiver.url)]


def test_a_connection_failure_is_retried(base):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/notify"
    register(base, url)
    assert api(base, "POST", PAPAY, REMARK).status == 200
    deadline = time.monotonic() + TIMEOUT
    while len(notifications(base)["deliveries"]) < 2:  # bounded by the deadline
        assert time.monotonic() < deadline
        time.sleep(0.02)
    log = notifications(base)
    nid = log["notifications"][0]["id"]
    assert deliveries(log)[:2] == [delivery(nid, "ENTRUST.TERMINATE", PAPAY_ID, 1, "connection_error", url),
                                   delivery(nid, "ENTRUST.TERMINATE", PAPAY_ID, 2, "connection_error", url)]
    assert http("POST", base + "/sandbox/reset").status == 200
    assert notifications(base) == {"deliveries": [], "pending": [], "notifications": [],
                                   "faults": {"fault": None, "remaining": 0, "available": NOTIFY_FAULT_NAMES}}


# Reference §4, seconds.
REFERENCE_SCHEDULES = {
    "default": [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600],
    "combine_papay": [0, 10, 10, 10, 30, 30, 30] + [300] * 23,
    "global_papay": [15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600],
    "edu": [1] + [60] * 10 + [300] * 10,
    "payscore": [0, 15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600] + [3600] * 68,
}


def test_schedules_and_default_flags_without_scaling():
    assert sum(REFERENCE_SCHEDULES["default"]) == 24 * 3600 + 4 * 60
    assert sum(REFERENCE_SCHEDULES["payscore"]) <= 3 * 86400 < sum(REFERENCE_SCHEDULES["payscore"]) + 3600
    sandbox = start()  # default flags: WeChat Pay's own timing
    try:
        info = http("GET", sandbox.url + "/sandbox/notify-schedules").json()
        assert (info["time_scale"], info["timeout_seconds"]) == (1.0, 5.0)
        assert info["schedules"] == REFERENCE_SCHEDULES
        assert {c: p["schedule"] for c, p in info["products"].items()} == {
            "papay": "default", "papay_partner": "default", "papay_insurance": "default",
            "combine_papay": "combine_papay", "credit_repayment": "default", "global_papay": "global_papay",
            "edu_papay": "edu", "eduschoolpay": "edu", "payscore": "payscore", "payscore_partner": "payscore",
            "payscore_acquiringbank": "payscore", "facepay": "default", "transfer_authorization": "default",
            "transfer_partner_authorization": "default", "webizpay_employee": "default"}
        with Receiver(default=500) as receiver:
            register(sandbox.url, receiver.url)
            assert api(sandbox.url, "POST", PAPAY, REMARK).status == 200
            nid = json.loads(receiver.get().body)["id"]
            deadline = time.monotonic() + TIMEOUT
            while not notifications(sandbox.url)["pending"]:  # bounded by the deadline
                assert time.monotonic() < deadline
                time.sleep(0.02)
            log = notifications(sandbox.url)
        assert deliveries(log) == [delivery(nid, "ENTRUST.TERMINATE", PAPAY_ID, 1, 500, receiver.url)]
        (pending,) = log["pending"]
        assert 10 < pending.pop("due_in_seconds") <= 15
        assert pending == {"notification_id": nid, "event_type": "ENTRUST.TERMINATE", "mchid": "1900007291",
                           "contract": PAPAY_ID, "next_attempt": 2, "delay_seconds": 15}
        assert log["notifications"][0]["state"] == "pending"
    finally:
        stop(sandbox.proc)
        sandbox.stderr.close()


def test_every_retry_fails_then_the_notification_is_abandoned():
    sandbox = start("--notify-time-scale", "0.00001")  # 24 h of retries in under a second
    try:
        with Receiver(default=500) as receiver:
            register(sandbox.url, receiver.url)
            assert api(sandbox.url, "POST", PAPAY, REMARK).status == 200
            assert api(sandbox.url, "POST", _combine(12535, "combine2024010100001"), REMARK).status == 200
            log = settled(sandbox.url, 2)
        by_id = {n["id"]: n for n in log["notifications"]}
        papay, combine = log["notifications"]
        assert (papay["state"], papay["attempts"]) == ("abandoned", 1 + len(REFERENCE_SCHEDULES["default"]))
        assert (combine["state"], combine["attempts"]) == ("abandoned", 1 + len(REFERENCE_SCHEDULES["combine_papay"]))
        for nid, n in by_id.items():
            attempts = [d["attempt"] for d in log["deliveries"] if d["notification_id"] == nid]
            assert attempts == list(range(1, n["attempts"] + 1))
        assert {(d["status"], d["delivered"], d["fault"]) for d in log["deliveries"]} == {(500, False, None)}
        assert log["pending"] == []
    finally:
        stop(sandbox.proc)
        sandbox.stderr.close()


# --- notification faults ----------------------------------------------------------

NOTIFY_FAULT_NAMES = ["probe", "tampered_ciphertext", "wrong_key", "skew", "reserialized", "duplicate",
                      "bad_signature", "unknown_serial"]


def arm_notify(base: str, fault, count=None) -> Resp:
    doc = {"fault": fault} if count is None else {"fault": fault, "count": count}
    return control(base, "POST", "/sandbox/notify-faults", doc)


@pytest.mark.parametrize("fault", [f for f in NOTIFY_FAULT_NAMES if f != "duplicate"])
def test_notify_fault_bytes_then_a_clean_retry(base, fault):
    assert arm_notify(base, fault).json() == {"fault": fault, "remaining": 1, "available": NOTIFY_FAULT_NAMES}
    with Receiver(replies=[500]) as receiver:  # nack the faulty one, as a careful merchant does
        register(base, receiver.url)
        assert api(base, "POST", PAPAY, REMARK).status == 200
        bad, good = receiver.get(), receiver.get()
        log = settled(base)
    genuine = verify(good)  # the retry is the genuine notification
    plain = decrypt(genuine)
    h = bad.headers
    sent = json.loads(bad.body)
    if fault == "probe":
        assert h.get("Wechatpay-Signature").startswith("WECHATPAY/SIGNTEST/")
        base64.b64decode(h.get("Wechatpay-Signature")[len("WECHATPAY/SIGNTEST/"):], validate=True)
        assert bad.body == good.body and not signature_ok(bad, bad.body)
    elif fault == "bad_signature":
        assert len(base64.b64decode(h.get("Wechatpay-Signature"), validate=True)) == 256
        assert bad.body == good.body and not signature_ok(bad, bad.body)
    elif fault == "skew":
        assert abs(int(h.get("Wechatpay-Timestamp")) + 600 - time.time()) <= 60
        assert bad.body == good.body and signature_ok(bad, bad.body)
    elif fault == "unknown_serial":
        assert h.get("Wechatpay-Serial") == UNKNOWN_PUB_KEY_ID
        assert bad.body == good.body and signature_ok(bad, bad.body)
    elif fault == "reserialized":
        assert bad.body != good.body and sent == genuine
        assert bad.body == json.dumps(genuine, ensure_ascii=False, separators=(", ", ": ")).encode()
        assert not signature_ok(bad, bad.body) and signature_ok(bad, good.body)  # signed the compact body
    else:  # tampered_ciphertext, wrong_key: validly signed, only the AEAD tag fails
        assert signature_ok(bad, bad.body) and bad.body == encode(sent)
        assert {k: v for k, v in sent["resource"].items() if k != "ciphertext"} == \
               {k: v for k, v in genuine["resource"].items() if k != "ciphertext"}
        assert {k: v for k, v in sent.items() if k != "resource"} == {k: v for k, v in genuine.items() if k != "resource"}
        with pytest.raises(InvalidTag):
            decrypt(sent)
        ct, ct0 = base64.b64decode(sent["resource"]["ciphertext"]), base64.b64decode(genuine["resource"]["ciphertext"])
        assert len(ct) == len(ct0)
        if fault == "tampered_ciphertext":
            assert [i for i in range(len(ct)) if ct[i] != ct0[i]] == [0] and ct[0] ^ ct0[0] == 1
        else:
            assert decrypt(sent, WRONG_APIV3_KEY) == plain
    if fault != "unknown_serial":
        assert h.get("Wechatpay-Serial") == PUB_KEY_ID
    assert deliveries(log) == [
        delivery(genuine["id"], "ENTRUST.TERMINATE", PAPAY_ID, 1, 500, receiver.url, fault),
        delivery(genuine["id"], "ENTRUST.TERMINATE", PAPAY_ID, 2, 200, receiver.url),
    ]
    assert log["faults"] == {"fault": None, "remaining": 0, "available": NOTIFY_FAULT_NAMES}


def test_duplicate_fault_delivers_the_same_notification_twice(base, receiver):
    arm_notify(base, "duplicate")
    register(base, receiver.url)
    assert api(base, "POST", PAPAY, REMARK).status == 200
    first, second = receiver.get(), receiver.get()
    assert first.body == second.body
    envelope = verify(first)
    assert verify(second)["id"] == envelope["id"]
    log = settled(base)
    assert deliveries(log) == [
        delivery(envelope["id"], "ENTRUST.TERMINATE", PAPAY_ID, 1, 200, receiver.url, "duplicate"),
        delivery(envelope["id"], "ENTRUST.TERMINATE", PAPAY_ID, 2, 200, receiver.url, "duplicate"),
    ]
    assert log["notifications"][0]["state"] == "delivered" and log["notifications"][0]["attempts"] == 2
    assert receiver.requests.empty()


def test_notify_faults_are_armed_per_notification_and_independent_of_response_faults(base, receiver):
    register(base, receiver.url)
    arm_notify(base, "probe", 2)
    arm(base, "skew", 1)  # a response fault: the API answer only
    resp = api(base, "POST", PAPAY, REMARK)
    assert outcome(resp) == "skew"
    assert api(base, "POST", CASE["papay_insurance"].target, REMARK).status == 200
    assert outcome(api(base, "POST", CASE["combine_papay"].target, REMARK)) == "ok"
    got = [receiver.get() for _ in range(3)]
    faults = {json.loads(r.body)["event_type"]: r.headers.get("Wechatpay-Signature").startswith("WECHATPAY/SIGNTEST/")
              for r in got}
    assert faults == {"ENTRUST.TERMINATE": True, "INSURANCE_ENTRUST.TERMINATE": True,
                      "ECOMMERCE_ENTRUST.TERMINATE": False}
    assert http("GET", base + "/sandbox/faults").json()["remaining"] == 0
    assert control(base, "GET", "/sandbox/notify-faults").json() == {"fault": None, "remaining": 0,
                                                                      "available": NOTIFY_FAULT_NAMES}


def test_notify_fault_control_errors(base):
    r = arm_notify(base, "ratelimit")  # a response fault, not a notification fault
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_UNKNOWN_FAULT")
    r = arm_notify(base, "probe", 1001)
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    assert arm_notify(base, "probe", 3).json()["remaining"] == 3
    assert arm_notify(base, None).json() == {"fault": None, "remaining": 0, "available": NOTIFY_FAULT_NAMES}
    assert http("GET", base + "/sandbox/faults").json()["fault"] is None


# --- merchant settings --------------------------------------------------------------


def test_platform_certificate_signer(base, receiver):
    r = control(base, "POST", "/sandbox/merchants/1900007291/notify-signer", {"notify_signer": "platform_certificate"})
    assert r.status == 200 and r.json()["notify_signer"] == "platform_certificate"
    register(base, receiver.url)
    arm_notify(base, "unknown_serial")
    assert api(base, "POST", PAPAY, REMARK).status == 200
    assert api(base, "POST", CASE["papay_insurance"].target, REMARK).status == 200
    first, second = receiver.get(), receiver.get()
    faulty, clean = (first, second) if first.headers.get("Wechatpay-Serial") == UNKNOWN_CERT_SERIAL else (second, first)
    assert faulty.headers.get("Wechatpay-Serial") == UNKNOWN_CERT_SERIAL
    assert signature_ok(faulty, faulty.body, PLATFORM_CERT.public_key())
    envelope = verify(clean, PLATFORM_CERT.public_key(), PLATFORM_SERIAL)
    assert envelope["event_type"] in ("ENTRUST.TERMINATE", "INSURANCE_ENTRUST.TERMINATE")
    r = control(base, "POST", "/sandbox/merchants/1900007291/notify-signer", {"notify_signer": "platform"})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")


def test_alternate_spelling(base, receiver):
    r = control(base, "POST", "/sandbox/merchants/1900007291/notify-spelling", {"notify_spelling": "alternate"})
    assert r.status == 200 and r.json()["notify_spelling"] == "alternate"
    register(base, receiver.url)
    results = {}
    for name in ("papay_partner", "payscore_acquiringbank", "facepay", "credit_repayment"):
        case = CASE[name]
        assert api(base, case.method, case.target, case.body).status == case.status
        envelope = verify(receiver.get())
        results[envelope["event_type"]] = decrypt(envelope)
    schedule = results["ENTRUST.TERMINATE"]["deduct_schedule"]
    assert schedule["estimated_deduct_amount"] == {"amount": 1500, "currency": "CNY"}
    assert schedule["scheduled_amount"] == {"amount": 1500, "currency": "CNY"}
    payscore = results["PAYSCORE.USER_CLOSE_SERVICE"]
    assert (payscore["mch_id"], payscore["sub_mch_id"]) == ("1900007291", "1900000109")
    assert "mchid" not in payscore and "sub_mchid" not in payscore
    facepay = results["FACEPAY.USER_STATE_CHANGE"]
    assert facepay["mchid"] == "1900007291" and "mch_id" not in facepay
    credit = results["CREDIT_REPAYMENT.TERMINATE_CONTRACT"]
    assert (credit["plan_id"], credit["repayment_amount_limit"]) == ("10001", 500000)


@pytest.mark.parametrize("url", [
    "http://example.com/notify", "http://10.0.0.1/notify", "http://192.168.1.10:8080/notify",
    "https://127.0.0.1/notify", "ftp://127.0.0.1/notify", "http://127.0.0.1.example.com/notify",
    "http://user@127.0.0.1/notify", "http://127.0.0.1:99999/notify", "http://127.0.0.1/notify#x",
    "127.0.0.1:8080/notify", "", 123, "http://127.0.0.1/" + "a" * 250,
])
def test_notify_url_must_be_loopback_http(base, url):
    r = control(base, "POST", "/sandbox/merchants/1900007291/notify-url", {"notify_url": url})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_NOTIFY_URL"), url
    merchants = control(base, "GET", "/sandbox/merchants").json()["merchants"]
    assert merchants[0]["notify_url"] is None


def test_merchant_settings_and_reset(base, receiver):
    for url in ("http://localhost:8080/x", "http://[::1]:8080/x", "http://127.0.0.2/x?a=1"):
        register(base, url)
    register(base, None)
    assert control(base, "GET", "/sandbox/merchants").json() == {"merchants": [
        {"mchid": "1900007291", "apiv3_key": APIV3_KEYS["1900007291"], "notify_url": None,
         "notify_signer": "public_key", "notify_spelling": "primary", "certificate_mode": "certificates",
         "rate_limit": None},
        {"mchid": "1234567890", "apiv3_key": APIV3_KEYS["1234567890"], "notify_url": None,
         "notify_signer": "public_key", "notify_spelling": "primary", "certificate_mode": "certificates",
         "rate_limit": None}]}
    r = control(base, "POST", "/sandbox/merchants/1900000000/notify-url", {"notify_url": None})
    assert (r.status, r.json()["code"]) == (404, "SANDBOX_UNKNOWN_MERCHANT")
    for doc in ({}, {"url": receiver.url}, {"notify_url": receiver.url, "x": 1}):
        r = control(base, "POST", "/sandbox/merchants/1900007291/notify-url", doc)
        assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    assert http("GET", base + "/sandbox/merchants/1900007291/notify-url").status == 405
    assert http("POST", base + "/sandbox/merchants/1900007291/other").status == 404

    register(base, receiver.url)
    control(base, "POST", "/sandbox/merchants/1900007291/notify-signer", {"notify_signer": "platform_certificate"})
    arm_notify(base, "probe", 5)
    assert api(base, "POST", PAPAY, REMARK).status == 200
    receiver.get()
    assert len(settled(base)["deliveries"]) == 1
    assert http("POST", base + "/sandbox/reset").status == 200
    assert notifications(base) == {"deliveries": [], "pending": [], "notifications": [],
                                   "faults": {"fault": None, "remaining": 0, "available": NOTIFY_FAULT_NAMES}}
    merchant = control(base, "GET", "/sandbox/merchants").json()["merchants"][0]
    assert (merchant["notify_url"], merchant["notify_signer"]) == (None, "public_key")


def test_apiv3_keys_are_32_ascii_test_keys():
    config = json.loads((HERE / "merchants.json").read_text())
    keys = {m["mchid"]: m["apiv3_key"] for m in config["merchants"]}
    assert keys == APIV3_KEYS
    assert all(len(k.encode("ascii")) == 32 for k in keys.values()) and len(WRONG_APIV3_KEY) == 32


def test_notification_log_lines(server, base, receiver):
    register(base, receiver.url)
    assert api(base, "POST", PAPAY, REMARK).status == 200
    receiver.get()
    settled(base)
    time.sleep(0.1)
    server.stderr.seek(0)
    log = server.stderr.read().decode("utf-8", "replace")
    assert "NOTIFY ENTRUST.TERMINATE attempt=1 status=200 fault=-\n" in log
    assert "用户解约" not in log and APIV3_KEYS["1900007291"] not in log


# ---------------------------------------------------------------------------
# Platform certificates: download, merchant modes, rotation
# ---------------------------------------------------------------------------

CERTS = "/v3/certificates?algorithm_type=RSA"
NO_PLATFORM_CERTIFICATE = "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。"
COMMITTED_PEM = (KEYS / "platform_cert.pem").read_bytes()
COMMITTED_ENTRY = {"serial_no": PLATFORM_SERIAL, "not_before": "2025-01-01T08:00:00+08:00",
                   "not_after": "2045-01-01T08:00:00+08:00", "active": True}
INITIAL_CERTIFICATES = {"listed": [COMMITTED_ENTRY], "signer": PLATFORM_SERIAL}


@dataclass
class Downloaded:
    item: dict  # the JSON entry as listed
    pem: bytes  # decrypted
    cert: x509.Certificate


def download(base: str, target: str = CERTS, merchant: Merchant = DOC, serial_header: Optional[str] = PUB_KEY_ID,
             **kw) -> Resp:
    return api(base, "GET", target, merchant=merchant, serial_header=serial_header, **kw)


def cst(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


def decrypt_certificates(resp: Resp, mchid: str = DOC.mchid) -> list:
    """Checks the listing's shape, decrypts every certificate with the APIv3 key, checks its serial and
    validity against the entry; returns them in listing order."""
    assert resp.status == 200, resp.body
    assert resp.header("Content-Type") == "application/json"
    doc = resp.json()
    assert list(doc) == ["data"] and resp.body == encode(doc)
    out = []
    for item in doc["data"]:
        assert list(item) == ["serial_no", "effective_time", "expire_time", "encrypt_certificate"]
        enc = item["encrypt_certificate"]
        assert list(enc) == ["algorithm", "nonce", "associated_data", "ciphertext"]
        assert (enc["algorithm"], enc["associated_data"]) == ("AEAD_AES_256_GCM", "certificate")
        assert re.fullmatch(r"[0-9A-Za-z]{12}", enc["nonce"])
        pem = AESGCM(APIV3_KEYS[mchid].encode()).decrypt(enc["nonce"].encode(), base64.b64decode(enc["ciphertext"]),
                                                         b"certificate")
        cert = x509.load_pem_x509_certificate(pem)
        assert pem.startswith(b"-----BEGIN CERTIFICATE-----\n")
        assert format(cert.serial_number, "X") == item["serial_no"]
        assert item["effective_time"] == cst(cert.not_valid_before_utc)
        assert item["expire_time"] == cst(cert.not_valid_after_utc)
        assert RFC3339_CST.match(item["effective_time"]) and RFC3339_CST.match(item["expire_time"])
        out.append(Downloaded(item, pem, cert))
    return out


def signed_by(resp: Resp, cert: x509.Certificate) -> bool:
    """True when the response names `cert`'s serial and its signature verifies with `cert`'s key."""
    h = resp.header
    if h("Wechatpay-Serial") != format(cert.serial_number, "X"):
        return False
    message = f"{h('Wechatpay-Timestamp')}\n{h('Wechatpay-Nonce')}\n".encode() + resp.body + b"\n"
    try:
        cert.public_key().verify(base64.b64decode(h("Wechatpay-Signature"), validate=True), message,
                                 padding.PKCS1v15(), hashes.SHA256())
        return True
    except (ValueError, InvalidSignature):
        return False


def certificates(base: str) -> dict:
    return control(base, "GET", "/sandbox/certificates").json()


def cert_control(base: str, action: str, doc=None) -> Resp:
    return control(base, "POST", "/sandbox/certificates/" + action, doc)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("target", [
    "/v3/certificates", "/v3/certificates?algorithm_type=RSA", "/v3/certificates?algorithm_type=ALL",
    "/v3/global/certificates", "/v3/global/certificates?algorithm_type=RSA",
    "/v3/global/certificates?algorithm_type=ALL",
])
@pytest.mark.parametrize("serial_header", [PUB_KEY_ID, None], ids=["pubkey", "platform"])
def test_download_lists_the_committed_certificate(base, target, serial_header):
    resp = download(base, target, serial_header=serial_header)
    assert outcome(resp) == "ok"
    assert resp.header("Wechatpay-Serial") == (serial_header or PLATFORM_SERIAL)
    (got,) = decrypt_certificates(resp)
    assert got.item["serial_no"] == PLATFORM_SERIAL
    assert (got.item["effective_time"], got.item["expire_time"]) == ("2025-01-01T08:00:00+08:00",
                                                                    "2045-01-01T08:00:00+08:00")
    assert got.pem == COMMITTED_PEM
    assert got.cert.public_key().public_numbers() == PLATFORM_CERT.public_key().public_numbers()


@pytest.mark.parametrize("target", ["/v3/certificates?algorithm_type=SM2", "/v3/global/certificates?algorithm_type=SM2"])
def test_sm2_lists_nothing(base, target):
    resp = download(base, target, serial_header=None)
    assert (resp.status, resp.body) == (200, b'{"data":[]}')
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL


def test_download_is_encrypted_per_merchant_with_a_fresh_nonce(base):
    first, second = download(base, merchant=GO), download(base, merchant=GO)
    (a,), (b,) = decrypt_certificates(first, GO.mchid), decrypt_certificates(second, GO.mchid)
    assert a.pem == b.pem == COMMITTED_PEM
    ea, eb = a.item["encrypt_certificate"], b.item["encrypt_certificate"]
    assert ea["nonce"] != eb["nonce"] and ea["ciphertext"] != eb["ciphertext"]
    with pytest.raises(InvalidTag):  # another merchant's APIv3 key
        AESGCM(APIV3_KEYS[DOC.mchid].encode()).decrypt(ea["nonce"].encode(), base64.b64decode(ea["ciphertext"]),
                                                       b"certificate")
    with pytest.raises(InvalidTag):  # other associated data
        AESGCM(APIV3_KEYS[GO.mchid].encode()).decrypt(ea["nonce"].encode(), base64.b64decode(ea["ciphertext"]), b"")


def test_download_request_checks(base):
    resp = download(base, "/v3/certificates?algorithm_type=DSA")
    assert resp.status == 400 and resp.json() == {
        "code": "PARAM_ERROR", "message": "参数错误：algorithm_type必须是RSA、SM2或ALL之一",
        "detail": {"field": "algorithm_type", "value": "DSA", "issue": "algorithm_type必须是RSA、SM2或ALL之一",
                   "location": "query"}}
    assert download(base, "/v3/certificates?algorithm_type=rsa").json()["detail"]["value"] == "rsa"
    resp = download(base, "/v3/certificates?algorithm_type=RSA&algorithm_type=ALL")
    assert resp.status == 400 and resp.json()["detail"]["value"] == ["RSA", "ALL"]
    assert decrypt_certificates(download(base, "/v3/certificates?algorithm_type=RSA&offset=0"))  # others ignored
    for method, path in (("POST", "/v3/certificates"), ("DELETE", "/v3/global/certificates")):
        resp = api(base, method, path)
        assert (resp.status, resp.header("Allow"), resp.json()["code"]) == (405, "GET", "METHOD_NOT_ALLOWED")
    assert download(base, "/v3/certificates/").status == 404
    resp = download(base, omit=("Authorization",))
    assert (resp.status, resp.json()["message"]) == (401, "Http头Authorization值格式错误")
    resp = download(base, sign_target="/v3/certificates")  # the query is part of the signed URL
    assert_sign_mismatch(resp, "GET", CERTS)
    resp = download(base, omit=("Accept",))
    assert (resp.status, resp.json()["message"]) == (400, "Http头缺少Accept或User-Agent")
    resp = download(base, raw=b"{}")
    assert (resp.status, resp.json()) == (400, {"code": "INVALID_REQUEST", "message": "该接口不接受请求主体，请不要发送请求主体"})
    assert resp.header("Wechatpay-Signature") is None


def test_download_takes_header_faults_but_never_an_armed_one(base):
    assert outcome(download(base, fault="probe")) == "probe"
    assert outcome(download(base, fault="tampered_body")) == "bad_signature"
    assert outcome(download(base, serial_header=None, fault="unknown_serial")) == "unknown_serial"
    resp = download(base, fault="ratelimit")
    assert (resp.status, resp.json()["code"]) == (429, "RATELIMIT_EXCEEDED")
    arm(base, "probe", 1)
    assert outcome(download(base)) == "ok"  # a client's certificate refresh cannot spend a test's fault
    assert http("GET", base + "/sandbox/faults").json()["remaining"] == 1
    assert outcome(api(base, "POST", PAPAY, REMARK)) == "probe"


def test_public_key_only_merchant(base, receiver):
    r = control(base, "POST", "/sandbox/merchants/1900007291/certificate-mode", {"certificate_mode": "public_key_only"})
    assert r.status == 200 and r.json() == {
        "mchid": "1900007291", "apiv3_key": APIV3_KEYS["1900007291"], "notify_url": None,
        "notify_signer": "public_key", "notify_spelling": "primary", "certificate_mode": "public_key_only",
        "rate_limit": None}
    for target in ("/v3/certificates", CERTS, "/v3/certificates?algorithm_type=ALL", "/v3/global/certificates"):
        for serial_header in (PUB_KEY_ID, None):
            resp = download(base, target, serial_header=serial_header)
            assert (resp.status, resp.body) == (404, encode({"code": "RESOURCE_NOT_EXISTS",
                                                             "message": NO_PLATFORM_CERTIFICATE}))
            assert resp.header("Wechatpay-Signature") is None and resp.header("Wechatpay-Serial") is None
    (got,) = decrypt_certificates(download(base, merchant=GO), GO.mchid)  # the other merchant still has them
    assert got.item["serial_no"] == PLATFORM_SERIAL
    # Such a merchant only ever gets public-key signatures, whatever it asks for.
    control(base, "POST", "/sandbox/merchants/1900007291/notify-signer", {"notify_signer": "platform_certificate"})
    register(base, receiver.url)
    resp = api(base, "POST", PAPAY, REMARK, serial_header=None)
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PUB_KEY_ID
    assert decrypt(verify(receiver.get()))["contract_state"] == "TERMINATED"
    resp = api(base, "POST", _papay(12537, "wxwtdk20200910100003"), REMARK, merchant=GO, serial_header=None)
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL
    r = control(base, "POST", "/sandbox/merchants/1900007291/certificate-mode", {"certificate_mode": "public_key"})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    assert http("POST", base + "/sandbox/reset").status == 200
    assert control(base, "GET", "/sandbox/merchants").json()["merchants"][0]["certificate_mode"] == "certificates"
    assert decrypt_certificates(download(base))[0].item["serial_no"] == PLATFORM_SERIAL


def test_rotation_walkthrough(base, receiver):
    assert certificates(base) == INITIAL_CERTIFICATES
    control(base, "POST", "/sandbox/merchants/1900007291/notify-signer", {"notify_signer": "platform_certificate"})
    register(base, receiver.url)

    # 1. rotate: a new certificate is listed next to the current one, which still signs.
    key_files = {f.name: f.read_bytes() for f in KEYS.iterdir()}
    before = time.time()
    r = cert_control(base, "rotate")
    assert r.status == 200 and r.json() == certificates(base)
    old, new = r.json()["listed"]
    serial = new["serial_no"]
    assert old == COMMITTED_ENTRY and r.json()["signer"] == PLATFORM_SERIAL
    assert new["active"] is False and re.fullmatch(r"[1-7][0-9A-F]{39}", serial) and serial != PLATFORM_SERIAL
    not_before, not_after = parse_time(new["not_before"]), parse_time(new["not_after"])
    assert RFC3339_CST.match(new["not_before"]) and RFC3339_CST.match(new["not_after"])
    assert not_after - not_before == dt.timedelta(days=1 + 1826)  # now - 1 day ... now + 5 years
    assert before - 86400 - 2 <= not_before.timestamp() <= time.time() - 86400
    resp = download(base, serial_header=None)
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL
    listed = decrypt_certificates(resp)
    assert [d.item["serial_no"] for d in listed] == [PLATFORM_SERIAL, serial]
    assert [(d.item["effective_time"], d.item["expire_time"]) for d in listed] == [
        (c["not_before"], c["not_after"]) for c in (old, new)]
    assert listed[0].pem == COMMITTED_PEM
    new_cert = listed[1].cert
    assert new_cert.public_key().key_size == 2048
    assert {f.name: f.read_bytes() for f in KEYS.iterdir()} == key_files  # generated in memory only
    resp = api(base, "POST", PAPAY, REMARK, serial_header=None)
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL
    verify(receiver.get(), PLATFORM_CERT.public_key(), PLATFORM_SERIAL)  # delivered before the switch

    # 2. activate: the new certificate signs responses and notifications.
    r = cert_control(base, "activate")
    assert r.status == 200 and r.json() == {"listed": [{**old, "active": False}, {**new, "active": True}],
                                            "signer": serial} == certificates(base)
    resp = api(base, "POST", _papay(12535, "wxwtdk20200910100001"), REMARK, serial_header=None)
    assert resp.status == 200 and signed_by(resp, new_cert) and not signed_by(resp, PLATFORM_CERT)
    assert outcome(resp) == "unknown_serial"  # a client that has not downloaded it must refresh
    envelope = verify(receiver.get(), new_cert.public_key(), serial)
    assert decrypt(envelope)["out_contract_code"] == "wxwtdk20200910100001"
    resp = api(base, "POST", CASE["papay_insurance"].target, REMARK, serial_header=PLATFORM_SERIAL)
    assert signed_by(resp, new_cert)  # naming the old serial does not bring it back
    verify(receiver.get(), new_cert.public_key(), serial)
    resp = api(base, "POST", CASE["combine_papay"].target, REMARK)  # asking for the public key still works
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PUB_KEY_ID
    verify(receiver.get(), new_cert.public_key(), serial)  # notify_signer decides notifications
    resp = download(base, serial_header=None)
    assert signed_by(resp, new_cert)
    assert [d.item["serial_no"] for d in decrypt_certificates(resp)] == [PLATFORM_SERIAL, serial]

    # 3. retire: only the new certificate is listed.
    r = cert_control(base, "retire")
    assert r.status == 200 and r.json() == {"listed": [{**new, "active": True}], "signer": serial} == certificates(base)
    resp = download(base, serial_header=None)
    (only,) = decrypt_certificates(resp)
    assert only.item["serial_no"] == serial and only.pem == listed[1].pem and signed_by(resp, new_cert)

    # 4. reset: the committed certificate alone again.
    assert http("POST", base + "/sandbox/reset").status == 200
    assert certificates(base) == INITIAL_CERTIFICATES
    assert [d.item["serial_no"] for d in decrypt_certificates(download(base))] == [PLATFORM_SERIAL]
    resp = api(base, "POST", PAPAY, REMARK, serial_header=None)
    assert outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL


def test_expired_certificate_is_listed_but_never_signs(base):
    now = time.time()
    r = cert_control(base, "rotate", {"expired": True})
    assert r.status == 200
    original, expired = r.json()["listed"]
    assert original == COMMITTED_ENTRY and expired["active"] is False and r.json()["signer"] == PLATFORM_SERIAL
    not_before, not_after = parse_time(expired["not_before"]), parse_time(expired["not_after"])
    assert not_after - not_before == dt.timedelta(days=1826)
    assert now - 86400 - 2 <= not_after.timestamp() <= time.time() - 86400 < now
    listed = decrypt_certificates(download(base))
    assert [d.item["serial_no"] for d in listed] == [PLATFORM_SERIAL, expired["serial_no"]]
    assert listed[1].item["expire_time"] == expired["not_after"]
    assert parse_time(listed[1].item["expire_time"]).timestamp() < time.time()
    assert listed[1].cert.not_valid_after_utc.timestamp() < time.time()
    # Never the signer: a default activate skips it, naming it is refused.
    assert cert_control(base, "activate").json()["signer"] == PLATFORM_SERIAL
    r = cert_control(base, "activate", {"serial_no": expired["serial_no"]})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_CERTIFICATE_EXPIRED")
    assert certificates(base)["signer"] == PLATFORM_SERIAL
    assert outcome(api(base, "POST", PAPAY, REMARK, serial_header=None)) == "ok"
    # retire drops expired certificates as well as those older than the signer.
    assert cert_control(base, "retire").json() == INITIAL_CERTIFICATES
    cert_control(base, "rotate", {"expired": True})
    cert_control(base, "rotate")
    view = cert_control(base, "activate").json()
    (_, _, fresh) = view["listed"]
    assert view["signer"] == fresh["serial_no"] and fresh["active"]
    assert cert_control(base, "retire").json() == {"listed": [fresh], "signer": fresh["serial_no"]}


def test_certificate_control_errors(base):
    for doc in ({"expired": "yes"}, {"expired": None}, {"other": True}, [True]):
        r = cert_control(base, "rotate", doc)
        assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST"), doc
    r = cert_control(base, "activate", {"serial_no": "00"})
    assert (r.status, r.json()["code"]) == (404, "SANDBOX_UNKNOWN_CERTIFICATE")
    r = cert_control(base, "activate", {"serial_no": 1})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    r = cert_control(base, "retire", {"serial_no": PLATFORM_SERIAL})
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_CERTIFICATE_IN_USE")
    new = cert_control(base, "rotate").json()["listed"][1]["serial_no"]
    assert cert_control(base, "activate", {"serial_no": PLATFORM_SERIAL.lower()}).json()["signer"] == PLATFORM_SERIAL
    assert cert_control(base, "retire", {"serial_no": new.lower()}).json() == INITIAL_CERTIFICATES  # by serial
    assert http("GET", base + "/sandbox/certificates/rotate").status == 405
    assert http("POST", base + "/sandbox/certificates").status == 405
    assert http("POST", base + "/sandbox/log").status == 405
    for _ in range(9):
        assert cert_control(base, "rotate").status == 200
    r = cert_control(base, "rotate")  # at most 10 listed
    assert (r.status, r.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    assert len(certificates(base)["listed"]) == 10


# ---------------------------------------------------------------------------
# Request log (GET /sandbox/log)
# ---------------------------------------------------------------------------


def request_log(base: str) -> list:
    entries = control(base, "GET", "/sandbox/log").json()["requests"]
    for e in entries:
        assert RFC3339_CST.match(e.pop("time")), e
        # The Request-ID of the answer: 40 upper-case hex characters, unique per request.
        assert re.fullmatch(r"[0-9A-F]{40}", e.pop("request_id")), e
    return entries


def entry(method: str, path: str, operation: Optional[str], status: int, nonce: Optional[str],
          mchid: Optional[str] = DOC.mchid, fault: Optional[str] = None) -> dict:
    return {"method": method, "path": path, "mchid": mchid, "operation": operation, "status": status,
            "fault": fault, "nonce": nonce}


def test_request_log_counts_every_api_request(base):
    assert request_log(base) == []
    nonces = [secrets.token_hex(16).upper() for _ in range(8)]
    certs_auth = authorization(DOC, "GET", CERTS, b"", nonce=nonces[0])
    papay_auth = authorization(DOC, "POST", PAPAY, encode(REMARK), nonce=nonces[1])
    assert download(base, auth=certs_auth).status == 200
    assert api(base, "POST", PAPAY, REMARK, auth=papay_auth).status == 200
    assert api(base, "POST", PAPAY, REMARK, auth=papay_auth).status == 400  # the same request sent again
    assert api(base, "POST", PE, REMARK, fault="probe",
               auth=authorization(DOC, "POST", PE, encode(REMARK), nonce=nonces[2])).status == 200
    # Control requests are not logged; an armed fault shows on the request that used it.
    state(base)
    arm(base, "ratelimit", 1)
    edu = EDU.format("2045011120563805041758214605")
    assert api(base, "POST", edu, auth=authorization(DOC, "POST", edu, b"", nonce=nonces[3])).status == 429
    glob = "/v3/global/certificates"
    assert download(base, glob, merchant=GO, auth=authorization(GO, "GET", glob, b"", nonce=nonces[4])).status == 200
    assert http("GET", base + "/v3/unknown").status == 404
    assert api(base, "POST", "/v3/certificates",
               auth=authorization(DOC, "POST", "/v3/certificates", b"", nonce=nonces[5])).status == 405
    assert api(base, "POST", PAPAY, REMARK, auth=papay_auth.replace(DOC.mchid, "1900000000")).status == 401
    delete = "/v3/edu-papay/contracts/204009101000000000000001"
    assert api(base, "DELETE", delete, auth=authorization(DOC, "DELETE", delete, b"", nonce=nonces[6])).status == 204
    log = request_log(base)
    assert log == [
        entry("GET", "/v3/certificates", "download_certificates", 200, nonces[0]),
        entry("POST", PAPAY, "terminate_papay_contract", 200, nonces[1]),
        entry("POST", PAPAY, "terminate_papay_contract", 400, nonces[1]),
        entry("POST", PE, "terminate_password_exempt_contract", 200, nonces[2], fault="probe"),
        entry("POST", edu, "terminate_eduschoolpay_contract", 429, nonces[3], fault="ratelimit"),
        entry("GET", glob, "download_certificates", 200, nonces[4], mchid=GO.mchid),
        entry("GET", "/v3/unknown", None, 404, None, mchid=None),
        entry("POST", "/v3/certificates", None, 405, nonces[5]),
        entry("POST", PAPAY, "terminate_papay_contract", 401, nonces[1], mchid="1900000000"),
        entry("DELETE", delete, "terminate_edu_papay_contract", 204, nonces[6]),
    ]
    # What an e2e test asserts with it:
    downloads = [e for e in log if e["operation"] == "download_certificates"]
    assert len(downloads) == 2
    sent = collections.Counter((e["operation"], e["nonce"]) for e in log
                               if e["operation"] and e["operation"] != "download_certificates")
    assert [key for key, n in sent.items() if n > 1] == [("terminate_papay_contract", nonces[1])]
    assert sum(1 for e in log if e["path"] == PAPAY and e["mchid"] == DOC.mchid) == 2
    assert http("POST", base + "/sandbox/reset").status == 200
    assert request_log(base) == []
