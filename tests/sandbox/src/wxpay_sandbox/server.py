"""The sandbox server: a local, independent WeChat Pay APIv3 stand-in for the 19
contract-termination endpoints and the 19 queries that read those contracts back.

It verifies requests the way WeChat Pay does (headers, Authorization, clock skew, RSA
signature over the exact bytes received, JSON rules, documented limits), keeps seeded
contracts/authorizations whose state the terminations change, signs its success responses
with its own test keys, and can inject response faults. It never imports wxpay-terminate:
it is a second, independent implementation of the protocol so that a shared bug cannot
cancel itself out.

It also delivers WeChat Pay's signed, encrypted termination notifications (回调通知) to each
merchant's loopback notify_url, with WeChat Pay's retry schedules and notification faults,
serves the platform-certificate download (GET /v3/certificates) with test-controlled
certificate rotation, limits each merchant's request rate when asked to, and keeps a log of
every API request for tests to count.

For load and soak runs it seeds records in bulk (POST /sandbox/seed), injects connection faults
(reset before / after processing, slow answers) on demand or at random (chaos mode), and keeps
a ledger per record (GET /sandbox/ledger) that shows whether each was terminated exactly once
and whether a client terminated it again after it had been told it was terminated.

The command line lives in `wxpay_sandbox.cli` (`wxpay-sandbox`, and the repository's
`tests/sandbox/server.py`); `make_server(ServerOptions(...))` builds a server in-process.
Requires Python >= 3.9 and `cryptography`.
"""

import base64
import copy
import datetime as dt
import hashlib
import heapq
import http.client
import ipaddress
import json
import os
import random
import re
import secrets
import select
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Deque, Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
AUTH_KEYS = frozenset({"mchid", "nonce_str", "signature", "timestamp", "serial_no"})
MAX_SKEW = 300  # seconds; "timestamp与发起请求的时间不得超过5分钟"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000099"
# Serials no client can know, for the `unknown_serial` fault (one per key mode).
UNKNOWN_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000009999"
UNKNOWN_CERT_SERIAL = "7D5E1A0C3B2F4E6D8C9A0B1C2D3E4F5A6B7C8D9E"
MAX_BODY = 1 << 20
CST = dt.timezone(dt.timedelta(hours=8))

# ---------------------------------------------------------------------------
# Endpoint table: the 19 catalog terminations and their 19 queries, declared once.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"  # "string" or "integer" (a non-negative JSON integer / digits in a path)
    required: bool = True
    max_chars: Optional[int] = None  # counted in Unicode characters, as the docs count them
    alnum: bool = False  # "只能是数字、大小写字母的组合"


def s(name: str, max_chars: Optional[int] = None, alnum: bool = False, required: bool = True) -> Field:
    return Field(name, "string", required, max_chars, alnum)


def n(name: str) -> Field:
    return Field(name, "integer")


def opt(name: str, max_chars: Optional[int] = None) -> Field:
    return Field(name, "string", False, max_chars)


@dataclass(frozen=True)
class Endpoint:
    id: str
    method: str
    path: str
    success: int  # 200 (JSON body) or 204 (no body)
    path_params: Tuple[Field, ...]
    body: Tuple[Field, ...]
    collection: str  # which seeded records it acts on
    keys: Tuple[str, ...]  # request params that must equal the record's same-named attribute
    remark: Optional[str] = None  # request param stored as the termination remark
    output: Optional[str] = None  # response builder name (None for 204)
    one_of: Tuple[str, ...] = ()  # at least one of these optional params must be given
    kind: str = "terminate"  # "terminate" (changes the record) or "query" (reads it)
    query: Tuple[Field, ...] = ()  # query-string parameters (queries only; others ignore the query)
    requires: Tuple[Tuple[str, str], ...] = ()  # (a, b): when a is given, b is required too
    many: bool = False  # the answer lists every matching record (WeBizPay: one user, several employees)

    @property
    def has_body(self) -> bool:
        return bool(self.body)


def Q(id: str, path: str, path_params: Tuple[Field, ...], query: Tuple[Field, ...], collection: str,
      keys: Tuple[str, ...], output: str, **more) -> Endpoint:
    """A query endpoint: GET, no body, 200 + signed JSON showing the record's current state."""
    return Endpoint(id, "GET", path, 200, path_params, (), collection, keys, None, output,
                    kind="query", query=query, **more)


REMARK = "contract_termination_remark"

ENDPOINTS: Tuple[Endpoint, ...] = (
    Endpoint("terminate_eduschoolpay_contract", "POST",
             "/v3/eduschoolpay/contracts/{contract_id}/terminate", 204,
             (s("contract_id", 32),), (),
             "eduschoolpay", ("contract_id",)),
    Endpoint("terminate_password_exempt_contract", "POST",
             "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate", 200,
             (n("service_id"), s("out_contract_code", 32, alnum=True)), (s(REMARK, 256),),
             "password_exempt", ("service_id", "out_contract_code"), REMARK, "password_exempt"),
    Endpoint("terminate_papay_contract", "POST",
             "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate", 200,
             (n("plan_id"), s("out_contract_code", 32)), (s(REMARK, 256),),
             "papay", ("plan_id", "out_contract_code"), REMARK, "papay"),
    Endpoint("terminate_papay_partner_contract", "POST",
             "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate", 200,
             (n("plan_id"), s("out_contract_code", 32)), (s("sub_mchid"), s(REMARK, 256)),
             "papay_partner", ("plan_id", "out_contract_code", "sub_mchid"), REMARK, "papay_partner"),
    Endpoint("terminate_papay_insurance_contract", "POST",
             "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate", 200,
             (n("plan_id"), s("out_contract_code", 32)), (s(REMARK, 256),),
             "papay_insurance", ("plan_id", "out_contract_code"), REMARK, "insurance"),
    Endpoint("terminate_combine_papay_contract", "POST",
             "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate", 200,
             (n("plan_id"), s("out_contract_code", 32)), (s(REMARK, 256),),
             "combine_papay", ("plan_id", "out_contract_code"), REMARK, "combine_papay"),
    Endpoint("terminate_credit_repayment_contract", "POST",
             "/v3/credit-repayment/partner/contracts/terminate", 200,
             (), (s("out_contract_code", 32, alnum=True), s(REMARK, 128)),
             "credit_repayment", ("out_contract_code",), REMARK, "credit_repayment"),
    Endpoint("terminate_global_papay_contract", "POST",
             "/v3/global/papay/contracts/{contract_id}/terminate", 204,
             (s("contract_id", 64),),
             (opt("appid"), opt("sp_appid"), opt("sub_mchid"), opt("sub_appid"), opt("termination_note", 256)),
             "global_papay", ("contract_id", "appid", "sp_appid", "sub_mchid", "sub_appid"), "termination_note"),
    Endpoint("terminate_edu_papay_contract", "DELETE",
             "/v3/edu-papay/contracts/{contract_id}", 204,
             (s("contract_id", 32),), (),
             "edu_papay", ("contract_id",)),
    Endpoint("terminate_facepay_user_contract", "POST",
             "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract", 204,
             (s("organization_id"), s("user_id")), (),
             "facepay", ("organization_id", "user_id")),
    Endpoint("terminate_payscore_permission_by_authorization_code", "POST",
             "/v3/payscore/permissions/authorization-code/{authorization_code}/terminate", 204,
             (s("authorization_code"),), (s("service_id"), s("reason")),
             "payscore", ("authorization_code", "service_id"), "reason"),
    Endpoint("terminate_payscore_permission_by_openid", "POST",
             "/v3/payscore/permissions/openid/{openid}/terminate", 204,
             (s("openid"),), (s("service_id"), s("appid"), s("reason")),
             "payscore", ("openid", "service_id", "appid"), "reason"),
    Endpoint("terminate_payscore_partner_permission_by_authorization_code", "POST",
             "/v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate", 204,
             (s("authorization_code"),), (s("service_id"), s("sub_mchid"), s("reason")),
             "payscore_partner", ("authorization_code", "service_id", "sub_mchid"), "reason"),
    Endpoint("terminate_payscore_partner_permission", "POST",
             "/v3/payscore/partner/permissions/terminate", 204,
             (), (s("service_id"), s("appid"), s("sub_mchid"), s("reason"),
                  opt("openid"), opt("sub_openid"), opt("sub_appid")),
             "payscore_partner", ("service_id", "appid", "sub_mchid", "openid", "sub_openid", "sub_appid"), "reason",
             one_of=("openid", "sub_openid")),
    Endpoint("terminate_payscore_acquiringbank_permission", "POST",
             "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate", 204,
             (s("authorization_code"),), (s("service_id"), s("sub_mchid"), s("reason"), opt("channel_id")),
             "payscore_acquiringbank", ("authorization_code", "service_id", "sub_mchid", "channel_id"), "reason"),
    Endpoint("terminate_payscore_user_permission", "POST",
             "/v3/payscore/users/{openid}/permissions/{service_id}/terminate", 204,
             (s("openid"), s("service_id")), (s("appid"), s("reason")),
             "payscore", ("openid", "service_id", "appid"), "reason"),
    Endpoint("close_transfer_authorization", "POST",
             "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}/close", 200,
             (s("out_authorization_no"),), (),
             "transfer_authorization", ("out_authorization_no",), None, "transfer_authorization"),
    Endpoint("close_transfer_partner_authorization", "POST",
             "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}/close", 200,
             (s("out_authorization_no"),), (),
             "transfer_partner_authorization", ("out_authorization_no",), None, "transfer_authorization"),
    Endpoint("revoke_webizpay_employee", "POST",
             "/v3/webizpay/employees/{employee_id}/revoke", 200,
             (s("employee_id"),), (s("sp_mchid"), s("sub_mchid")),
             "webizpay_employee", ("employee_id", "sp_mchid", "sub_mchid"), None, "webizpay"),
    # --- the queries WeChat Pay documents for each family (docs/query-endpoints.md) -------------
    Q("query_eduschoolpay_contract", "/v3/eduschoolpay/contracts/{contract_id}",
      (s("contract_id", 32),), (), "eduschoolpay", ("contract_id",), "q_eduschoolpay"),
    Q("query_password_exempt_contract",
      "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}",
      (n("service_id"), s("out_contract_code", 32, alnum=True)), (),
      "password_exempt", ("service_id", "out_contract_code"), "q_password_exempt"),
    Q("query_papay_contract", "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
      (n("plan_id"), s("out_contract_code", 32)), (), "papay", ("plan_id", "out_contract_code"), "q_papay"),
    Q("query_papay_partner_contract",
      "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
      (n("plan_id"), s("out_contract_code", 32)), (s("sub_mchid", 32),),
      "papay_partner", ("plan_id", "out_contract_code", "sub_mchid"), "q_papay_partner"),
    Q("query_papay_insurance_contract",
      "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
      (n("plan_id"), s("out_contract_code", 32)), (), "papay_insurance", ("plan_id", "out_contract_code"),
      "q_insurance"),
    Q("query_combine_papay_contract",
      "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
      (n("plan_id"), s("out_contract_code", 32)), (), "combine_papay", ("plan_id", "out_contract_code"),
      "q_combine_papay"),
    Q("query_credit_repayment_contract", "/v3/credit-repayment/partner/contracts/{out_contract_code}",
      (s("out_contract_code", 32, alnum=True),), (), "credit_repayment", ("out_contract_code",),
      "q_credit_repayment"),
    # apihk: direct merchants send appid, institutions sub_mchid + sp_appid (+ sub_appid).
    Q("query_global_papay_contract", "/v3/global/papay/contracts/{contract_id}",
      (s("contract_id", 64),), (opt("appid", 32), opt("sub_mchid", 32), opt("sp_appid", 32), opt("sub_appid", 32)),
      "global_papay", ("contract_id", "appid", "sp_appid", "sub_mchid", "sub_appid"), "q_global_papay",
      one_of=("appid", "sub_mchid"), requires=(("sub_mchid", "sp_appid"),)),
    Q("query_edu_papay_contract", "/v3/edu-papay/contracts/id/{contract_id}",
      (s("contract_id", 32),), (s("appid", 32), opt("sub_mchid", 32), opt("sub_appid", 32)),
      "edu_papay", ("contract_id", "appid", "sub_mchid", "sub_appid"), "q_edu_papay"),
    Q("query_facepay_user", "/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}",
      (s("organization_id"), s("out_user_id")), (), "facepay", ("organization_id", "out_user_id"), "q_facepay"),
    Q("query_payscore_permission_by_authorization_code",
      "/v3/payscore/permissions/authorization-code/{authorization_code}",
      (s("authorization_code", 32),), (s("service_id", 32),),
      "payscore", ("authorization_code", "service_id"), "q_payscore"),
    Q("query_payscore_permission_by_openid", "/v3/payscore/permissions/openid/{openid}",
      (s("openid", 128),), (s("service_id", 32), s("appid", 32)),
      "payscore", ("openid", "service_id", "appid"), "q_payscore"),
    Q("query_payscore_user_service_state", "/v3/payscore/user-service-state",
      (), (s("appid", 32), s("service_id", 32), s("openid", 128)),
      "payscore", ("openid", "service_id", "appid"), "q_user_service_state"),
    Q("query_payscore_partner_permission_by_authorization_code",
      "/v3/payscore/partner/permissions/authorization-code/{authorization_code}",
      (s("authorization_code", 32),), (s("service_id", 32), s("sub_mchid", 32)),
      "payscore_partner", ("authorization_code", "service_id", "sub_mchid"), "q_payscore"),
    Q("query_payscore_partner_permission", "/v3/payscore/partner/permissions/search",
      (), (s("service_id", 32), s("appid", 32), s("sub_mchid", 32), opt("sub_appid", 32), opt("openid", 128),
           opt("sub_openid", 128)),
      "payscore_partner", ("service_id", "appid", "sub_mchid", "openid", "sub_openid", "sub_appid"), "q_payscore",
      one_of=("openid", "sub_openid")),
    Q("query_payscore_acquiringbank_permission",
      "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}",
      (s("authorization_code", 32),), (s("service_id", 32), s("channel_id", 32), s("sub_mchid", 32)),
      "payscore_acquiringbank", ("authorization_code", "service_id", "sub_mchid", "channel_id"), "q_payscore"),
    Q("query_transfer_authorization",
      "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}",
      (s("out_authorization_no", 32),), (), "transfer_authorization", ("out_authorization_no",), "q_transfer"),
    Q("query_transfer_partner_authorization",
      "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}",
      (s("out_authorization_no", 32),), (), "transfer_partner_authorization", ("out_authorization_no",),
      "q_transfer"),
    Q("query_webizpay_employee_authorization", "/v3/webizpay/users/{user_id}/authorization-state",
      (s("user_id", 32),), (s("sp_mchid", 32), s("sub_mchid", 32)),
      "webizpay_employee", ("user_id", "sp_mchid", "sub_mchid"), "q_webizpay", many=True),
)

TERMINATE_ENDPOINTS = tuple(ep for ep in ENDPOINTS if ep.kind == "terminate")
QUERY_ENDPOINTS = tuple(ep for ep in ENDPOINTS if ep.kind == "query")


def _client_params() -> Dict[str, Tuple[str, ...]]:
    """Per collection, every parameter its terminate and query requests match on (path, body or
    query), in first-seen order: what a client needs to know to act on a record."""
    out: Dict[str, List[str]] = {}
    for ep in ENDPOINTS:
        names = out.setdefault(ep.collection, [])
        names.extend(k for k in ep.keys if k not in names)
    return {c: tuple(v) for c, v in out.items()}


CLIENT_PARAMS = _client_params()
# Which request parameter finds a record fastest (an index per collection and attribute); the
# first of these a request gives is looked up, the other keys then filter the candidates.
LOOKUP_KEYS = ("authorization_code", "out_contract_code", "contract_id", "out_authorization_no", "employee_id",
               "out_user_id", "user_id", "openid", "sub_openid")

# What the answers say per collection: (not found message, already terminated message).
MESSAGES: Dict[str, Tuple[str, str]] = {
    "eduschoolpay": ("协议不存在", "协议已解约"),
    "password_exempt": ("协议不存在", "协议已解约"),
    "papay": ("协议不存在", "协议已解约"),
    "papay_partner": ("协议不存在", "协议已解约"),
    "papay_insurance": ("协议不存在", "协议已解约"),
    "combine_papay": ("协议不存在", "协议已解约"),
    "credit_repayment": ("协议不存在", "协议已解约"),
    "global_papay": ("协议不存在", "协议已解约"),
    "edu_papay": ("协议不存在", "协议已解约"),
    "facepay": ("用户不存在", "用户已解约"),
    "payscore": ("授权关系不存在", "用户授权关系已解除"),
    "payscore_partner": ("授权关系不存在", "用户授权关系已解除"),
    "payscore_acquiringbank": ("授权关系不存在", "用户授权关系已解除"),
    "transfer_authorization": ("授权单不存在", "授权已关闭"),
    "transfer_partner_authorization": ("授权单不存在", "授权已关闭"),
    "webizpay_employee": ("员工授权关系不存在", "员工授权已解除"),
}


# The attributes that name a record in /sandbox/state, per collection.
ID_KEYS: Dict[str, Tuple[str, ...]] = {
    "eduschoolpay": ("contract_id",),
    "password_exempt": ("service_id", "out_contract_code"),
    "papay": ("plan_id", "out_contract_code"),
    "papay_partner": ("plan_id", "out_contract_code"),
    "papay_insurance": ("plan_id", "out_contract_code"),
    "combine_papay": ("plan_id", "out_contract_code"),
    "credit_repayment": ("out_contract_code",),
    "global_papay": ("contract_id",),
    "edu_papay": ("contract_id",),
    "facepay": ("organization_id", "user_id"),
    "payscore": ("authorization_code",),
    "payscore_partner": ("authorization_code",),
    "payscore_acquiringbank": ("authorization_code",),
    "transfer_authorization": ("out_authorization_no",),
    "transfer_partner_authorization": ("out_authorization_no",),
    "webizpay_employee": ("employee_id",),
}


def record_id(record: dict) -> str:
    """A readable id for /sandbox/state, e.g. `papay:12535:wxwtdk20200910100000`."""
    names = ID_KEYS[record["collection"]]
    return ":".join([record["collection"]] + [str(record["attrs"][k]) for k in names])


# ---------------------------------------------------------------------------
# Success bodies (fields of the typed outputs, models.rs)
# ---------------------------------------------------------------------------


def _terminate_info(record: dict) -> dict:
    t = record["termination"]
    info = {"contract_termination_mode": t["mode"], "contract_terminated_time": t["time"]}
    if t["remark"] is not None:
        info["contract_termination_remark"] = t["remark"]
    return info


def _pick(attrs: dict, names: Tuple[str, ...]) -> dict:
    return {k: attrs[k] for k in names if k in attrs}


def _terminated(record: dict) -> bool:
    return record["state"] == "TERMINATED"


# Attributes an answer needs that a record may not carry (records restored from an older state
# file, seed entries that leave them out): plausible defaults.
DEFAULT_SIGNED_TIME = "2024-03-15T10:20:30+08:00"
DEFAULT_EXPIRED_TIME = "2029-03-15T10:20:30+08:00"


def _state_and_info(record: dict, effective: str = "SIGNED", terminated: str = "TERMINATED") -> Tuple[dict, dict]:
    """(`contract_state` field, `contract_terminate_info` field or nothing) of the papay-like answers."""
    if _terminated(record):
        return {"contract_state": terminated}, {"contract_terminate_info": _terminate_info(record)}
    return {"contract_state": effective}, {}


# Terminate answers and (state-aware) query answers. A terminate answer is built from the record
# it has just terminated; a query answer from the record as it is now.


def out_password_exempt(record: dict) -> dict:
    return {"mchid": record["owner"], **_pick(record["attrs"], ("service_id", "out_contract_code"))}


def out_combine_papay(record: dict) -> dict:
    return {"mchid": record["owner"], **_pick(record["attrs"], ("plan_id", "out_contract_code"))}


def out_papay(record: dict) -> dict:
    a = record["attrs"]
    state, info = _state_and_info(record)
    return {
        "mchid": record["owner"],
        **_pick(a, ("contract_id", "appid", "plan_id", "out_contract_code", "contract_display_account")),
        **state,
        **_pick(a, ("contract_signed_time", "contract_expired_time", "openid")),
        **info,
        **_pick(a, ("out_user_code", "deduct_schedule")),
    }


def out_papay_partner(record: dict) -> dict:
    a = record["attrs"]
    state, info = _state_and_info(record)
    return {
        "contract_id": a["contract_id"], "sp_mchid": record["owner"], "sp_appid": a["appid"],
        "sub_mchid": a["sub_mchid"], **_pick(a, ("sub_appid",)),
        "plan_id": a["plan_id"], "out_contract_code": a["out_contract_code"],
        "contract_display_account": a["contract_display_account"], **state,
        **_pick(a, ("contract_signed_time", "contract_expired_time")),
        "sp_openid": a["openid"], **_pick(a, ("sub_openid",)),
        **info,
        **_pick(a, ("out_user_code", "deduct_schedule")),
    }


def out_insurance(record: dict) -> dict:
    a = record["attrs"]
    state, info = _state_and_info(record)
    return {
        "mchid": record["owner"],
        **_pick(a, ("contract_id", "appid", "plan_id", "out_contract_code", "insured_display_name")),
        **state,
        **_pick(a, ("contract_signed_time", "contract_expired_time")),
        **info,
        **_pick(a, ("openid", "out_user_code")),
    }


CREDIT_MODES = {"MCH_API_TERMINATE": "TERMINATION_MODE_BY_MERCHANT", "USER_TERMINATE": "TERMINATION_MODE_BY_USER",
                "CUSTOMER_SERVICE_TERMINATE": "TERMINATION_MODE_BY_CUSTOMER_SERVICE"}


def _credit_contract(record: dict) -> dict:
    a, t = record["attrs"], record["termination"]
    info = {
        **_pick(a, ("contract_id", "plan_id", "out_contract_code", "display_name")),
        "contract_state": "CONTRACT_STATE_TERMINATED" if _terminated(record) else "CONTRACT_STATE_EFFECTIVE",
        "contract_signed_time": a.get("contract_signed_time", DEFAULT_SIGNED_TIME),
    }
    if _terminated(record):
        info["contract_terminated_time"] = t["time"]
        info["contract_terminated_mode"] = CREDIT_MODES.get(t["mode"], t["mode"])
        if t["remark"] is not None:
            info["contract_termination_remark"] = t["remark"]
    info.update(_pick(a, ("repayment_day", "openid", "appid", "repayment_amount_limit")))
    return info


def out_credit_repayment(record: dict) -> dict:
    return {"contract_info": _credit_contract(record)}


TRANSFER_REASONS = {"MCH_API_TERMINATE": "CLOSE_VIA_MCH_API", "USER_TERMINATE": "USER_CLOSE"}


def out_transfer_authorization(record: dict) -> dict:
    a = record["attrs"]
    out = {**_pick(a, ("out_authorization_no", "appid", "openid", "user_display_name", "authorization_id")),
           "state": "CLOSED" if _terminated(record) else "TAKING_EFFECT",
           "authorize_time": a["authorize_time"]}
    if _terminated(record):
        mode = record["termination"]["mode"]
        out["close_info"] = {"close_time": record["termination"]["time"],
                             "close_reason": TRANSFER_REASONS.get(mode, mode)}
    out.update(_pick(a, ("transfer_scene_id", "user_recv_perception", "create_time")))
    return out


def out_webizpay(record: dict) -> dict:
    a = record["attrs"]
    return {
        **_pick(a, ("sp_mchid", "sub_mchid", "user_id")),
        "authorization_state": "REVOKED",
        "authorization_revoked_time": record["termination"]["time"],
        "reason": "商户主动解除授权",
    }


OUTPUTS: Dict[str, Callable[[dict], dict]] = {
    "password_exempt": out_password_exempt,
    "papay": out_papay,
    "papay_partner": out_papay_partner,
    "insurance": out_insurance,
    "combine_papay": out_combine_papay,
    "credit_repayment": out_credit_repayment,
    "transfer_authorization": out_transfer_authorization,
    "webizpay": out_webizpay,
}


# --- query answers: (matching records, the request's parameters) -> body ----------------------


def q_eduschoolpay(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    return {"contract_id": a["contract_id"], "mchid": r["owner"], **_pick(a, ("appid", "openid", "plan_id")),
            "contract_status": "DELETE" if _terminated(r) else "ADD",
            "create_time": a.get("create_time", DEFAULT_SIGNED_TIME), **_pick(a, ("out_contract_code",))}


def q_password_exempt(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    state, info = _state_and_info(r)
    return {"mchid": r["owner"],
            **_pick(a, ("contract_id", "appid", "openid", "sub_appid", "sub_openid", "service_id",
                        "out_contract_code", "contract_display_account")),
            **state, "contract_signed_time": a.get("contract_signed_time", DEFAULT_SIGNED_TIME), **info}


def q_combine_papay(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    state, info = _state_and_info(r)
    return {"mchid": r["owner"], **_pick(a, ("contract_id", "appid", "plan_id", "out_contract_code")),
            "contract_display_account": a.get("contract_display_account", "微信代扣"), **state,
            "contract_signed_time": a.get("contract_signed_time", DEFAULT_SIGNED_TIME),
            "contract_expired_time": a.get("contract_expired_time", DEFAULT_EXPIRED_TIME),
            **_pick(a, ("openid",)), **info}


GLOBAL_MODES = {"MCH_API_TERMINATE": "MERCHANT", "USER_TERMINATE": "USER"}  # anything else: PLATFORM


def q_global_papay(rs: List[dict], p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    if "sub_mchid" in p:  # institution mode
        out = {"sp_mchid": r["owner"], **_pick(a, ("sub_mchid", "sp_appid", "sub_appid"))}
    else:
        out = {"mchid": r["owner"], **_pick(a, ("appid",))}
    out.update({**_pick(a, ("contract_id", "plan_id", "out_contract_code")),
                "user_display_name": a.get("user_display_name", "*明"),
                "state": "TERMINATED" if _terminated(r) else "SIGNED",
                "signed_time": a.get("signed_time", DEFAULT_SIGNED_TIME)})
    if _terminated(r):
        t = r["termination"]
        out.update({"terminated_time": t["time"], "termination_mode": GLOBAL_MODES.get(t["mode"], "PLATFORM")})
        if t["remark"] is not None:
            out["termination_note"] = t["remark"]
    out.update(_pick(a, ("openid",)))
    return out


def q_edu_papay(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    return {"sp_mchid": r["owner"], **_pick(a, ("appid", "sub_mchid", "sub_appid", "openid", "sub_openid", "plan_id")),
            "contract_information": {"contract_id": a["contract_id"],
                                     "contract_status": "DELETE" if _terminated(r) else "ADD",
                                     "create_time": a.get("create_time", DEFAULT_SIGNED_TIME)}}


def q_facepay(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    # `use_id` (sic): the face-pay query documents WeChat's face-user id under that name.
    return {"use_id": a["user_id"], **_pick(a, ("out_user_id", "organization_id")),
            "user_name": a.get("user_name", "张*"), "user_type": a.get("user_type", "STUDENT"),
            "student_info": a.get("student_info", {"class_name": "一年级1班"}),
            "status": a.get("status", "NORMAL"),
            "contract_state": "TERMINATED" if _terminated(r) else "CONTRACTED",
            "face_image_ok": a.get("face_image_ok", True), **_pick(a, ("contract_id",))}


def q_payscore(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    a = r["attrs"]
    out = {**_pick(a, ("service_id", "appid")), "mchid": r["owner"],
           **_pick(a, ("sub_mchid", "sub_appid", "channel_id", "openid", "sub_openid", "authorization_code")),
           "authorization_state": "UNAVAILABLE" if _terminated(r) else "AVAILABLE",
           "authorization_success_time": a.get("authorization_success_time", DEFAULT_SIGNED_TIME)}
    if _terminated(r):
        out["cancel_authorization_time"] = r["termination"]["time"]
    return out


def q_user_service_state(rs: List[dict], _p: dict) -> dict:
    r = rs[0]
    return {**_pick(r["attrs"], ("appid", "service_id", "openid")),
            "use_service_state": "UNAVAILABLE" if _terminated(r) else "AVAILABLE"}


def q_webizpay(rs: List[dict], _p: dict) -> dict:
    a = rs[0]["attrs"]
    employees = []
    for r in rs:
        entry = {"employee_id": r["attrs"]["employee_id"],
                 "authorization_state": "REVOKED" if _terminated(r) else "AUTHORIZED",
                 "authorization_time": r["attrs"].get("authorization_time", DEFAULT_SIGNED_TIME)}
        if _terminated(r):
            entry["authorization_revoked_time"] = r["termination"]["time"]
        employees.append(entry)
    return {**_pick(a, ("sp_mchid", "sub_mchid", "user_id")), "employee_list": employees}


def _one(builder: Callable[[dict], dict]) -> Callable[[List[dict], dict], dict]:
    return lambda rs, _p: builder(rs[0])


QUERY_OUTPUTS: Dict[str, Callable[[List[dict], dict], dict]] = {
    "q_eduschoolpay": q_eduschoolpay,
    "q_password_exempt": q_password_exempt,
    "q_papay": _one(out_papay),  # the same body as the terminate answer, in the current state
    "q_papay_partner": _one(out_papay_partner),
    "q_insurance": _one(out_insurance),
    "q_combine_papay": q_combine_papay,
    "q_credit_repayment": _one(_credit_contract),  # the terminate answer's contract_info, at the top level
    "q_global_papay": q_global_papay,
    "q_edu_papay": q_edu_papay,
    "q_facepay": q_facepay,
    "q_payscore": q_payscore,
    "q_user_service_state": q_user_service_state,
    "q_transfer": _one(out_transfer_authorization),
    "q_webizpay": q_webizpay,
}

# How each collection records a merchant-initiated termination.
TERMINATION_MODE = {"transfer_authorization": "CLOSE_VIA_MCH_API",
                    "transfer_partner_authorization": "CLOSE_VIA_MCH_API",
                    "credit_repayment": "TERMINATION_MODE_BY_MERCHANT"}

# User-initiated terminations (POST /sandbox/contracts/terminate): the generic `mode` a test
# asks for -> the mode the record keeps, in the product's own vocabulary where its API has one
# (credit repayment, transfer authorizations). The stored values are accepted as `mode` too.
_PAPAY_USER_MODES = {m: m for m in ("USER_TERMINATE", "CUSTOMER_SERVICE_TERMINATE", "SYSTEM_TERMINATE",
                                    "WEPAY_WEB_TERMINATE")}
_GENERIC_USER_MODES = {m: m for m in ("USER_TERMINATE", "CUSTOMER_SERVICE_TERMINATE", "SYSTEM_TERMINATE")}
USER_MODES: Dict[str, Dict[str, str]] = {
    "papay": _PAPAY_USER_MODES,
    "papay_partner": _PAPAY_USER_MODES,
    "papay_insurance": _PAPAY_USER_MODES,
    "combine_papay": _PAPAY_USER_MODES,
    "credit_repayment": {"USER_TERMINATE": "TERMINATION_MODE_BY_USER",
                         "CUSTOMER_SERVICE_TERMINATE": "TERMINATION_MODE_BY_CUSTOMER_SERVICE"},
    "global_papay": _GENERIC_USER_MODES,
    "edu_papay": _GENERIC_USER_MODES,
    "eduschoolpay": _GENERIC_USER_MODES,
    "password_exempt": _GENERIC_USER_MODES,
    "facepay": _GENERIC_USER_MODES,
    "payscore": _GENERIC_USER_MODES,
    "payscore_partner": _GENERIC_USER_MODES,
    "payscore_acquiringbank": _GENERIC_USER_MODES,
    "transfer_authorization": {"USER_TERMINATE": "USER_CLOSE"},
    "transfer_partner_authorization": {"USER_TERMINATE": "USER_CLOSE"},
    "webizpay_employee": {"USER_TERMINATE": "USER_TERMINATE"},  # 员工注销
}

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer: `{"code", "message", "detail"?}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, detail: Optional[dict] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail

    def body(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_REQUEST", message)


def sign_error(message: str, detail: Optional[dict] = None) -> ApiError:
    return ApiError(401, "SIGN_ERROR", message, detail)


def param_error(field: str, value, issue: str, location: str) -> ApiError:
    return ApiError(400, "PARAM_ERROR", "参数错误：" + issue,
                    {"field": field, "value": value, "issue": issue, "location": location})


AUTH_FORMAT = "Http头Authorization值格式错误"


def ratelimit_error() -> ApiError:
    return ApiError(429, "RATELIMIT_EXCEEDED", "达到调用速率限制")

# ---------------------------------------------------------------------------
# Keys and merchants
# ---------------------------------------------------------------------------


@dataclass
class Merchant:
    """A merchant the sandbox accepts: who it is, the key that verifies its requests, and the
    defaults `POST /sandbox/reset` restores (notify settings, certificate mode, rate limit)."""

    mchid: str
    serial_no: str
    public_key: object  # an RSA public key (from a PUBLIC KEY or CERTIFICATE PEM)
    apiv3_key: str
    notify_url: Optional[str] = None
    notify_signer: str = "public_key"
    certificate_mode: str = "certificates"
    rate_limit: Optional[int] = None  # requests per second; None: no limit
    # Where the keys live, for the start-up banner only (None when unknown).
    public_key_file: Optional[str] = None
    private_key_file: Optional[str] = None
    certificate_file: Optional[str] = None
    origin: str = "merchants.json"


MERCHANT_KEYS = ("mchid", "serial_no", "public_key", "apiv3_key", "notify_url", "notify_signer",
                 "certificate_mode", "rate_limit", "private_key", "private_key_for_tests", "certificate")


def load_public_key_file(path: Path):
    """An RSA public key from a PEM file holding a PUBLIC KEY or a CERTIFICATE; with the
    certificate's serial (upper-case hex) when it is one, else None."""
    data = path.read_bytes()
    serial = None
    key: object
    if b"-----BEGIN CERTIFICATE-----" in data:
        cert = x509.load_pem_x509_certificate(data)
        key, serial = cert.public_key(), format(cert.serial_number, "X")
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("not an RSA public key of at least 2048 bits")
    return key, serial


def check_rate_limit(value) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATE_LIMIT:
        raise ValueError(f"rate_limit must be null or an integer from 1 to {MAX_RATE_LIMIT}")
    return value


def merchant_from_dict(doc: dict, base: Path, source: str) -> Merchant:
    """Validates one merchant entry (merchants.json format; key paths relative to `base`)."""
    if not isinstance(doc, dict):
        raise SystemExit(f"{source}: each merchant must be a JSON object")
    unknown = sorted(k for k in doc if k not in MERCHANT_KEYS and not k.startswith("_"))
    mchid = doc.get("mchid")
    if not isinstance(mchid, str) or not re.fullmatch(r"[0-9]{1,32}", mchid):
        raise SystemExit(f"{source}: mchid must be a string of digits, not {mchid!r}")
    where = f"{source}: merchant {mchid}"
    if unknown:
        raise SystemExit(f"{where}: unknown keys {unknown}; known: {list(MERCHANT_KEYS)}")
    if not isinstance(doc.get("public_key"), str):
        raise SystemExit(f"{where}: public_key must name a PEM file (public key or certificate)")
    public_file = (base / doc["public_key"]).resolve()
    try:
        public_key, cert_serial = load_public_key_file(public_file)
    except (OSError, ValueError) as err:
        raise SystemExit(f"{where}: cannot use public_key {public_file}: {err}") from None
    serial = doc.get("serial_no") or cert_serial
    if not isinstance(serial, str) or not re.fullmatch(r"[0-9A-Za-z_]{1,64}", serial):
        raise SystemExit(f"{where}: serial_no must be the merchant certificate serial (hex), not {serial!r}")
    key = doc.get("apiv3_key")
    if key is None:
        key = derived_apiv3_key(mchid, serial)
    if not isinstance(key, str) or len(key) != 32 or not key.isascii():
        raise SystemExit(f"{where}: apiv3_key must be 32 ASCII characters")
    signer = doc.get("notify_signer", "public_key")
    if signer not in NOTIFY_SIGNERS:
        raise SystemExit(f"{where}: notify_signer must be one of {NOTIFY_SIGNERS}")
    mode = doc.get("certificate_mode", "certificates")
    mode = CERTIFICATE_MODE_ALIASES.get(mode, mode) if isinstance(mode, str) else mode
    if mode not in CERTIFICATE_MODES:
        raise SystemExit(f"{where}: certificate_mode must be one of {CERTIFICATE_MODES}")
    try:
        url = check_notify_url(doc.get("notify_url"))
    except ApiError as err:
        raise SystemExit(f"{where}: notify_url: {err.message}") from None
    try:
        limit = check_rate_limit(doc.get("rate_limit"))
    except ValueError as err:
        raise SystemExit(f"{where}: {err}") from None
    private = doc.get("private_key") or doc.get("private_key_for_tests")
    cert = doc.get("certificate")
    return Merchant(mchid, serial, public_key, key, url, signer, mode, limit, str(public_file),
                    str((base / private).resolve()) if isinstance(private, str) else None,
                    str((base / cert).resolve()) if isinstance(cert, str) else None, source)


def load_merchants_file(path: Path) -> List[Merchant]:
    """The merchants of a merchants.json: `{"merchants": [{mchid, serial_no, public_key, …}]}`."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SystemExit(f"cannot read merchants file {path}: {err}") from None
    if not isinstance(config, dict) or not isinstance(config.get("merchants"), list):
        raise SystemExit(f"{path}: expected a JSON object with a \"merchants\" list")
    return [merchant_from_dict(m, path.parent, str(path)) for m in config["merchants"]]


def derived_apiv3_key(mchid: str, serial: str) -> str:
    """A merchant given without an APIv3 key gets this stable TEST key (32 hex characters),
    the same on every start, so a client configured once keeps working."""
    return hashlib.sha256(f"wxpay-sandbox apiv3 test key {mchid} {serial.upper()}".encode()).hexdigest()[:32]


class Keys:
    """The sandbox's own signing keys (from `keys_dir`) and the merchants' verification keys."""

    def __init__(self, keys_dir: Path, merchants: List[Merchant]) -> None:
        self.dir = keys_dir
        self.public_key_pem = (keys_dir / "wechatpay_public_key.pem").read_text()
        self.public_key_private = _load_private(keys_dir / "wechatpay_public_key.private.pem")
        self.platform_cert_pem = (keys_dir / "platform_cert.pem").read_text()
        cert = x509.load_pem_x509_certificate(self.platform_cert_pem.encode())
        self.platform_serial = format(cert.serial_number, "X")
        self.platform_private = _load_private(keys_dir / "platform_cert.private.pem")
        # The listed platform certificates and the one that signs: starts (and resets) as the
        # configured certificate alone; /sandbox/certificates/* rotates it.
        self.certificates = Certificates(PlatformCertificate.of(cert, self.platform_cert_pem, self.platform_private))
        self.merchant_list = list(merchants)
        self.merchants: Dict[str, Tuple[str, object]] = {}
        self.merchant_config: Dict[str, dict] = {}  # apiv3_key and the reset defaults
        for m in merchants:
            self.merchants[m.mchid] = (m.serial_no, m.public_key)
            self.merchant_config[m.mchid] = {"apiv3_key": m.apiv3_key, "notify_url": m.notify_url,
                                             "notify_signer": m.notify_signer,
                                             "certificate_mode": m.certificate_mode, "rate_limit": m.rate_limit}

    def signer_for(self, request_serial: Optional[str], mode: str = "certificates") -> Tuple[str, object]:
        """Official migration rule (`certificates` mode, a merchant with both): the public key signs
        iff the request named its id; otherwise the active platform certificate. A merchant
        without platform certificates (`public_key_only`) only ever gets public-key signatures,
        one without the public key (`certificates_only`) only platform-certificate ones."""
        if mode == "public_key_only":
            return PUBLIC_KEY_ID, self.public_key_private
        if mode != "certificates_only" and request_serial is not None and request_serial.strip() == PUBLIC_KEY_ID:
            return PUBLIC_KEY_ID, self.public_key_private
        return self.certificates.signing()


def _load_private(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def rsa_sign(key, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def nonce32() -> str:
    return secrets.token_hex(16).upper()


def now_rfc3339() -> str:
    return dt.datetime.now(CST).replace(microsecond=0).isoformat()


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(CST).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------------------
# Platform certificates: the list GET /v3/certificates returns, and rotation
# ---------------------------------------------------------------------------

# certificates: both the platform certificates and the WeChat Pay public key (the migration
# rule picks the signer); public_key_only: the public key alone; certificates_only: the
# platform certificates alone (a merchant from before the public key existed).
CERTIFICATE_MODES = ("certificates", "public_key_only", "certificates_only")
# Friendlier names accepted by the command line and the seed/merchant files.
CERTIFICATE_MODE_ALIASES = {"both": "certificates", "public_key": "public_key_only", "public-key": "public_key_only",
                            "certificate": "certificates_only", "certificates-only": "certificates_only",
                            "public-key-only": "public_key_only"}
MAX_RATE_LIMIT = 100000
# The rate limit's sliding window: one second, less a tolerance for the jitter between when a
# client sends and when the sandbox sees a request (scheduling, loopback, a busy GIL).
RATE_TOLERANCE = 0.1
RATE_WINDOW = 1.0 - RATE_TOLERANCE
MAX_LISTED_CERTIFICATES = 10
ROTATED_VALIDITY = (dt.timedelta(days=1), dt.timedelta(days=1826))  # now - 1 day ... now + 5 years
EXPIRED_VALIDITY = (dt.timedelta(days=1827), dt.timedelta(days=1))  # now - 5 years - 1 day ... now - 1 day


def _validity(cert: x509.Certificate) -> Tuple[dt.datetime, dt.datetime]:
    if hasattr(cert, "not_valid_before_utc"):  # cryptography >= 42
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    utc = dt.timezone.utc
    return cert.not_valid_before.replace(tzinfo=utc), cert.not_valid_after.replace(tzinfo=utc)


@dataclass(frozen=True)
class PlatformCertificate:
    serial: str  # upper-case hex, as WeChat Pay writes serial_no
    pem: str
    key: object  # the private key that signs when this certificate is active
    not_before: dt.datetime
    not_after: dt.datetime

    @staticmethod
    def of(cert: x509.Certificate, pem: str, key) -> "PlatformCertificate":
        return PlatformCertificate(format(cert.serial_number, "X"), pem, key, *_validity(cert))

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment < self.not_after


def new_platform_certificate(expired: bool, taken: Tuple[str, ...]) -> PlatformCertificate:
    """A fresh RSA-2048 key and self-signed certificate, in memory only (never written to disk)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    while True:  # 20 bytes, first byte 0x10..0x7F: 40 hex digits, positive, within X.509's 20 octets
        serial = int.from_bytes(bytes([0x10 + secrets.randbelow(0x70)]) + secrets.token_bytes(19), "big")
        if format(serial, "X") not in taken and format(serial, "X") != UNKNOWN_CERT_SERIAL:
            break
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    before, after = EXPIRED_VALIDITY if expired else ROTATED_VALIDITY
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxpay-terminate sandbox (TEST ONLY)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox WeChat Pay platform certificate (rotated)"),
    ])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now - before)
            .not_valid_after(now - after if expired else now + after)
            .sign(key, hashes.SHA256()))
    return PlatformCertificate.of(cert, cert.public_bytes(serialization.Encoding.PEM).decode(), key)


class Certificates:
    """The platform certificates GET /v3/certificates lists (in the order they were listed) and
    the one that signs responses and certificate-signed notifications."""

    def __init__(self, original: PlatformCertificate) -> None:
        self.lock = threading.Lock()
        self.original = original
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.listed: List[PlatformCertificate] = [self.original]
            self.signer = self.original

    def signing(self) -> Tuple[str, object]:
        with self.lock:
            return self.signer.serial, self.signer.key

    def listing(self) -> List[PlatformCertificate]:
        with self.lock:
            return list(self.listed)

    def view(self) -> dict:
        with self.lock:
            return {"listed": [{"serial_no": c.serial, "not_before": rfc3339(c.not_before),
                                "not_after": rfc3339(c.not_after), "active": c is self.signer}
                               for c in self.listed],
                    "signer": self.signer.serial}

    def _find(self, serial) -> PlatformCertificate:  # with self.lock held
        if not isinstance(serial, str):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "serial_no必须是字符串")
        found = next((c for c in self.listed if c.serial == serial.strip().upper()), None)
        if found is None:
            raise ApiError(404, "SANDBOX_UNKNOWN_CERTIFICATE", f"没有列出序列号为{serial}的平台证书")
        return found

    def rotate(self, expired: bool) -> dict:
        with self.lock:
            taken = tuple(c.serial for c in self.listed)
        cert = new_platform_certificate(expired, taken)  # slow: outside the lock
        with self.lock:
            if len(self.listed) >= MAX_LISTED_CERTIFICATES:
                raise ApiError(400, "SANDBOX_BAD_REQUEST",
                               f"最多列出{MAX_LISTED_CERTIFICATES}张平台证书，请先retire")
            self.listed.append(cert)
        return self.view()

    def activate(self, serial: Optional[str]) -> dict:
        now = dt.datetime.now(dt.timezone.utc)
        with self.lock:
            if serial is None:  # the newest listed certificate that is valid now
                chosen = next((c for c in reversed(self.listed) if c.valid_at(now)), self.signer)
            else:
                chosen = self._find(serial)
                if not chosen.valid_at(now):
                    raise ApiError(400, "SANDBOX_CERTIFICATE_EXPIRED", f"平台证书{chosen.serial}不在有效期内，不能用于签名")
            self.signer = chosen
        return self.view()

    def retire(self, serial: Optional[str]) -> dict:
        now = dt.datetime.now(dt.timezone.utc)
        with self.lock:
            if serial is None:  # everything listed before the signer, and every expired certificate
                at = self.listed.index(self.signer)
                self.listed = [c for i, c in enumerate(self.listed)
                               if c is self.signer or (i > at and now < c.not_after)]
            else:
                chosen = self._find(serial)
                if chosen is self.signer:
                    raise ApiError(400, "SANDBOX_CERTIFICATE_IN_USE", f"平台证书{chosen.serial}正在签名，请先activate另一张")
                self.listed.remove(chosen)
        return self.view()


# ---------------------------------------------------------------------------
# Sandbox state: records and armed faults, behind one lock
# ---------------------------------------------------------------------------

SIGNATURE_FAULTS = ("probe", "bad_signature", "skew", "missing_headers", "unknown_serial",
                    "tampered_body", "truncated_body")
ERROR_FAULTS = ("ratelimit", "system_error")
# Connection faults: the connection is reset before the request is processed (nothing applied),
# reset after it was processed (applied, the answer lost), or the answer is sent late.
CONNECTION_FAULTS = ("reset_before", "reset_after", "slow")
FAULTS = SIGNATURE_FAULTS + ERROR_FAULTS + CONNECTION_FAULTS
DEFAULT_SLOW_MS = 2000
MAX_SLOW_MS = 60000


def check_delay_ms(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SLOW_MS:
        raise ApiError(400, "SANDBOX_BAD_REQUEST", f"delay_ms必须是0到{MAX_SLOW_MS}的整数")
    return value


class Chaos:
    """Chaos mode (`POST /sandbox/chaos`): every API request (terminations and queries; not
    control requests nor certificate downloads) that has no header or armed fault draws a
    response fault from `random.Random(seed)` with the given rates; with `burst` > 1 a drawn
    fault repeats for that many consecutive requests of the same merchant. `notify_<fault>`
    rates apply to each notification created (when no notification fault is armed).
    Thread-safe: its own lock, never held while taking another."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.off()

    def off(self) -> None:
        with self.lock:
            self.seed = None
            self.rates: Dict[str, float] = {}
            self.notify_rates: Dict[str, float] = {}
            self.delay_ms = DEFAULT_SLOW_MS
            self.burst = 1
            self.rng = random.Random(0)
            self.bursts: Dict[Optional[str], List] = {}  # mchid -> [fault, requests left]
            self.counts: Dict[str, int] = {}
            self.requests = 0
            self.notifications = 0

    def configure(self, doc: dict) -> dict:
        """`{}` or `{"rates": {}}` turns chaos off; otherwise validates and (re)starts it."""
        rates = doc.get("rates", {})
        if not isinstance(rates, dict):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "rates必须是JSON对象（故障名 → 0到1的概率）")
        seed = doc.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "seed必须是整数或字符串")
        delay_ms = check_delay_ms(doc.get("delay_ms", DEFAULT_SLOW_MS))
        burst = doc.get("burst", 1)
        if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= 1000:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "burst必须是1到1000的整数")
        api_rates: Dict[str, float] = {}
        notify_rates: Dict[str, float] = {}
        for name, rate in rates.items():
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", f"rates.{name}必须是0到1之间的数")
            if name in FAULTS:
                target = api_rates
            elif name.startswith("notify_") and name[len("notify_"):] in NOTIFY_FAULTS:
                target, name = notify_rates, name[len("notify_"):]
            else:
                available = list(FAULTS) + ["notify_" + f for f in NOTIFY_FAULTS]
                raise ApiError(400, "SANDBOX_UNKNOWN_FAULT", f"未知的fault：{name}；可用：{', '.join(available)}")
            if rate > 0:
                target[name] = float(rate)
        for group in (api_rates, notify_rates):
            if sum(group.values()) > 1 + 1e-9:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", "同一类（请求/通知）故障的概率之和不能超过1")
        self.off()
        if api_rates or notify_rates:
            with self.lock:
                self.seed, self.rates, self.notify_rates = seed, api_rates, notify_rates
                self.delay_ms, self.burst = delay_ms, burst
                self.rng = random.Random(seed)
        return self.view()

    def _choose(self, rates: Dict[str, float], order: Tuple[str, ...]) -> Optional[str]:  # lock held
        u, acc = self.rng.random(), 0.0
        for name in order:
            acc += rates.get(name, 0.0)
            if u < acc:
                return name
        return None

    def draw(self, mchid: Optional[str]) -> Optional[Tuple[str, float]]:
        """(fault, slow delay in seconds) for one API request of `mchid`, or None."""
        with self.lock:
            if not self.rates:
                return None
            self.requests += 1
            pending = self.bursts.get(mchid)
            if pending is not None:
                fault = pending[0]
                pending[1] -= 1
                if pending[1] <= 0:
                    del self.bursts[mchid]
            else:
                fault = self._choose(self.rates, FAULTS)
                if fault is not None and self.burst > 1:
                    self.bursts[mchid] = [fault, self.burst - 1]
            if fault is None:
                return None
            self.counts[fault] = self.counts.get(fault, 0) + 1
            return fault, self.delay_ms / 1000

    def draw_notify(self) -> Optional[str]:
        with self.lock:
            if not self.notify_rates:
                return None
            self.notifications += 1
            fault = self._choose(self.notify_rates, NOTIFY_FAULTS)
            if fault is not None:
                self.counts["notify_" + fault] = self.counts.get("notify_" + fault, 0) + 1
            return fault

    def view(self) -> dict:
        with self.lock:
            return {"enabled": bool(self.rates or self.notify_rates), "seed": self.seed,
                    "rates": {**self.rates, **{"notify_" + k: v for k, v in self.notify_rates.items()}},
                    "delay_ms": self.delay_ms, "burst": self.burst, "counts": dict(sorted(self.counts.items())),
                    "requests": self.requests, "notifications": self.notifications,
                    "bursts": {m or "-": {"fault": f, "remaining": left} for m, (f, left) in self.bursts.items()}}


LEDGER_FIELDS = ("terminate_requests", "applied", "rejected_already_terminated", "after_confirmed", "queries")


class Ledger:
    """What happened to each record through the API, to prove "exactly once" (`GET
    /sandbox/ledger`). Guarded by `State.lock`."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.contracts: Dict[str, Dict[str, int]] = {}
        # record id -> how the merchant was first shown, intact, that it is terminated:
        # "terminate" (a 2xx terminate answer), "query" (a 2xx query answer), "notification" (acknowledged)
        self.confirmed: Dict[str, str] = {}
        self.rate_limited = 0
        self.faults: Dict[str, int] = {}
        self.notify_faults: Dict[str, int] = {}

    def entry(self, rid: str) -> Dict[str, int]:
        e = self.contracts.get(rid)
        if e is None:
            e = self.contracts[rid] = dict.fromkeys(LEDGER_FIELDS, 0)
        return e

    def view(self) -> dict:
        contracts = {rid: {**e, "confirmed": self.confirmed.get(rid)} for rid, e in self.contracts.items()}
        totals: Dict[str, int] = {k: 0 for k in LEDGER_FIELDS}
        for e in self.contracts.values():
            for k in LEDGER_FIELDS:
                totals[k] += e[k]
        totals["contracts"] = len(self.contracts)
        totals["confirmed"] = len(self.confirmed)
        return {"contracts": contracts, "totals": totals, "rate_limited": self.rate_limited,
                "faults": dict(sorted(self.faults.items())), "notify_faults": dict(sorted(self.notify_faults.items()))}


RECORD_STATES = ("EFFECTIVE", "TERMINATED")


class StateFile:
    """Contract state kept in a JSON file (`--state`): read at start; written atomically (a
    temporary file in the same folder, flushed, then renamed over the old one) after every
    change and on shutdown.

    `{"format": "wxpay-sandbox-state", "version": 1, "saved": RFC 3339,
      "records": [{"collection", "owner", "state", "attrs", "termination"}]}`"""

    FORMAT = "wxpay-sandbox-state"

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Optional[List[dict]]:
        """The saved records, or None when there is no file yet."""
        if not self.path.exists():
            return None
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise SystemExit(f"--state {self.path}: cannot read it: {err}") from None
        if not isinstance(doc, dict) or doc.get("format") != self.FORMAT or doc.get("version") != 1:
            raise SystemExit(f"--state {self.path}: not a wxpay-sandbox state file (format/version)")
        records = doc.get("records")
        if not isinstance(records, list):
            raise SystemExit(f"--state {self.path}: \"records\" must be a list")
        for i, r in enumerate(records):
            ok = (isinstance(r, dict) and r.get("collection") in ID_KEYS and isinstance(r.get("owner"), str)
                  and r.get("state") in RECORD_STATES and isinstance(r.get("attrs"), dict)
                  and all(k in r["attrs"] for k in ID_KEYS[r["collection"]])
                  and (r.get("termination") is None or isinstance(r.get("termination"), dict)))
            if not ok:
                raise SystemExit(f"--state {self.path}: record {i} is malformed")
        return [{k: r.get(k) for k in ("collection", "owner", "state", "attrs", "termination")} for r in records]

    def save(self, records: List[dict]) -> None:
        doc = {"format": self.FORMAT, "version": 1, "saved": now_rfc3339(), "records": records}
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


class State:
    """The records (seeded by `seeder`, or restored from `store`), the armed response fault, the
    request log and the ledger, behind one lock (a termination checks and sets the state and
    updates the ledger in one step); chaos settings behind their own."""

    def __init__(self, seeder: Optional[Callable[[], List[dict]]] = None, store: Optional[StateFile] = None) -> None:
        self.lock = threading.Lock()
        self.save_lock = threading.Lock()  # one writer at a time, each writing the newest records
        self.seeder = seeder or (lambda: [])
        self.store = store
        self.records: List[dict] = []
        self.by_id: Dict[str, dict] = {}
        # (collection, attribute or None) -> attribute value -> records, built on first use
        self.index: Dict[Tuple[str, Optional[str]], Dict[object, List[dict]]] = {}
        self.generation = 0  # bumped by reset: confirmations of answers from before it are dropped
        self.armed: Optional[str] = None
        self.armed_left = 0
        self.armed_delay = DEFAULT_SLOW_MS / 1000
        self.requests: List[dict] = []  # GET /sandbox/log: every API request, in arrival order
        self.ledger = Ledger()
        self.chaos = Chaos()
        saved = store.load() if store is not None else None
        if saved is None:
            self.reset()
        else:
            self._install(saved)
        self.restored = saved is not None

    def _install(self, records: List[dict]) -> None:  # with self.lock held (or not yet shared)
        self.records = records
        self.by_id = {record_id(r): r for r in records}
        self.index = {}

    def reset(self) -> None:
        records = self.seeder()
        with self.lock:
            self._install(records)
            self.armed, self.armed_left, self.armed_delay = None, 0, DEFAULT_SLOW_MS / 1000
            self.requests = []
            self.ledger.clear()
            self.generation += 1
        self.chaos.off()
        self.persist()

    def persist(self) -> None:
        """Writes the records to the state file (if any); a write error is reported, not raised."""
        if self.store is None:
            return
        with self.save_lock:
            with self.lock:  # attrs are never changed in place, state and termination are replaced
                records = [dict(r) for r in self.records]
            try:
                self.store.save(records)
            except OSError as err:
                sys.stderr.write(f"state: cannot write {self.store.path}: {err}\n")
                sys.stderr.flush()

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.requests.append(entry)

    def request_log(self) -> List[dict]:
        with self.lock:
            return copy.deepcopy(self.requests)

    def arm(self, fault: Optional[str], count: int, delay_ms: Optional[int] = None) -> dict:
        with self.lock:
            self.armed, self.armed_left = (fault, count) if fault and count > 0 else (None, 0)
            self.armed_delay = (DEFAULT_SLOW_MS if delay_ms is None else delay_ms) / 1000
            return self.faults_view()

    def faults_view(self) -> dict:
        return {"fault": self.armed, "remaining": self.armed_left, "available": list(FAULTS),
                "delay_ms": int(round(self.armed_delay * 1000))}

    def take_armed(self) -> Optional[Tuple[str, float]]:
        with self.lock:
            if self.armed_left <= 0 or self.armed is None:
                return None
            self.armed_left -= 1
            fault = self.armed
            if self.armed_left == 0:
                self.armed = None
            return fault, self.armed_delay

    def snapshot(self, collection: Optional[str] = None, owner: Optional[str] = None,
                 state: Optional[str] = None) -> List[dict]:
        # Shallow: attrs are never changed in place and a termination replaces state/termination.
        with self.lock:
            return [{"id": record_id(r), "collection": r["collection"], "owner": r["owner"],
                     "state": r["state"], "termination": r["termination"], **r["attrs"]}
                    for r in self.records
                    if (collection is None or r["collection"] == collection)
                    and (owner is None or r["owner"] == owner) and (state is None or r["state"] == state)]

    # --- finding records -------------------------------------------------------

    def _bucket(self, collection: str, key: Optional[str], value) -> List[dict]:  # lock held
        idx = self.index.get((collection, key))
        if idx is None:
            idx = {}
            for r in self.records:
                if r["collection"] == collection:
                    idx.setdefault(r["attrs"].get(key) if key else None, []).append(r)
            self.index[(collection, key)] = idx
        return idx.get(value, [])

    def _find(self, ep: Endpoint, caller: str, params: dict) -> List[dict]:  # lock held
        key = next((k for k in LOOKUP_KEYS if k in ep.keys and k in params), None)
        candidates = self._bucket(ep.collection, key, params[key] if key else None)
        return [r for r in candidates if _matches(r, ep, caller, params)]

    def add_records(self, records: List[dict]) -> List[str]:
        """Adds new records (POST /sandbox/seed); 400 if an id is taken. Returns their ids."""
        ids = [record_id(r) for r in records]
        with self.lock:
            taken = next((i for i in ids if i in self.by_id), None)
            if taken is None and len(set(ids)) != len(ids):
                taken = next(i for i in ids if ids.count(i) > 1)
            if taken is not None:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", f"记录{taken}已存在（id必须唯一；换一个prefix）")
            self.records.extend(records)
            for rid, r in zip(ids, records):
                self.by_id[rid] = r
            for (collection, key), idx in self.index.items():
                for r in records:
                    if r["collection"] == collection:
                        idx.setdefault(r["attrs"].get(key) if key else None, []).append(r)
        self.persist()
        return ids

    # --- the API ----------------------------------------------------------------

    def arrive(self, ep: Endpoint, caller: str, params: dict) -> None:
        """Ledger: a request routed to `ep` that names the caller's record(s), whatever its
        outcome. A terminate request for a record already confirmed terminated counts in
        `after_confirmed`."""
        with self.lock:
            matches = self._find(ep, caller, params)
            for r in (matches if ep.many else matches[:1]):
                rid = record_id(r)
                e = self.ledger.entry(rid)
                if ep.kind == "terminate":
                    e["terminate_requests"] += 1
                    if rid in self.ledger.confirmed:
                        e["after_confirmed"] += 1
                else:
                    e["queries"] += 1

    def terminate(self, ep: Endpoint, caller: str, params: dict) -> Tuple[Optional[dict], dict]:
        """Finds the caller's record and terminates it: (success body or None for 204, record copy)."""
        not_found, already = MESSAGES[ep.collection]
        with self.lock:
            matches = self._find(ep, caller, params)
            if not matches:
                raise ApiError(404, "NOT_FOUND", not_found)
            record = matches[0]
            if record["state"] == "TERMINATED":
                self.ledger.entry(record_id(record))["rejected_already_terminated"] += 1
                raise invalid_request(already)
            record["state"] = "TERMINATED"
            record["termination"] = {
                "mode": TERMINATION_MODE.get(ep.collection, "MCH_API_TERMINATE"),
                "time": now_rfc3339(),
                "remark": params.get(ep.remark) if ep.remark else None,
            }
            self.ledger.entry(record_id(record))["applied"] += 1
            result = (OUTPUTS[ep.output](record) if ep.output else None), copy.deepcopy(record)
        self.persist()
        return result

    def query(self, ep: Endpoint, caller: str, params: dict) -> Tuple[dict, Tuple[str, ...]]:
        """The caller's record(s) as they are now: (answer body, ids of those it shows terminated)."""
        with self.lock:
            matches = self._find(ep, caller, params)
            if not matches:
                raise ApiError(404, "NOT_FOUND", MESSAGES[ep.collection][0])
            shown = matches if ep.many else matches[:1]
            body = QUERY_OUTPUTS[ep.output](shown, params)
            return body, tuple(record_id(r) for r in shown if r["state"] == "TERMINATED")

    def terminate_by_user(self, rid: str, mode: str, remark: Optional[str]) -> dict:
        """Terminates a record as the user / customer service / WeChat Pay would (no API call):
        the same state change as an API termination, with `mode`. Returns a copy of the record."""
        with self.lock:
            record = self.by_id.get(rid)
            if record is None:
                raise ApiError(404, "SANDBOX_UNKNOWN_CONTRACT", f"没有id为{rid}的记录（见GET /sandbox/state）")
            modes = USER_MODES[record["collection"]]
            stored = modes.get(mode) or (mode if mode in modes.values() else None)
            if stored is None:
                accepted = sorted(set(modes) | set(modes.values()))
                raise ApiError(400, "SANDBOX_BAD_MODE", f"{record['collection']}不支持mode {mode}；可用：{', '.join(accepted)}")
            if record["state"] == "TERMINATED":
                raise invalid_request(MESSAGES[record["collection"]][1])
            record["state"] = "TERMINATED"
            record["termination"] = {"mode": stored, "time": now_rfc3339(), "remark": remark}
            copied = copy.deepcopy(record)
        self.persist()
        return copied

    # --- the ledger ---------------------------------------------------------------

    def confirm(self, rids: Tuple[str, ...], how: str, generation: int) -> List[str]:
        """Records that the merchant was just shown, intact, that these records are terminated;
        returns those newly confirmed (to undo if the answer could not be sent after all)."""
        with self.lock:
            if generation != self.generation:
                return []
            newly = []
            for rid in rids:
                if rid not in self.ledger.confirmed:
                    self.ledger.confirmed[rid] = how
                    self.ledger.entry(rid)
                    newly.append(rid)
            return newly

    def unconfirm(self, rids: List[str]) -> None:
        with self.lock:
            for rid in rids:
                self.ledger.confirmed.pop(rid, None)

    def notification_acknowledged(self, rid: str) -> None:
        self.confirm((rid,), "notification", self.generation)

    def count_fault(self, fault: str) -> None:
        with self.lock:
            self.ledger.faults[fault] = self.ledger.faults.get(fault, 0) + 1

    def count_notify_fault(self, fault: str) -> None:
        with self.lock:
            self.ledger.notify_faults[fault] = self.ledger.notify_faults.get(fault, 0) + 1

    def count_rate_limited(self) -> None:
        with self.lock:
            self.ledger.rate_limited += 1

    def ledger_view(self) -> dict:
        with self.lock:
            return self.ledger.view()


def _matches(record: dict, ep: Endpoint, caller: str, params: dict) -> bool:
    # Another merchant's record is reported exactly like a missing one (404), as WeChat Pay
    # does for "协议不存在 / 不属于该商户"; optional keys only narrow the match when given.
    if record["collection"] != ep.collection or record["owner"] != caller:
        return False
    attrs = record["attrs"]
    return all(params[k] == attrs.get(k) for k in ep.keys if k in params)


# ---------------------------------------------------------------------------
# Request checks, in the order WeChat Pay applies them
# ---------------------------------------------------------------------------


def check_headers(headers) -> None:
    if not headers.get("Accept") or not headers.get("User-Agent"):
        raise invalid_request("Http头缺少Accept或User-Agent")


AUTH_ITEM = re.compile(r'([a-z_]+)="([^"]*)"')


def parse_authorization(value: Optional[str]) -> Dict[str, str]:
    """`WECHATPAY2-SHA256-RSA2048 k="v",…` with exactly the five keys, in any order."""
    if not value:
        raise sign_error(AUTH_FORMAT)
    scheme, sep, rest = value.partition(" ")
    if not sep or not rest:
        raise sign_error(AUTH_FORMAT)
    if scheme != AUTH_SCHEME:
        raise sign_error("Http头Authorization认证类型不正确")
    items: Dict[str, str] = {}
    for item in rest.split(","):
        m = AUTH_ITEM.fullmatch(item)
        if m is None or m.group(1) in items or not m.group(2):
            raise sign_error(AUTH_FORMAT)
        items[m.group(1)] = m.group(2)
    if set(items) != AUTH_KEYS or not items["timestamp"].isdigit() or not items["timestamp"].isascii():
        raise sign_error(AUTH_FORMAT)
    return items


def check_merchant(keys: Keys, auth: Dict[str, str]):
    merchant = keys.merchants.get(auth["mchid"])
    if merchant is None:
        raise sign_error("Http头Authorization中的mchid无效")
    serial, public_key = merchant
    # A certificate serial is a hex number: compare case-insensitively.
    if auth["serial_no"].upper() != serial.upper():
        raise sign_error("商户证书序列号有误。请使用签名私钥匹配的证书序列号")
    return public_key


def check_timestamp(auth: Dict[str, str], now: float) -> None:
    if abs(int(auth["timestamp"]) - int(now)) > MAX_SKEW:
        raise sign_error("Http头Authorization中的timestamp与发起请求的时间不得超过5分钟")


def check_signature(public_key, auth: Dict[str, str], method: str, target: str, body: bytes) -> None:
    # http.server decodes the request line and headers as latin-1: encoding back gives the raw bytes.
    raw = [method, target, auth["timestamp"], auth["nonce_str"]]
    message = b"\n".join([part.encode("latin-1") for part in raw] + [body]) + b"\n"
    try:
        signature = base64.b64decode(auth["signature"], validate=True)
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        raise sign_error("错误的签名，验签失败", {
            "detail": {"issue": "sign not match"},
            "field": "signature",
            "location": "authorization",
            "sign_information": {
                "method": method,
                "sign_message_length": len(message),
                "truncated_sign_message": _truncate(message.decode("utf-8", "replace")),
                "url": target,
            },
        }) from None


def _truncate(text: str, head: int = 120, tail: int = 20) -> str:
    # Head (method, URL, timestamp, nonce) and tail (end of the body) are what a mismatch is about.
    return text if len(text) <= head + tail else text[:head] + "…" + text[-tail:]


def check_body_presence(ep: Endpoint, headers, body: bytes) -> None:
    if not ep.has_body:
        if body:
            raise invalid_request("该接口不接受请求主体，请不要发送请求主体")
        return
    if not body:
        raise invalid_request("请求主体不能为空")
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise invalid_request("Http头Content-Type值必须为application/json")


def decode_path_params(ep: Endpoint, raw: Dict[str, str]) -> dict:
    params = {}
    for f in ep.path_params:
        text = raw[f.name]
        if re.search(r"%(?![0-9A-Fa-f]{2})", text):
            raise param_error(f.name, text, "路径参数的百分号编码无效", "uri")
        try:
            value = urllib.parse.unquote(text, errors="strict")
        except UnicodeDecodeError:
            raise param_error(f.name, text, "路径参数不是合法的UTF-8", "uri") from None
        if f.type == "integer":
            if not (value.isascii() and value.isdigit()) or int(value) >= 1 << 64:
                raise param_error(f.name, value, "必须为非负整数", "uri")
            params[f.name] = int(value)
            continue
        check_string(f, value, f.name, "uri")
        if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise param_error(f.name, value, "不能包含空白或控制字符", "uri")
        params[f.name] = value
    return params


def _query_unquote(text: str, field: str) -> str:
    """A query-string name or value: `+` is a space (form encoding, as WeChat Pay's servers and
    the SDKs' URL encoders treat it), then strict percent-decoding to UTF-8."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise param_error(field, text, "查询参数的百分号编码无效", "query")
    try:
        return urllib.parse.unquote(text.replace("+", " "), errors="strict")
    except UnicodeDecodeError:
        raise param_error(field, text, "查询参数不是合法的UTF-8", "query") from None


def query_string(target: str) -> str:
    return target.split("?", 1)[1] if "?" in target else ""


def decode_query_params(ep: Endpoint, target: str) -> dict:
    """The query parameters of a query endpoint, from the raw request target: each known at most
    once, none unknown, the required ones present, each value a valid string of its field."""
    known = {f.name: f for f in ep.query}
    params: Dict[str, str] = {}
    for piece in query_string(target).split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        name = _query_unquote(raw_name, raw_name)
        value = _query_unquote(raw_value, name)
        if name not in known:
            raise param_error(name, value, f"未知的查询参数{name}", "query")
        if name in params:
            raise param_error(name, value, f"查询参数{name}重复", "query")
        check_string(known[name], value, name, "query")
        if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise param_error(name, value, "不能包含空白或控制字符", "query")
        params[name] = value
    for f in ep.query:
        if f.required and f.name not in params:
            raise param_error(f.name, None, f"缺少必填的查询参数{f.name}", "query")
    if ep.one_of and not any(k in params for k in ep.one_of):
        raise param_error(ep.one_of[0], None, "、".join(ep.one_of) + "至少填写一个", "query")
    for given, needed in ep.requires:
        if given in params and needed not in params:
            raise param_error(needed, None, f"填写{given}时必须填写{needed}", "query")
    return params


def decode_params(ep: Endpoint, raw: Dict[str, str], target: str, body: bytes) -> dict:
    """Path, then body (terminations) or query-string (queries) parameters, or a 400."""
    params = decode_path_params(ep, raw)
    if ep.kind == "query":
        params.update(decode_query_params(ep, target))
    else:
        params.update(decode_body(ep, body))
    return params


def check_string(f: Field, value: str, field: str, location: str) -> None:
    if value == "":
        raise param_error(field, value, "不能为空字符串", location)
    if any(ord(c) > 0xFFFF for c in value):
        raise param_error(field, value, "仅支持UTF-8一至三个字节编码的字符，不支持4字节字符（如emoji）", location)
    if f.max_chars is not None and len(value) > f.max_chars:
        raise param_error(field, value, f"长度不能超过{f.max_chars}个字符", location)
    if f.alnum and not re.fullmatch(r"[0-9A-Za-z]+", value):
        raise param_error(field, value, "只能是数字、大小写字母的组合", location)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _object_without_duplicates(pairs):
    keys = [k for k, _ in pairs]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        raise ApiError(400, "PARAM_ERROR", "参数错误：字段重复",
                       {"field": "/" + _pointer_escape(duplicate), "value": None,
                        "issue": "字段重复", "location": "body"})
    return dict(pairs)


def _pointer_escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _find_null(value, pointer: str) -> Optional[str]:
    if value is None:
        return pointer
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _find_null(v, pointer + "/" + _pointer_escape(str(k)))
        if found is not None:
            return found
    return None


def decode_body(ep: Endpoint, body: bytes) -> dict:
    """JSON rules of the basic-rules page, then each documented field."""
    if not ep.has_body:
        return {}
    try:
        text = body.decode("utf-8")  # strict: no UTF-16/32 guessing, no BOM
        doc = json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise param_error("", None, f"请求主体不是合法的UTF-8 JSON（{type(e).__name__}）", "body") from None
    if not isinstance(doc, dict):
        raise param_error("", None, "请求主体必须是JSON对象", "body")
    null_at = _find_null(doc, "")
    if null_at is not None:
        raise param_error(null_at, None, "不允许null值", "body")
    known = {f.name: f for f in ep.body}
    for key, value in doc.items():
        if key not in known:
            raise param_error("/" + _pointer_escape(key), value, "未知字段", "body")
    for f in ep.body:
        if f.name not in doc:
            if f.required:
                raise param_error("/" + f.name, None, "缺少必填字段", "body")
            continue
        check_body_value(f, doc[f.name])
    missing_one = ep.one_of and not any(k in doc for k in ep.one_of)
    if missing_one:
        raise param_error("/" + ep.one_of[0], None, "、".join(ep.one_of) + "至少填写一个", "body")
    return doc


def check_body_value(f: Field, value) -> None:
    pointer = "/" + f.name
    if f.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise param_error(pointer, value, "类型错误，应为非负整数", "body")
        return
    if not isinstance(value, str):
        raise param_error(pointer, value, "类型错误，应为字符串", "body")
    check_string(f, value, pointer, "body")


# ---------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------


def _compile(path: str) -> "re.Pattern":
    # A path variable is one non-empty raw segment; decoding happens after routing.
    parts = re.split(r"(\{[a-z_]+\})", path)
    return re.compile("".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts))


ROUTES = [(ep, _compile(ep.path)) for ep in ENDPOINTS]


def route(method: str, path: str):
    """(endpoint, raw path params), or raises 404/405."""
    allowed = []
    for ep, pattern in ROUTES:
        m = pattern.fullmatch(path)
        if m is None:
            continue
        if ep.method == method:
            return ep, m.groupdict()
        allowed.append(ep.method)
    if allowed:
        raise MethodNotAllowed(allowed)
    raise ApiError(404, "NOT_FOUND", "请求的资源不存在，请检查URL")


class MethodNotAllowed(ApiError):
    def __init__(self, allowed: List[str]):
        super().__init__(405, "METHOD_NOT_ALLOWED", "该接口不支持此HTTP请求方法，请使用" + "/".join(allowed))
        self.allowed = allowed


# ---------------------------------------------------------------------------
# Signed responses and response faults
# ---------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes


def json_bytes(obj) -> bytes:
    # Compact and unescaped UTF-8, like WeChat Pay: multi-byte characters reach the verifier raw.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_reply(keys: Keys, status: int, body: bytes, request_serial: Optional[str],
                 fault: Optional[str], mode: str = "certificates") -> Reply:
    serial, key = keys.signer_for(request_serial, mode)
    ts = int(time.time())
    nonce = nonce32()
    sent = body
    signed_body = body
    if fault == "skew":
        ts -= 600
    elif fault == "tampered_body":
        sent = _tamper(body) if body else b""
        signed_body = body if body else b"{}"  # a 204 has nothing to alter: sign a body not sent
    elif fault == "truncated_body":
        sent = body[: len(body) // 2]
        signed_body = body if body else b"{}"
    signature = rsa_sign(key, f"{ts}\n{nonce}\n".encode() + signed_body + b"\n")
    if fault == "probe":
        signature = "WECHATPAY/SIGNTEST/" + base64.b64encode(secrets.token_bytes(190)).decode()
    elif fault == "bad_signature":
        # Valid base64 of a real RSA signature, just over other bytes.
        signature = rsa_sign(key, f"{ts}\n{nonce}\n".encode() + signed_body + b"\nx")
    elif fault == "unknown_serial":
        serial = UNKNOWN_PUBLIC_KEY_ID if serial == PUBLIC_KEY_ID else UNKNOWN_CERT_SERIAL
    headers = [] if fault == "missing_headers" else [
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Serial", serial),
        ("Wechatpay-Signature", signature),
        ("Wechatpay-Signature-Type", AUTH_SCHEME),
        ("Wechatpay-Timestamp", str(ts)),
    ]
    if body:
        headers.append(("Content-Type", "application/json"))
    return Reply(status, headers, sent)


def _tamper(body: bytes) -> bytes:
    """Changes one digit so the JSON stays valid: only the signature can tell."""
    out = bytearray(body)
    for i, b in enumerate(out):
        if 0x30 <= b <= 0x39:
            out[i] = ord("2") if b == ord("1") else ord("1")  # never a new leading zero
            return bytes(out)
    out[len(out) // 2] ^= 0x01
    return bytes(out)


def error_reply(err: ApiError) -> Reply:
    # Error answers carry Request-ID but no Wechatpay-* headers, as WeChat Pay's often do.
    headers = [("Content-Type", "application/json")]
    if isinstance(err, MethodNotAllowed):
        headers.append(("Allow", ", ".join(err.allowed)))
    return Reply(err.status, headers, json_bytes(err.body()))


def plain_json(obj, status: int = 200) -> Reply:
    return Reply(status, [("Content-Type", "application/json")], json_bytes(obj))


# The platform-certificate download: the mainland path and the cross-border (apihk) one.
CERTIFICATE_PATHS = ("/v3/certificates", "/v3/global/certificates")
CERTIFICATE_ALGORITHMS = ("RSA", "SM2", "ALL")
# What WeChat Pay answers a merchant that only has the WeChat Pay public key (wechatpay-php README,
# the official CertificateDownloader page).
NO_PLATFORM_CERTIFICATE = "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。"


def certificate_algorithm(target: str) -> str:
    """`algorithm_type` of the query (RSA when absent); other query parameters are ignored."""
    query = target.split("?", 1)[1] if "?" in target else ""
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get("algorithm_type", ["RSA"])
    if len(values) != 1 or values[0] not in CERTIFICATE_ALGORITHMS:
        value = values[0] if len(values) == 1 else values
        raise param_error("algorithm_type", value, "algorithm_type必须是RSA、SM2或ALL之一", "query")
    return values[0]


def encrypted_certificate(cert: "PlatformCertificate", key: bytes) -> dict:
    nonce = nonce12()
    return {"serial_no": cert.serial, "effective_time": rfc3339(cert.not_before),
            "expire_time": rfc3339(cert.not_after),
            "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "certificate",
                                    "ciphertext": encrypt_resource(key, nonce, "certificate", cert.pem.encode())}}


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "wxpay-sandbox"

    # Injected by make_server().
    keys: Keys
    state: State
    notifier: "Notifier"

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_OPTIONS(self):
        self.dispatch()

    def log_message(self, format, *args):  # noqa: A002 - the default access log would print the query
        pass

    def dispatch(self) -> None:
        request_id = secrets.token_hex(20).upper()
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form: sign and route the path only
            parsed = urllib.parse.urlsplit(target)
            target = parsed.path + ("?" + parsed.query if parsed.query else "")
        path = target.split("?", 1)[0]
        self.target = target
        self.operation: Optional[str] = None  # set by api() once the path names an operation
        generation = self.state.generation  # an answer confirms only within the state it was made in
        is_control = path == "/sandbox" or path.startswith("/sandbox/")
        try:
            body = self.read_body()
            out = Outcome(self.control(path, body)) if is_control else self.api(target, path, body)
        except ApiError as err:
            out = Outcome(error_reply(err))
        except Exception as err:  # a sandbox bug must still answer, and say so on stderr
            sys.stderr.write(f"internal error: {type(err).__name__}: {err}\n")
            out = Outcome(error_reply(ApiError(500, "SYSTEM_ERROR", "系统错误（sandbox内部错误）")))
        fault = out.fault
        status = out.reply.status if out.reply is not None else None
        if not is_control:  # logged before the answer is sent: a client that got it finds the entry
            self.state.log_request(self.log_entry(path, status, fault, request_id))
        if fault in ("reset_before", "reset_after"):
            self.reset_connection()  # no answer at all: an RST instead
        else:
            if fault == "slow":
                time.sleep(out.delay)
            # Confirmed before the bytes leave, so a client acting on them at once is already
            # counted; not when the client has already closed its end (it gave up waiting), and
            # undone if they cannot be sent.
            newly = (self.state.confirm(out.confirms, out.how, generation)
                     if out.confirms and not self.peer_closed() else [])
            try:
                self.send(out.reply, request_id)
            except OSError:  # the client went away (e.g. it gave up on a slow answer)
                self.state.unconfirm(newly)
                self.close_connection = True
        sys.stderr.write(f"{self.command} {path} {status if status is not None else '-'} fault={fault or '-'}\n")
        sys.stderr.flush()

    def peer_closed(self) -> bool:
        """True when the client has closed its end of the connection (EOF waiting to be read)."""
        sock = self.connection
        if isinstance(sock, ssl.SSLSocket):
            return False  # no MSG_PEEK through TLS; the write below still catches a reset
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def reset_connection(self) -> None:
        """Ends the connection without an answer: the server closes it with SO_LINGER 0 (an RST)."""
        self.close_connection = True
        self.server.reset_on_close(self.connection)

    def log_entry(self, path: str, status: Optional[int], fault: Optional[str], request_id: str) -> dict:
        # Read leniently from whatever Authorization was sent, so rejected requests are counted too.
        items = dict(AUTH_ITEM.findall(self.headers.get("Authorization") or ""))
        return {"method": self.command, "path": path, "mchid": items.get("mchid"), "operation": self.operation,
                "status": status, "fault": fault, "nonce": items.get("nonce_str"), "request_id": request_id,
                "time": dt.datetime.now(CST).isoformat(timespec="milliseconds")}

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            raise invalid_request("Content-Length无效或请求主体过大")
        return self.rfile.read(int(length))

    def read_chunked(self) -> bytes:
        data = b""
        while True:  # bounded by MAX_BODY
            size_line = self.rfile.readline(64).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                raise invalid_request("分块编码无效") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return data
            if len(data) + size > MAX_BODY:
                self.close_connection = True
                raise invalid_request("请求主体过大")
            data += self.rfile.read(size)
            self.rfile.readline(8)

    def setup(self) -> None:
        super().setup()
        try:  # answers go out at once (no Nagle delay waiting for the client's delayed ACK)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def send(self, reply: Reply, request_id: str) -> None:
        self.send_response(reply.status)
        self.send_header("Request-ID", request_id)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 204:  # RFC 9110: a 204 carries no Content-Length
            self.send_header("Content-Length", str(len(reply.body)))
        if self.command != "HEAD" and reply.status != 204:
            # Head and body in one write: a keep-alive client gets one segment, not two.
            self._headers_buffer.append(b"\r\n" + reply.body)
            self.flush_headers()
        else:
            self.end_headers()

    # --- WeChat Pay API -----------------------------------------------------

    def api(self, target: str, path: str, body: bytes) -> "Outcome":
        if path in CERTIFICATE_PATHS:
            return self.download_certificates(target, body)
        ep, raw_params = route(self.command, path)
        self.operation = ep.id
        mchid = self.lenient_mchid()
        self.note_arrival(ep, mchid, raw_params, target, body)
        fault, delay = self.pick_fault(mchid)
        early = self.before_checks(mchid, fault, delay)
        if early is not None:
            return early
        try:
            check_headers(self.headers)
            auth = parse_authorization(self.headers.get("Authorization"))
            public_key = check_merchant(self.keys, auth)
            check_timestamp(auth, time.time())
            check_signature(public_key, auth, self.command, target, body)
            check_body_presence(ep, self.headers, body)
            params = decode_params(ep, raw_params, target, body)
            if ep.kind == "query":
                result, shown = self.state.query(ep, auth["mchid"], params)
                record = None
            else:
                result, record = self.state.terminate(ep, auth["mchid"], params)
                shown = (record_id(record),)
        except ApiError as err:
            return Outcome(error_reply(err), fault, delay)  # signature faults change nothing on an error answer
        if record is not None:
            self.notifier.termination(record)  # queued for the delivery thread: never waits for it
        payload = json_bytes(result) if result is not None else b""
        reply = signed_reply(self.keys, ep.success, payload, self.headers.get("Wechatpay-Serial"), fault,
                             self.notifier.certificate_mode(auth["mchid"]))
        # Only an intact answer (no fault of any kind) proves to the merchant what it shows.
        return Outcome(reply, fault, delay, shown if fault is None else (), ep.kind)

    def lenient_mchid(self) -> Optional[str]:
        return dict(AUTH_ITEM.findall(self.headers.get("Authorization") or "")).get("mchid")

    def note_arrival(self, ep: Endpoint, mchid: Optional[str], raw_params: Dict[str, str], target: str,
                     body: bytes) -> None:
        """Ledger: counts the request for the record its parameters name (read leniently, before
        any check or fault), if they name one of the Authorization merchant's records."""
        if mchid is None:
            return
        try:
            params = decode_params(ep, raw_params, target, body)
        except ApiError:
            return
        self.state.arrive(ep, mchid, params)

    def before_checks(self, mchid: Optional[str], fault: Optional[str], delay: float) -> Optional["Outcome"]:
        """The answers given before any check: connection reset, injected 429/500, the rate limit."""
        if fault is not None:
            self.state.count_fault(fault)
        if fault == "reset_before":
            return Outcome(None, fault)
        if fault == "ratelimit":
            return Outcome(error_reply(ratelimit_error()), fault)
        if fault == "system_error":
            return Outcome(error_reply(ApiError(500, "SYSTEM_ERROR", "系统错误")), fault)
        if self.rate_limited(mchid):
            self.state.count_rate_limited()
            return Outcome(error_reply(ratelimit_error()), fault, delay)
        return None

    def public_key_only(self, mchid: str) -> bool:
        return self.notifier.certificate_mode(mchid) == "public_key_only"

    def rate_limited(self, mchid: Optional[str]) -> bool:
        """True when the request's merchant (its Authorization mchid, read leniently) is over
        its per-second limit. Every routed request of a known merchant counts, whatever its
        outcome later; answers 429 themselves do not count."""
        return mchid is not None and not self.notifier.rate_limiter_allows(mchid)

    def download_certificates(self, target: str, body: bytes) -> "Outcome":
        """GET /v3/certificates and /v3/global/certificates: the listed platform certificates, each
        encrypted (AEAD_AES_256_GCM, associated data `certificate`) under the caller's APIv3 key."""
        if self.command != "GET":
            raise MethodNotAllowed(["GET"])
        self.operation = "download_certificates"
        mchid = self.lenient_mchid()
        # Armed and chaos faults are for the contract endpoints only.
        fault, delay = self.pick_fault(mchid, armed=False, chaos=False)
        early = self.before_checks(mchid, fault, delay)
        if early is not None:
            return early
        try:
            check_headers(self.headers)
            auth = parse_authorization(self.headers.get("Authorization"))
            public_key = check_merchant(self.keys, auth)
            check_timestamp(auth, time.time())
            check_signature(public_key, auth, self.command, target, body)
            if body:
                raise invalid_request("该接口不接受请求主体，请不要发送请求主体")
            algorithm = certificate_algorithm(target)
            if self.public_key_only(auth["mchid"]):
                raise ApiError(404, "RESOURCE_NOT_EXISTS", NO_PLATFORM_CERTIFICATE)
        except ApiError as err:
            return Outcome(error_reply(err), fault, delay)
        key = self.keys.merchant_config[auth["mchid"]]["apiv3_key"].encode()
        data = [] if algorithm == "SM2" else [encrypted_certificate(c, key) for c in self.keys.certificates.listing()]
        return Outcome(signed_reply(self.keys, 200, json_bytes({"data": data}), self.headers.get("Wechatpay-Serial"),
                                    fault, self.notifier.certificate_mode(auth["mchid"])), fault, delay)

    def pick_fault(self, mchid: Optional[str], armed: bool = True, chaos: bool = True) -> Tuple[Optional[str], float]:
        """(fault, slow delay in seconds): the header fault wins; otherwise an armed one is used
        up; otherwise chaos mode may draw one."""
        requested = (self.headers.get("X-Sandbox-Fault") or "").strip()
        if requested:
            if requested not in FAULTS:
                raise ApiError(400, "SANDBOX_UNKNOWN_FAULT",
                               f"未知的X-Sandbox-Fault：{requested}；可用：{', '.join(FAULTS)}")
            delay = (self.headers.get("X-Sandbox-Delay-Ms") or "").strip()
            if delay and not (delay.isascii() and delay.isdigit() and int(delay) <= MAX_SLOW_MS):
                raise ApiError(400, "SANDBOX_BAD_REQUEST", f"X-Sandbox-Delay-Ms必须是0到{MAX_SLOW_MS}的整数")
            return requested, (int(delay) if delay else DEFAULT_SLOW_MS) / 1000
        taken = self.state.take_armed() if armed else None
        if taken is None and chaos:
            taken = self.state.chaos.draw(mchid)
        return taken if taken is not None else (None, 0.0)

    # --- control endpoints -------------------------------------------------

    def control(self, path: str, body: bytes) -> Reply:
        method = self.command
        table = {
            "/sandbox/reset": ("POST", self.control_reset),
            "/sandbox/state": ("GET", self.control_state),
            "/sandbox/keys": ("GET", self.control_keys),
            "/sandbox/faults": (("GET", "POST"), self.control_faults),
            "/sandbox/chaos": (("GET", "POST"), self.control_chaos),
            "/sandbox/ledger": ("GET", self.control_ledger),
            "/sandbox/seed": ("POST", self.control_seed),
            "/sandbox/merchants": ("GET", self.control_merchants),
            "/sandbox/contracts/terminate": ("POST", self.control_user_terminate),
            "/sandbox/notifications": ("GET", self.control_notifications),
            "/sandbox/notifications/send": ("POST", self.control_send_notification),
            "/sandbox/notify-faults": (("GET", "POST"), self.control_notify_faults),
            "/sandbox/notify-schedules": ("GET", self.control_notify_schedules),
            "/sandbox/certificates": ("GET", self.control_certificates),
            "/sandbox/certificates/rotate": ("POST", self.control_rotate),
            "/sandbox/certificates/activate": ("POST", self.control_activate),
            "/sandbox/certificates/retire": ("POST", self.control_retire),
            "/sandbox/log": ("GET", self.control_log),
        }
        m = MERCHANT_SETTING.fullmatch(path)
        if m is not None:
            allowed, action = "POST", lambda b: self.control_merchant_setting(m.group(1), m.group(2), b)
        elif path in table:
            allowed, action = table[path]
        else:
            raise ApiError(404, "NOT_FOUND", "未知的sandbox控制接口")
        allowed = (allowed,) if isinstance(allowed, str) else allowed
        if method not in allowed:
            raise MethodNotAllowed(list(allowed))
        return action(body)

    def control_reset(self, _body: bytes) -> Reply:
        self.state.reset()
        self.notifier.reset()
        self.keys.certificates.reset()
        return plain_json({"reset": True, "records": len(self.state.records)})

    def control_state(self, _body: bytes) -> Reply:
        """All records, or (query `collection`, `owner`, `state`) those matching."""
        filters: Dict[str, str] = {}
        for name, values in urllib.parse.parse_qs(query_string(self.target), keep_blank_values=True).items():
            if name not in ("collection", "owner", "state") or len(values) != 1:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", "GET /sandbox/state只接受collection、owner、state各一个")
            filters[name] = values[0]
        records = self.state.snapshot(filters.get("collection"), filters.get("owner"), filters.get("state"))
        return plain_json({"records": records, "faults": self.state.faults_view()})

    def control_ledger(self, _body: bytes) -> Reply:
        return plain_json(self.state.ledger_view())

    def control_chaos(self, body: bytes) -> Reply:
        if self.command == "GET":
            return plain_json(self.state.chaos.view())
        doc = control_json(body, optional=("seed", "rates", "delay_ms", "burst"))
        return plain_json(self.state.chaos.configure(doc))

    def control_seed(self, body: bytes) -> Reply:
        from .seeds import bulk_records  # seeds imports this module: import it when first needed

        doc = control_json(body, required=("collection", "owner", "count"), optional=("prefix", "terminated"))
        collection, owner, count = doc["collection"], doc["owner"], doc["count"]
        prefix, terminated = doc.get("prefix", "BULK"), doc.get("terminated", 0)
        if collection not in ID_KEYS:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", f"未知的collection：{collection}；可用：{', '.join(ID_KEYS)}")
        if not isinstance(owner, str) or owner not in self.keys.merchants:
            raise ApiError(404, "SANDBOX_UNKNOWN_MERCHANT", f"未知的商户号{owner}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SEED:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", f"count必须是1到{MAX_SEED}的整数")
        if not isinstance(prefix, str) or not re.fullmatch(r"[0-9A-Za-z]{1,20}", prefix):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "prefix必须是1到20个数字或字母")
        if isinstance(terminated, bool) or not isinstance(terminated, int) or not 0 <= terminated <= count:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "terminated必须是0到count的整数")
        records = bulk_records(collection, owner, count, prefix, terminated)
        ids = self.state.add_records(records)
        params = CLIENT_PARAMS[collection]
        return plain_json({"records": [
            {"id": rid, "collection": collection, "owner": owner, "state": r["state"],
             "params": {k: r["attrs"][k] for k in params if k in r["attrs"]}}
            for rid, r in zip(ids, records)]})

    def control_keys(self, _body: bytes) -> Reply:
        k = self.keys
        return plain_json({
            "wechatpay_public_key_id": PUBLIC_KEY_ID,
            "wechatpay_public_key": k.public_key_pem,
            "platform_certificate_serial": k.platform_serial,
            "platform_certificate": k.platform_cert_pem,
            "merchants": [{"mchid": m, "serial_no": serial, "apiv3_key": k.merchant_config[m]["apiv3_key"]}
                          for m, (serial, _) in k.merchants.items()],
        })

    def control_certificates(self, _body: bytes) -> Reply:
        return plain_json(self.keys.certificates.view())

    def control_rotate(self, body: bytes) -> Reply:
        expired = control_json(body, optional=("expired",)).get("expired", False)
        if not isinstance(expired, bool):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "expired必须是true或false")
        return plain_json(self.keys.certificates.rotate(expired))

    def control_activate(self, body: bytes) -> Reply:
        return plain_json(self.keys.certificates.activate(control_json(body, optional=("serial_no",)).get("serial_no")))

    def control_retire(self, body: bytes) -> Reply:
        return plain_json(self.keys.certificates.retire(control_json(body, optional=("serial_no",)).get("serial_no")))

    def control_log(self, _body: bytes) -> Reply:
        return plain_json({"requests": self.state.request_log()})

    def control_merchants(self, _body: bytes) -> Reply:
        return plain_json({"merchants": self.notifier.merchants_view()})

    def control_merchant_setting(self, mchid: str, setting: str, body: bytes) -> Reply:
        name = setting.replace("-", "_")
        doc = control_json(body, required=(name,))
        value = doc[name]
        if name == "notify_url":
            value = check_notify_url(value)
        elif name == "rate_limit":
            try:
                value = check_rate_limit(value)
            except ValueError as err:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", str(err)) from None
        else:
            choices = {"notify_signer": NOTIFY_SIGNERS, "notify_spelling": NOTIFY_SPELLINGS,
                       "certificate_mode": CERTIFICATE_MODES}[name]
            if value not in choices:
                raise ApiError(400, "SANDBOX_BAD_REQUEST", f"{name}必须是{' / '.join(choices)}之一")
        return plain_json(self.notifier.configure(mchid, name, value))

    def control_user_terminate(self, body: bytes) -> Reply:
        doc = control_json(body, required=("contract",), optional=("mode", "remark"))
        rid, mode, remark = doc["contract"], doc.get("mode", "USER_TERMINATE"), doc.get("remark")
        if not isinstance(rid, str) or not isinstance(mode, str):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "contract和mode必须是字符串")
        if remark is not None and (not isinstance(remark, str) or not 1 <= len(remark) <= 256):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "remark必须是1到256个字符的字符串")
        record = self.state.terminate_by_user(rid, mode, remark)
        notification = self.notifier.termination(record)
        return plain_json({"contract": rid, "state": record["state"], "termination": record["termination"],
                           "notification": notification})

    def control_notifications(self, _body: bytes) -> Reply:
        return plain_json(self.notifier.view())

    def control_send_notification(self, body: bytes) -> Reply:
        doc = control_json(body, required=("mchid", "event_type"), optional=("plaintext", "summary", "original_type"))
        mchid, event_type = doc["mchid"], doc["event_type"]
        plaintext = doc.get("plaintext", {"mchid": mchid})
        if not isinstance(mchid, str) or not isinstance(event_type, str) or not event_type:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "mchid和event_type必须是非空字符串")
        if not isinstance(plaintext, dict):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "plaintext必须是JSON对象")
        for name in ("summary", "original_type"):
            if name in doc and (not isinstance(doc[name], str) or not doc[name]):
                raise ApiError(400, "SANDBOX_BAD_REQUEST", f"{name}必须是非空字符串")
        self.notifier.merchant(mchid)  # 404 for an unknown merchant
        sent = self.notifier.create(mchid, event_type, plaintext, doc.get("summary"), doc.get("original_type"),
                                    "default", None)
        if sent is None:
            raise ApiError(400, "SANDBOX_NO_NOTIFY_URL", f"商户{mchid}没有设置notify_url")
        return plain_json(sent)

    def control_notify_faults(self, body: bytes) -> Reply:
        if self.command == "GET":
            with self.notifier.cond:
                return plain_json(self.notifier.faults_view())
        doc = control_json(body, optional=("fault", "count"))
        fault, count = doc.get("fault"), doc.get("count", 1)
        if fault is not None and fault not in NOTIFY_FAULTS:
            raise ApiError(400, "SANDBOX_UNKNOWN_FAULT", f"未知的通知fault；可用：{', '.join(NOTIFY_FAULTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "count必须是0到1000的整数")
        return plain_json(self.notifier.arm(fault, count))

    def control_notify_schedules(self, _body: bytes) -> Reply:
        return plain_json(self.notifier.schedules_view())

    def control_faults(self, body: bytes) -> Reply:
        if self.command == "GET":
            return plain_json(self.state.faults_view())
        try:
            doc = json.loads(body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "请求主体必须是JSON对象") from None
        fault, count = (doc.get("fault"), doc.get("count", 1)) if isinstance(doc, dict) else (0, 0)
        if fault is not None and fault not in FAULTS:
            raise ApiError(400, "SANDBOX_UNKNOWN_FAULT", f"未知的fault；可用：{', '.join(FAULTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
            raise ApiError(400, "SANDBOX_BAD_REQUEST", "count必须是0到1000的整数")
        delay_ms = doc.get("delay_ms") if isinstance(doc, dict) else None
        if delay_ms is not None:
            check_delay_ms(delay_ms)
        return plain_json(self.state.arm(fault, count, delay_ms))


@dataclass
class Outcome:
    """What an API request gets: the reply (None: reset before processing), the response fault,
    the slow delay, and the records an intact answer proves terminated (for the ledger)."""

    reply: Optional[Reply]
    fault: Optional[str] = None
    delay: float = 0.0
    confirms: Tuple[str, ...] = ()
    how: str = ""


MAX_SEED = 100000


# ---------------------------------------------------------------------------
# Notifications (回调通知): plaintexts, envelopes, retry schedules, the delivery thread
# ---------------------------------------------------------------------------

# Retry schedules after a failed delivery (reference §4), in seconds: element i is the wait
# before attempt i+2. All failed -> the notification is abandoned.
def _payscore_schedule() -> Tuple[int, ...]:
    head = (0, 15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600)
    hourly = (3 * 86400 - sum(head)) // 3600  # "then hourly, stops after 3 days"
    return head + (3600,) * hourly


SCHEDULES: Dict[str, Tuple[int, ...]] = {
    "default": (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600),
    "combine_papay": (0, 10, 10, 10, 30, 30, 30) + (300,) * 23,
    "global_papay": (15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600),
    "edu": (1,) + (60,) * 10 + (300,) * 10,
    "payscore": _payscore_schedule(),
}

NOTIFY_SIGNERS = ("public_key", "platform_certificate")
NOTIFY_SPELLINGS = ("primary", "alternate")
NOTIFY_FAULTS = ("probe", "tampered_ciphertext", "wrong_key", "skew", "reserialized", "duplicate",
                 "bad_signature", "unknown_serial")
# The `wrong_key` fault encrypts with this (a 32-byte key that is nobody's APIv3 key).
WRONG_APIV3_KEY = "wxpayTerminateSandboxWrongKey000"
NOTIFY_USER_AGENT = "wxpay-sandbox-notify/1.0"
MAX_NOTIFY_URL = 256  # WeChat Pay's notify_url limit


def _terminate_info_event(record: dict) -> dict:
    t = record["termination"]
    info = {"contract_termination_mode": t["mode"], "contract_terminated_time": t["time"]}
    if t["remark"] is not None:
        info["contract_termination_remark"] = t["remark"]
    return info


def _schedule_amounts(schedule: dict, alternate: bool) -> dict:
    # `{total, currency}` as in the examples; the alternate spelling is the table's `{amount, currency}`.
    out = copy.deepcopy(schedule)
    if alternate:
        for k, v in out.items():
            if isinstance(v, dict) and "total" in v:
                out[k] = {"amount": v["total"], **{x: y for x, y in v.items() if x != "total"}}
    return out


def _mch(name: str, alternate: bool) -> str:
    # `mchid`/`sub_mchid` in the tables, `mch_id`/`sub_mch_id` in some examples.
    return name.replace("mchid", "mch_id") if alternate else name


def ev_papay(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    out = {**_pick(a, ("contract_id", "plan_id", "out_contract_code", "contract_display_account")),
           "contract_state": "TERMINATED",
           **_pick(a, ("contract_signed_time", "contract_expired_time")),
           "contract_terminate_info": _terminate_info_event(r)}
    if "deduct_schedule" in a:
        out["deduct_schedule"] = _schedule_amounts(a["deduct_schedule"], alt)
    out.update(_pick(a, ("out_user_code",)))
    if r["collection"] == "papay_partner":
        out.update({"sp_mchid": r["owner"], "sp_appid": a["appid"], "sub_mchid": a["sub_mchid"],
                    "sp_openid": a["openid"]})
    else:
        out.update({"mchid": r["owner"], "appid": a["appid"], "openid": a["openid"]})
    return out


def ev_insurance(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    return {"mchid": r["owner"],
            **_pick(a, ("contract_id", "appid", "plan_id", "out_contract_code", "insured_display_name")),
            "contract_state": "TERMINATED",
            **_pick(a, ("contract_signed_time", "contract_expired_time", "openid")),
            "contract_terminate_info": _terminate_info_event(r),
            **_pick(a, ("out_user_code",))}


def ev_combine_papay(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    return {"mchid": r["owner"], **_pick(a, ("out_contract_code", "plan_id", "appid", "openid")),
            "operate_time": r["termination"]["time"], "contract_termination_mode": r["termination"]["mode"]}


def ev_credit_repayment(r: dict, alt: bool) -> dict:
    a, t = r["attrs"], r["termination"]
    # The notification page types plan_id as a number and repayment_amount_limit as a string
    # (the API response the other way round); the alternate spelling sends the API's types.
    out = {"sp_mchid": r["owner"], "contract_id": a["contract_id"],
           "plan_id": a["plan_id"] if alt else int(a["plan_id"]),
           **_pick(a, ("out_contract_code", "display_name")),
           "contract_state": "CONTRACT_STATE_TERMINATED",
           "contract_signed_time": a["contract_signed_time"],
           "contract_terminated_time": t["time"], "contract_terminated_mode": t["mode"]}
    if t["remark"] is not None:
        out["contract_termination_remark"] = t["remark"]
    limit = a["repayment_amount_limit"]
    out.update({"repayment_day": a["repayment_day"], "repayment_amount_limit": limit if alt else str(limit),
                "appid": a["appid"], "openid": a["openid"]})
    return out


def ev_global_papay(r: dict, alt: bool) -> dict:
    a, mode = r["attrs"], r["termination"]["mode"]
    return {"mchid": r["owner"], **_pick(a, ("out_contract_code", "appid", "openid", "contract_id", "plan_id")),
            "operate_time": r["termination"]["time"], **_pick(a, ("contract_expired_time",)),
            "contract_termination_mode": {"MCH_API_TERMINATE": "MERCHANT", "USER_TERMINATE": "USER"}.get(mode, "PLATFORM")}


def ev_edu_papay(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    return {"sp_mchid": r["owner"], **_pick(a, ("appid", "openid", "plan_id")),
            "contract_information": {"contract_id": a["contract_id"], "contract_status": "DELETE",
                                     "create_time": r["termination"]["time"]}}


def ev_payscore(r: dict, alt: bool) -> dict:
    a, collection = r["attrs"], r["collection"]
    out = {"appid": a["appid"], _mch("mchid", alt): r["owner"]}
    if collection == "payscore_partner":
        out["sub_appid"] = a["sub_appid"]
    if "sub_mchid" in a:
        out[_mch("sub_mchid", alt)] = a["sub_mchid"]
    out.update(_pick(a, ("channel_id", "service_id", "openid", "sub_openid")))
    out.update({"user_service_status": "USER_CLOSE_SERVICE", "openorclose_time": r["termination"]["time"]})
    out.update(_pick(a, ("authorization_code",)))
    if collection == "eduschoolpay":
        out.update({"contract_id": a["contract_id"], "plan_id": a["plan_id"], "contract_status": "DELETE",
                    "out_contract_code": a["out_contract_code"]})
    return out


def ev_facepay(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    # The face-pay page spells it `mch_id`; the alternate spelling is `mchid`.
    return {**_pick(a, ("user_id", "out_user_id", "organization_id")),
            ("mchid" if alt else "mch_id"): r["owner"], "notify_create_time": r["termination"]["time"],
            **_pick(a, ("appid", "openid", "contract_id"))}


def ev_transfer(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    return {**_pick(a, ("out_authorization_no", "appid", "openid", "user_display_name", "authorization_id")),
            "state": "CLOSED", "authorize_time": a["authorize_time"],
            "close_info": {"close_time": r["termination"]["time"], "close_reason": r["termination"]["mode"]}}


def ev_webizpay(r: dict, alt: bool) -> dict:
    a = r["attrs"]
    return {**_pick(a, ("sp_mchid", "sub_mchid", "user_id")), "authorization_state": "REVOKED",
            "authorization_revoked_time": r["termination"]["time"],
            "reason": "员工注销" if r["termination"]["mode"] == "USER_TERMINATE" else "企业发起"}


@dataclass(frozen=True)
class Event:
    event_type: str
    original_type: Optional[str]  # None: not documented for this event, so not sent
    summary: str
    plaintext: Callable[[dict, bool], dict]
    schedule: str


_ENTRUST = Event("ENTRUST.TERMINATE", "entrust", "解约成功", ev_papay, "default")
_PAYSCORE = Event("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解除授权", ev_payscore, "payscore")
_TRANSFER = Event("MCHTRANSFER.AUTHORIZATION.CLOSED", "mch_payment", "授权已关闭", ev_transfer, "default")

# The notification each collection's termination sends. password_exempt has none (no source
# documents a termination notification for password-exempt pay).
EVENTS: Dict[str, Event] = {
    "papay": _ENTRUST,
    "papay_partner": _ENTRUST,
    "papay_insurance": Event("INSURANCE_ENTRUST.TERMINATE", "insurance_entrust", "解约成功", ev_insurance, "default"),
    "combine_papay": Event("ECOMMERCE_ENTRUST.TERMINATE", None, "解约成功", ev_combine_papay, "combine_papay"),
    "credit_repayment": Event("CREDIT_REPAYMENT.TERMINATE_CONTRACT", "credit_repayment", "解约成功",
                              ev_credit_repayment, "default"),
    "global_papay": Event("PAPAY.TERMINATE", None, "解约成功", ev_global_papay, "global_papay"),
    "edu_papay": Event("ENTRUST.RELEASE", None, "解约成功", ev_edu_papay, "edu"),
    "eduschoolpay": Event("PAYSCORE.USER_CLOSE_SERVICE", "payscore", "用户解约", ev_payscore, "edu"),
    "payscore": _PAYSCORE,
    "payscore_partner": _PAYSCORE,
    "payscore_acquiringbank": _PAYSCORE,
    "facepay": Event("FACEPAY.USER_STATE_CHANGE", "facepay", "用户解约", ev_facepay, "default"),
    "transfer_authorization": _TRANSFER,
    "transfer_partner_authorization": _TRANSFER,
    "webizpay_employee": Event("WEBIZPAY.REVOKED", "webizpay", "员工授权已解除", ev_webizpay, "default"),
}


def nonce12() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def encrypt_resource(key: bytes, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """AEAD_AES_256_GCM: base64(ciphertext ‖ 16-byte tag); nonce and associated data as UTF-8 bytes."""
    return base64.b64encode(AESGCM(key).encrypt(nonce.encode(), plaintext, associated_data.encode())).decode()


def check_notify_url(url) -> Optional[str]:
    """None clears; otherwise an http:// URL on a loopback host, or a 400."""
    if url is None:
        return None
    if not isinstance(url, str) or not url or len(url) > MAX_NOTIFY_URL:
        raise ApiError(400, "SANDBOX_BAD_NOTIFY_URL", f"notify_url必须是1到{MAX_NOTIFY_URL}个字符的字符串或null")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ApiError(400, "SANDBOX_BAD_NOTIFY_URL", "notify_url不是合法的URL") from None
    if parts.scheme != "http":
        raise ApiError(400, "SANDBOX_BAD_NOTIFY_URL", "notify_url只支持http://（sandbox只向本机回环地址发送）")
    if parts.username is not None or parts.password is not None or parts.fragment or any(c.isspace() for c in url):
        raise ApiError(400, "SANDBOX_BAD_NOTIFY_URL", "notify_url不能包含用户信息、片段或空白")
    if not is_loopback(parts.hostname or ""):
        raise ApiError(400, "SANDBOX_BAD_NOTIFY_URL", "notify_url的主机必须是本机回环地址（127.0.0.0/8、::1或localhost）")
    return url


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # a 3xx is a failed delivery
        return None


def post_notification(url: str, body: bytes, headers: List[Tuple[str, str]], timeout: float):
    """One delivery: the reply status, or "timeout" / "connection_error"."""
    if not is_loopback(urllib.parse.urlsplit(url).hostname or ""):  # checked when set; checked again
        return "connection_error"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    opener.addheaders = [("User-Agent", NOTIFY_USER_AGENT)]
    req = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    started = time.monotonic()
    try:
        with opener.open(req, timeout=timeout) as r:
            r.read(1 << 16)
            status = r.status
    except urllib.error.HTTPError as e:
        with e:
            status = e.code
    except urllib.error.URLError as e:
        return "timeout" if isinstance(e.reason, TimeoutError) else "connection_error"
    except TimeoutError:
        return "timeout"
    except (OSError, http.client.HTTPException, ValueError):
        return "connection_error"
    # The socket timeout is per read: a reply trickling in past the deadline still failed.
    return "timeout" if time.monotonic() - started > timeout else status


@dataclass
class Notification:
    id: str
    event_type: str
    mchid: str
    contract: Optional[str]
    url: str
    schedule: str
    envelope: dict  # the genuine envelope, sent by every attempt not faulted
    body: bytes  # json_bytes(envelope)
    plaintext: bytes
    key: bytes  # the merchant's APIv3 key
    signer: str
    fault: Optional[str]  # applies to the first round of delivery only
    state: str = "pending"  # pending -> sending -> delivered | (pending again) | abandoned
    rounds: int = 0  # delivery rounds done (a `duplicate` first round posts twice)
    attempts: int = 0  # POSTs made
    due: float = 0.0  # monotonic time of the next round
    delay: int = 0  # schedule value (unscaled seconds) before the next round

    def view(self) -> dict:
        return {"id": self.id, "event_type": self.event_type, "mchid": self.mchid, "contract": self.contract,
                "url": self.url, "schedule": self.schedule, "fault": self.fault, "state": self.state,
                "attempts": self.attempts}


class Notifier:
    """Per-merchant notify settings, the armed notification fault, the queue of deliveries and
    their log. One scheduler thread waits for the next due delivery and starts each round on
    its own thread, so a slow receiver never holds up another notification, and a request
    handler only ever appends to the queue."""

    def __init__(self, keys: "Keys", time_scale: float = 1.0, timeout: float = 5.0) -> None:
        self.keys, self.time_scale, self.timeout = keys, time_scale, timeout
        self.cond = threading.Condition()
        # Set by make_server: the chaos settings (notify_* rates) and the ledger (State).
        self.chaos: Optional[Chaos] = None
        self.ledger: Optional["State"] = None
        self.generation = 0  # bumped by reset: rounds still running from before it are dropped
        self.reset()
        threading.Thread(target=self._run, name="notify-scheduler", daemon=True).start()

    # --- settings, faults, log ------------------------------------------------

    def reset(self) -> None:
        with self.cond:
            self.generation += 1
            self.settings = {m: {"notify_url": c["notify_url"], "notify_signer": c["notify_signer"],
                                 "notify_spelling": "primary", "certificate_mode": c["certificate_mode"],
                                 "rate_limit": c["rate_limit"]}
                             for m, c in self.keys.merchant_config.items()}
            self.windows: Dict[str, Deque[float]] = {}  # per merchant: admitted requests of the last second
            self.queue: List[Tuple[float, int, Notification]] = []
            self.seq = 0
            self.notifications: List[Notification] = []
            self.deliveries: List[dict] = []
            self.armed, self.armed_left = None, 0
            self.cond.notify_all()

    def merchant(self, mchid: str) -> dict:
        if mchid not in self.settings:
            raise ApiError(404, "SANDBOX_UNKNOWN_MERCHANT", f"未知的商户号{mchid}")
        return self.settings[mchid]

    def certificate_mode(self, mchid: str) -> str:
        with self.cond:
            return self.merchant(mchid)["certificate_mode"]

    def rate_limiter_allows(self, mchid: str) -> bool:
        """Sliding window per merchant: admits a request (and counts it) unless the merchant
        already made `rate_limit` admitted requests in the last RATE_WINDOW seconds (one second
        less RATE_TOLERANCE for arrival jitter, so a client that never sends more than N requests
        within one second is never refused). Unknown merchants and merchants without a limit are
        always admitted (and not counted)."""
        now = time.monotonic()
        with self.cond:
            limit = self.settings.get(mchid, {}).get("rate_limit")
            if limit is None:
                return True
            window = self.windows.setdefault(mchid, deque())
            while window and window[0] <= now - RATE_WINDOW:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def configure(self, mchid: str, name: str, value) -> dict:
        with self.cond:
            self.merchant(mchid)[name] = value
            if name == "rate_limit":
                self.windows.pop(mchid, None)
            return self.merchant_view(mchid)

    def merchant_view(self, mchid: str) -> dict:
        return {"mchid": mchid, "apiv3_key": self.keys.merchant_config[mchid]["apiv3_key"], **self.merchant(mchid)}

    def merchants_view(self) -> List[dict]:
        with self.cond:
            return [self.merchant_view(m) for m in self.settings]

    def arm(self, fault: Optional[str], count: int) -> dict:
        with self.cond:
            self.armed, self.armed_left = (fault, count) if fault and count > 0 else (None, 0)
            return self.faults_view()

    def faults_view(self) -> dict:
        return {"fault": self.armed, "remaining": self.armed_left, "available": list(NOTIFY_FAULTS)}

    def view(self) -> dict:
        with self.cond:
            now = time.monotonic()
            pending = [{"notification_id": n.id, "event_type": n.event_type, "mchid": n.mchid,
                        "contract": n.contract, "next_attempt": n.attempts + 1, "delay_seconds": n.delay,
                        "due_in_seconds": round(max(0.0, due - now), 3)}
                       for due, _, n in sorted(self.queue, key=lambda item: item[:2])]
            return {"deliveries": copy.deepcopy(self.deliveries), "pending": pending,
                    "notifications": [n.view() for n in self.notifications], "faults": self.faults_view()}

    def schedules_view(self) -> dict:
        return {"time_scale": self.time_scale, "timeout_seconds": self.timeout,
                "schedules": {k: list(v) for k, v in SCHEDULES.items()},
                "products": {c: {"event_type": e.event_type, "schedule": e.schedule} for c, e in EVENTS.items()}}

    # --- creating notifications ----------------------------------------------

    def termination(self, record: dict) -> Optional[dict]:
        """Queues the termination event of `record` if its owner has a notify_url."""
        event = EVENTS.get(record["collection"])
        if event is None:
            return None
        with self.cond:
            alternate = self.merchant(record["owner"])["notify_spelling"] == "alternate"
        return self.create(record["owner"], event.event_type, event.plaintext(record, alternate), event.summary,
                           event.original_type, event.schedule, record_id(record))

    def create(self, mchid: str, event_type: str, plaintext: dict, summary: Optional[str],
               original_type: Optional[str], schedule: str, contract: Optional[str]) -> Optional[dict]:
        with self.cond:
            settings = self.merchant(mchid)
            if settings["notify_url"] is None:
                return None
            key = self.keys.merchant_config[mchid]["apiv3_key"].encode()
            data = json_bytes(plaintext)
            nonce, associated_data = nonce12(), original_type or ""
            resource = {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                        "ciphertext": encrypt_resource(key, nonce, associated_data, data),
                        "associated_data": associated_data, "nonce": nonce}
            if original_type is None:
                del resource["original_type"]
            envelope = {"id": str(uuid.uuid4()), "create_time": now_rfc3339(), "resource_type": "encrypt-resource",
                        "event_type": event_type, "summary": summary, "resource": resource}
            if summary is None:
                del envelope["summary"]
            fault = None
            if self.armed_left > 0:
                fault = self.armed
                self.armed_left -= 1
                if self.armed_left == 0:
                    self.armed = None
            elif self.chaos is not None:
                fault = self.chaos.draw_notify()
            # A merchant without platform certificates only ever gets public-key signatures.
            # ... and one without the public key only ever gets platform-certificate signatures.
            signer = {"public_key_only": "public_key", "certificates_only": "platform_certificate"}.get(
                settings["certificate_mode"], settings["notify_signer"])
            n = Notification(envelope["id"], event_type, mchid, contract, settings["notify_url"], schedule,
                             envelope, json_bytes(envelope), data, key, signer, fault)
            self.notifications.append(n)
            self._enqueue(n, 0)
        if fault is not None and self.ledger is not None:
            self.ledger.count_notify_fault(fault)
        return {"id": n.id, "event_type": event_type, "fault": fault}

    def _enqueue(self, n: Notification, delay: int) -> None:  # with self.cond held
        n.state, n.delay, n.due = "pending", delay, time.monotonic() + delay * self.time_scale
        self.seq += 1
        heapq.heappush(self.queue, (n.due, self.seq, n))
        self.cond.notify_all()

    # --- delivering -------------------------------------------------------------

    def _run(self) -> None:
        with self.cond:
            while True:  # a daemon thread: ends with the process
                if not self.queue:
                    self.cond.wait()
                    continue
                wait = self.queue[0][0] - time.monotonic()
                if wait > 0:
                    self.cond.wait(wait)
                    continue
                _, _, n = heapq.heappop(self.queue)
                n.state = "sending"
                threading.Thread(target=self._round, args=(n, self.generation), daemon=True).start()

    def _round(self, n: Notification, generation: int) -> None:
        fault = n.fault if n.rounds == 0 else None
        delivered = False
        for _ in range(2 if fault == "duplicate" else 1):  # a duplicate: the same id and body, twice
            body, headers = self.build(n, fault)
            status = post_notification(n.url, body, headers, self.timeout)
            ok = isinstance(status, int) and 200 <= status < 300
            delivered = delivered or ok
            # An intact notification (a duplicate's copies are) the merchant acknowledged proves
            # to it that the record is terminated: the ledger's after_confirmed counts from here.
            if ok and fault in (None, "duplicate") and n.contract is not None and self.ledger is not None \
                    and generation == self.generation:
                self.ledger.notification_acknowledged(n.contract)
            with self.cond:
                if generation != self.generation:
                    return  # reset meanwhile: forget it
                n.attempts += 1
                self.deliveries.append({"notification_id": n.id, "event_type": n.event_type, "mchid": n.mchid,
                                        "contract": n.contract, "attempt": n.attempts, "fault": fault,
                                        "url": n.url, "status": status, "delivered": ok, "time": now_rfc3339()})
            sys.stderr.write(f"NOTIFY {n.event_type} attempt={n.attempts} status={status} fault={fault or '-'}\n")
            sys.stderr.flush()
        with self.cond:
            if generation != self.generation:
                return
            n.rounds += 1
            schedule = SCHEDULES[n.schedule]
            if delivered:
                n.state = "delivered"
            elif n.rounds - 1 < len(schedule):
                self._enqueue(n, schedule[n.rounds - 1])
            else:
                n.state = "abandoned"

    def build(self, n: Notification, fault: Optional[str]) -> Tuple[bytes, List[Tuple[str, str]]]:
        """The body sent and its headers, with the notification fault (if any) applied."""
        if n.signer == "public_key":
            serial, key = PUBLIC_KEY_ID, self.keys.public_key_private
        else:  # the platform certificate active when this attempt is made
            serial, key = self.keys.certificates.signing()
        body = signed = n.body
        if fault in ("tampered_ciphertext", "wrong_key"):
            envelope = copy.deepcopy(n.envelope)
            resource = envelope["resource"]
            if fault == "tampered_ciphertext":  # one byte of the ciphertext (not the tag): only the tag fails
                raw = bytearray(base64.b64decode(resource["ciphertext"]))
                raw[0] ^= 0x01
                resource["ciphertext"] = base64.b64encode(bytes(raw)).decode()
            else:
                resource["ciphertext"] = encrypt_resource(WRONG_APIV3_KEY.encode(), resource["nonce"],
                                                          resource["associated_data"], n.plaintext)
            body = signed = json_bytes(envelope)
        elif fault == "reserialized":  # what a framework that parses and re-dumps the JSON would see
            body = json.dumps(n.envelope, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")
        ts, nonce = int(time.time()), nonce32()
        if fault == "skew":
            ts -= 600
        signature = rsa_sign(key, f"{ts}\n{nonce}\n".encode() + signed + b"\n")
        if fault == "probe":
            signature = "WECHATPAY/SIGNTEST/" + base64.b64encode(secrets.token_bytes(190)).decode()
        elif fault == "bad_signature":
            signature = rsa_sign(key, f"{ts}\n{nonce}\n".encode() + signed + b"\nx")
        elif fault == "unknown_serial":
            serial = UNKNOWN_PUBLIC_KEY_ID if serial == PUBLIC_KEY_ID else UNKNOWN_CERT_SERIAL
        headers = [("Content-Type", "application/json"), ("Wechatpay-Timestamp", str(ts)),
                   ("Wechatpay-Nonce", nonce), ("Wechatpay-Signature", signature), ("Wechatpay-Serial", serial),
                   ("Wechatpay-Signature-Type", AUTH_SCHEME), ("Request-ID", secrets.token_hex(20).upper())]
        return body, headers


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------


class Server(ThreadingHTTPServer):
    """A thread per connection (HTTP/1.1 keep-alive), a listen backlog for many clients at once,
    and connections a fault ends with an RST instead of an answer."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # 64 clients connecting at once must not overflow the backlog

    def __init__(self, *args, **kwargs) -> None:
        self._resets: set = set()
        self._resets_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def reset_on_close(self, request) -> None:
        with self._resets_lock:
            self._resets.add(request)

    def shutdown_request(self, request):
        with self._resets_lock:
            reset = request in self._resets
            self._resets.discard(request)
        if not reset:
            return super().shutdown_request(request)
        try:  # SO_LINGER on with a zero timeout: close() sends an RST, not a FIN
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_request(request)

    def handle_error(self, request, client_address):
        # TLS handshake failures and dropped connections: one line, no traceback noise.
        err = sys.exc_info()[1]
        sys.stderr.write(f"connection error: {type(err).__name__}\n")
        sys.stderr.flush()


MERCHANT_SETTING = re.compile(
    r"/sandbox/merchants/([0-9]+)/(notify-url|notify-signer|notify-spelling|certificate-mode|rate-limit)")


def control_json(body: bytes, required: Tuple[str, ...] = (), optional: Tuple[str, ...] = ()) -> dict:
    """A control request's JSON object with exactly the named keys (required ones present)."""
    try:
        doc = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "SANDBOX_BAD_REQUEST", "请求主体必须是JSON对象") from None
    if not isinstance(doc, dict):
        raise ApiError(400, "SANDBOX_BAD_REQUEST", "请求主体必须是JSON对象")
    missing = [k for k in required if k not in doc]
    unknown = [k for k in doc if k not in required and k not in optional]
    if missing or unknown:
        raise ApiError(400, "SANDBOX_BAD_REQUEST",
                       f"缺少字段：{', '.join(missing) or '无'}；未知字段：{', '.join(unknown) or '无'}")
    return doc


def loopback_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.IPv4Address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise SystemExit(f"--host must be an IPv4 loopback address (127.0.0.0/8) or localhost, not {host!r}")


@dataclass
class ServerOptions:
    """Everything a server needs: where its keys are, which merchants it accepts, how it seeds
    its records, and where (if anywhere) it keeps them between runs."""

    keys_dir: Path
    merchants: List[Merchant]
    seeder: Callable[[], List[dict]]
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    notify_time_scale: float = 1.0
    notify_timeout: float = 5.0
    state_file: Optional[Path] = None


class SandboxServer(Server):
    """The HTTP(S) server plus the parts tests and the CLI reach: keys, state, notifier."""

    keys: Keys
    state: State
    notifier: "Notifier"
    tls: bool = False

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"{'https' if self.tls else 'http'}://{host}:{port}"


def make_server(options: ServerOptions) -> SandboxServer:
    keys = Keys(options.keys_dir, options.merchants)
    notifier = Notifier(keys, options.notify_time_scale, options.notify_timeout)
    state = State(options.seeder, StateFile(options.state_file) if options.state_file is not None else None)
    unknown = sorted({r["owner"] for r in state.records} - set(keys.merchants))
    if unknown:
        sys.stderr.write(f"warning: records owned by merchants not configured: {', '.join(unknown)}\n")
    notifier.chaos, notifier.ledger = state.chaos, state
    handler = type("SandboxHandler", (Handler,), {"keys": keys, "state": state, "notifier": notifier})
    server = SandboxServer((options.host, options.port), handler)
    server.keys, server.state, server.notifier, server.tls = keys, state, notifier, options.tls
    if options.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(options.keys_dir / "tls_cert.pem", options.keys_dir / "tls_key.pem")
        # The handshake runs on first read, in the handler thread, so a slow client cannot
        # block the accept loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    return server
