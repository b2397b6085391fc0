"""Tests of the sandbox's load-and-fault features: bulk seeding (POST /sandbox/seed), the
connection faults (reset_before, reset_after, slow), chaos mode (POST /sandbox/chaos), the
ledger that proves "exactly once" (GET /sandbox/ledger), the rate limit on queries, the ctl
subcommands for them, and a concurrent run: 2,000 records terminated and confirmed from 16
keep-alive connections under chaos, checked against the ledger.

The client is written here (http.client keep-alive connections, signing with test_sandbox's
own `cryptography` signer); it shares no code with the server and never imports wxpay_terminate.

Run: python3 -m pytest tests/sandbox/test_load.py -q
"""

import http.client as httpclient
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import pytest

from test_sandbox import (APPID, DOC, GO, HERE, NOTIFY_ARGS, PUB_KEY_ID, TIMEOUT, Receiver, Resp, authorization,
                          encode, http, outcome, register, settled, start, state, stop)

PAPAY = "/v3/papay/sign/contracts/plan-id/{}/out-contract-code/{}"
PS_CODE = "/v3/payscore/permissions/authorization-code/{}"
TRANSFER = "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{}"
REMARK = {"contract_termination_remark": "用户解约"}
LOST = (OSError, httpclient.HTTPException)  # no (complete) answer: reset, closed, timed out


@pytest.fixture(scope="module")
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
    assert http("POST", server.url + "/sandbox/reset").status == 200
    return server.url


def post(base: str, path: str, doc) -> Resp:
    return http("POST", base + path, encode(doc), [("Content-Type", "application/json")])


def ledger(base: str) -> dict:
    return http("GET", base + "/sandbox/ledger").json()


def seed(base: str, collection: str, count: int, prefix: str, owner: str = DOC.mchid, terminated: int = 0) -> list:
    resp = post(base, "/sandbox/seed", {"collection": collection, "owner": owner, "count": count, "prefix": prefix,
                                        "terminated": terminated})
    assert resp.status == 200, resp.body
    return resp.json()["records"]


class Client:
    """One keep-alive HTTP/1.1 connection that signs every request (a new nonce each time) and
    reports a lost answer (reset, closed, timed out) as an exception, after which it reconnects."""

    def __init__(self, url: str, merchant=DOC, timeout: float = TIMEOUT) -> None:
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.conn = httpclient.HTTPConnection(host, int(port), timeout=timeout)
        self.merchant = merchant

    def request(self, method: str, target: str, body=None, fault: Optional[str] = None, headers=()) -> Resp:
        data = encode(body) if body is not None else b""
        h = {"Accept": "application/json", "User-Agent": "sandbox-load-tests/1.0", "Wechatpay-Serial": PUB_KEY_ID,
             "Authorization": authorization(self.merchant, method, target, data)}
        if data:
            h["Content-Type"] = "application/json"
        if fault:
            h["X-Sandbox-Fault"] = fault
        h.update(dict(headers))
        try:
            self.conn.request(method, target, body=data or None, headers=h)
            r = self.conn.getresponse()
            resp = Resp(r.status, r.headers, r.read())
        except LOST:
            self.conn.close()  # the next request connects afresh
            raise
        if r.will_close:
            self.conn.close()
        return resp

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------
# Every family, by the params a seeded record comes with
# ---------------------------------------------------------------------------

def _families():
    """collection -> (terminate(params) -> (method, target, body, status), query(params) -> target,
    terminated(query body) -> bool)."""
    def pa(kind):
        path = "/v3/papay/" + kind + "/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}"
        return path

    def q(path, *names):
        return lambda p: path.format(**p) + ("?" + "&".join(f"{n}={p[n]}" for n in names) if names else "")

    papay_done = lambda b: b["contract_state"] == "TERMINATED"  # noqa: E731
    payscore_done = lambda b: b["authorization_state"] == "UNAVAILABLE"  # noqa: E731
    return {
        "eduschoolpay": (lambda p: ("POST", f"/v3/eduschoolpay/contracts/{p['contract_id']}/terminate", None, 204),
                         q("/v3/eduschoolpay/contracts/{contract_id}"), lambda b: b["contract_status"] == "DELETE"),
        "password_exempt": (
            lambda p: ("POST", "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/"
                               "{out_contract_code}/terminate".format(**p), REMARK, 200),
            q("/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}"),
            papay_done),
        "papay": (lambda p: ("POST", pa("sign").format(**p) + "/terminate", REMARK, 200), q(pa("sign")), papay_done),
        "papay_partner": (
            lambda p: ("POST", pa("sign/partner").format(**p) + "/terminate", {"sub_mchid": p["sub_mchid"], **REMARK},
                       200),
            q(pa("sign/partner"), "sub_mchid"), papay_done),
        "papay_insurance": (lambda p: ("POST", pa("insurance-sign").format(**p) + "/terminate", REMARK, 200),
                            q(pa("insurance-sign")), papay_done),
        "combine_papay": (
            lambda p: ("POST", "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/"
                               "{out_contract_code}/terminate".format(**p), REMARK, 200),
            q("/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}"),
            papay_done),
        "credit_repayment": (
            lambda p: ("POST", "/v3/credit-repayment/partner/contracts/terminate",
                       {"out_contract_code": p["out_contract_code"], **REMARK}, 200),
            q("/v3/credit-repayment/partner/contracts/{out_contract_code}"),
            lambda b: b["contract_state"] == "CONTRACT_STATE_TERMINATED"),
        "global_papay": (lambda p: ("POST", f"/v3/global/papay/contracts/{p['contract_id']}/terminate",
                                    {"appid": p["appid"]}, 204),
                         q("/v3/global/papay/contracts/{contract_id}", "appid"), lambda b: b["state"] == "TERMINATED"),
        "edu_papay": (lambda p: ("DELETE", f"/v3/edu-papay/contracts/{p['contract_id']}", None, 204),
                      q("/v3/edu-papay/contracts/id/{contract_id}", "appid"),
                      lambda b: b["contract_information"]["contract_status"] == "DELETE"),
        "facepay": (
            lambda p: ("POST", "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/"
                               "terminate-contract".format(**p), None, 204),
            q("/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}"),
            lambda b: b["contract_state"] == "TERMINATED"),
        "payscore": (lambda p: ("POST", PS_CODE.format(p["authorization_code"]) + "/terminate",
                                {"service_id": p["service_id"], "reason": "r"}, 204),
                     q("/v3/payscore/user-service-state", "appid", "service_id", "openid"),
                     lambda b: b["use_service_state"] == "UNAVAILABLE"),
        "payscore_partner": (
            lambda p: ("POST", "/v3/payscore/partner/permissions/terminate",
                       {k: p[k] for k in ("service_id", "appid", "sub_mchid", "sub_openid", "sub_appid")}
                       | {"reason": "r"}, 204),
            q("/v3/payscore/partner/permissions/search", "service_id", "appid", "sub_mchid", "sub_openid"),
            payscore_done),
        "payscore_acquiringbank": (
            lambda p: ("POST", "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/"
                               "terminate".format(**p),
                       {"service_id": p["service_id"], "sub_mchid": p["sub_mchid"], "reason": "r"}, 204),
            q("/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}", "service_id",
              "channel_id", "sub_mchid"),
            payscore_done),
        "transfer_authorization": (lambda p: ("POST", TRANSFER.format(p["out_authorization_no"]) + "/close", None, 200),
                                   q(TRANSFER.replace("{}", "{out_authorization_no}")),
                                   lambda b: b["state"] == "CLOSED"),
        "transfer_partner_authorization": (
            lambda p: ("POST", "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/"
                               f"{p['out_authorization_no']}/close", None, 200),
            q("/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}"),
            lambda b: b["state"] == "CLOSED"),
        "webizpay_employee": (
            lambda p: ("POST", f"/v3/webizpay/employees/{p['employee_id']}/revoke",
                       {"sp_mchid": p["sp_mchid"], "sub_mchid": p["sub_mchid"]}, 200),
            q("/v3/webizpay/users/{user_id}/authorization-state", "sp_mchid", "sub_mchid"),
            lambda b: b["employee_list"][0]["authorization_state"] == "REVOKED"),
    }


FAMILIES = _families()


# ---------------------------------------------------------------------------
# POST /sandbox/seed
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("collection", sorted(FAMILIES))
def test_seeded_records_can_be_terminated_and_queried_with_their_params(base, collection):
    records = seed(base, collection, 3, "SEED", terminated=1)
    assert [r["state"] for r in records] == ["TERMINATED", "EFFECTIVE", "EFFECTIVE"]
    assert all(r["collection"] == collection and r["owner"] == DOC.mchid for r in records)
    terminate, query, done = FAMILIES[collection]
    held = state(base)
    for r in records:
        assert held[r["id"]]["state"] == r["state"]
    assert held[records[0]["id"]]["termination"]["mode"] in ("USER_TERMINATE", "USER_CLOSE",
                                                             "TERMINATION_MODE_BY_USER")
    # The user-terminated one: queried terminated, a terminate is "already terminated".
    first = http_api(base, "GET", query(records[0]["params"]))
    assert first.status == 200 and done(first.json())
    method, target, body, status = terminate(records[0]["params"])
    assert http_api(base, method, target, body).status == 400
    # An effective one: queried effective, terminated, queried terminated.
    second = records[1]["params"]
    assert http_api(base, "GET", query(second)).status == 200 and not done(http_api(base, "GET", query(second)).json())
    method, target, body, status = terminate(second)
    assert http_api(base, method, target, body).status == status
    after = http_api(base, "GET", query(second))
    assert outcome(after) == "ok" and done(after.json())
    assert state(base)[records[1]["id"]]["state"] == "TERMINATED"


def http_api(base: str, method: str, target: str, body=None) -> Resp:
    client = Client(base)
    try:
        return client.request(method, target, body)
    finally:
        client.close()


def test_seed_answer_ids_and_params(base):
    records = seed(base, "papay", 3, "BULK")
    assert records[0] == {"id": "papay:12535:BULK000001", "collection": "papay", "owner": DOC.mchid,
                          "state": "EFFECTIVE", "params": {"plan_id": 12535, "out_contract_code": "BULK000001"}}
    (payscore,) = seed(base, "payscore_partner", 1, "PSP")
    assert set(payscore["params"]) == {"authorization_code", "service_id", "sub_mchid", "appid", "openid",
                                       "sub_openid", "sub_appid"}
    (employee,) = seed(base, "webizpay_employee", 1, "EMP", owner=GO.mchid)
    assert employee["params"]["sp_mchid"] == GO.mchid and employee["params"]["user_id"] == "uEMP000001"


def test_seed_errors(base):
    good = {"collection": "papay", "owner": DOC.mchid, "count": 2, "prefix": "DUP"}
    assert post(base, "/sandbox/seed", good).status == 200
    again = post(base, "/sandbox/seed", good)
    assert (again.status, again.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")
    assert "papay:12535:DUP000001" in again.json()["message"]
    # The built-in papay:12535:wxwtdk20200910100000 cannot be seeded again either (its code is not
    # prefix + 6 digits), but one whose id is taken is refused as a whole: nothing was added.
    for doc, status, code in [
        ({**good, "prefix": "OK", "count": 0}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "count": 100001}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "count": True}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "collection": "nope"}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "owner": "1900000000"}, 404, "SANDBOX_UNKNOWN_MERCHANT"),
        ({**good, "prefix": "bad-prefix"}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "A" * 21}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "terminated": 3}, 400, "SANDBOX_BAD_REQUEST"),
        ({**good, "prefix": "OK", "extra": 1}, 400, "SANDBOX_BAD_REQUEST"),
        ({"collection": "papay", "owner": DOC.mchid}, 400, "SANDBOX_BAD_REQUEST"),
    ]:
        resp = post(base, "/sandbox/seed", doc)
        assert (resp.status, resp.json()["code"]) == (status, code), doc
    assert len(state(base)) == 52
    assert http("GET", base + "/sandbox/seed").status == 405


def test_reset_removes_seeded_records(base):
    seed(base, "papay", 10, "GONE")
    assert len(state(base)) == 60
    http("POST", base + "/sandbox/reset")
    assert len(state(base)) == 50


def test_seeding_5000_is_fast_and_state_stays_fast_with_50000(base):
    started = time.monotonic()
    records = seed(base, "papay", 5000, "FAST", terminated=100)
    assert time.monotonic() - started < 1.0
    assert len(records) == 5000 and records[-1]["params"]["out_contract_code"] == "FAST005000"
    for i in range(9):
        seed(base, "payscore", 5000, f"MORE{i}")
    started = time.monotonic()
    everything = http("GET", base + "/sandbox/state").json()["records"]
    assert time.monotonic() - started < 3.0
    assert len(everything) == 50050
    started = time.monotonic()
    only = http("GET", base + "/sandbox/state?collection=papay&state=TERMINATED").json()["records"]
    assert len(only) == 101 and time.monotonic() - started < 1.0
    assert http("GET", base + "/sandbox/state?nope=1").status == 400
    # Lookups stay indexed: a query and a termination among 50,000 records are quick.
    started = time.monotonic()
    for i in (1, 2500, 5000):
        assert http_api(base, "GET", PAPAY.format(12535, f"MORE8{i:06d}")).status == 404
        resp = http_api(base, "GET", "/v3/payscore/permissions/authorization-code/" + f"MORE8{i:06d}"
                        + "?service_id=500001")
        assert resp.status == 200 and resp.json()["authorization_state"] == "AVAILABLE"
    assert time.monotonic() - started < 2.0


# ---------------------------------------------------------------------------
# Connection faults
# ---------------------------------------------------------------------------

TARGET = PAPAY.format(12535, "wxwtdk20200910100000")
RID = "papay:12535:wxwtdk20200910100000"


def test_reset_before_processes_nothing(base):
    client, other = Client(base), Client(base)
    try:
        assert other.request("GET", TARGET).status == 200  # a keep-alive connection, open meanwhile
        with pytest.raises(ConnectionResetError):
            client.request("POST", TARGET + "/terminate", REMARK, fault="reset_before")
        assert state(base)[RID]["state"] == "EFFECTIVE"
        assert other.request("GET", TARGET).json()["contract_state"] == "SIGNED"  # the other one is unharmed
        entry = http("GET", base + "/sandbox/log").json()["requests"][1]
        assert (entry["status"], entry["fault"], entry["operation"]) == (None, "reset_before", "terminate_papay_contract")
        got = ledger(base)
        assert got["contracts"][RID] == {"terminate_requests": 1, "applied": 0, "rejected_already_terminated": 0,
                                         "after_confirmed": 0, "queries": 2, "confirmed": None}
        assert got["faults"] == {"reset_before": 1}
        # The client's retry goes through.
        assert client.request("POST", TARGET + "/terminate", REMARK).status == 200
    finally:
        client.close()
        other.close()


def test_reset_after_applies_and_loses_the_answer(base):
    client = Client(base)
    try:
        with pytest.raises(ConnectionResetError):
            client.request("POST", TARGET + "/terminate", REMARK, fault="reset_after")
        assert state(base)[RID]["state"] == "TERMINATED"
        entry = http("GET", base + "/sandbox/log").json()["requests"][0]
        assert (entry["status"], entry["fault"]) == (200, "reset_after")
        assert ledger(base)["contracts"][RID]["confirmed"] is None  # the answer never arrived
        # The client asks instead of terminating again: the query confirms it.
        resp = client.request("GET", TARGET)
        assert outcome(resp) == "ok" and resp.json()["contract_state"] == "TERMINATED"
        got = ledger(base)["contracts"][RID]
        assert (got["applied"], got["confirmed"], got["after_confirmed"]) == (1, "query", 0)
    finally:
        client.close()


def test_slow_answer_applies_and_a_short_timeout_loses_it(base):
    impatient = Client(base, timeout=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            impatient.request("POST", TARGET + "/terminate", REMARK, fault="slow", headers={"X-Sandbox-Delay-Ms": "800"})
        assert time.monotonic() - started < 0.6
        assert state(base)[RID]["state"] == "TERMINATED"  # applied before the delay
    finally:
        impatient.close()
    patient = Client(base)
    try:
        started = time.monotonic()
        resp = patient.request("GET", TARGET, fault="slow", headers={"X-Sandbox-Delay-Ms": "300"})
        assert time.monotonic() - started >= 0.3
        assert resp.status == 200 and outcome(resp) == "ok"  # late, but intact
        # A slow answer is a faulted one: it confirms nothing (the client may have given up).
        assert ledger(base)["contracts"][RID]["confirmed"] is None
        assert patient.request("GET", TARGET).status == 200
        assert ledger(base)["contracts"][RID]["confirmed"] == "query"
    finally:
        patient.close()


def test_armed_slow_uses_delay_ms_and_the_bad_ones_are_refused(base):
    armed = post(base, "/sandbox/faults", {"fault": "slow", "count": 1, "delay_ms": 250}).json()
    assert (armed["fault"], armed["remaining"], armed["delay_ms"]) == ("slow", 1, 250)
    assert {"reset_before", "reset_after", "slow"} <= set(armed["available"])
    started = time.monotonic()
    assert http_api(base, "GET", TARGET).status == 200
    assert time.monotonic() - started >= 0.25
    assert post(base, "/sandbox/faults", {"fault": "slow", "delay_ms": 60001}).status == 400
    assert post(base, "/sandbox/faults", {"fault": "slow", "delay_ms": "1"}).status == 400
    resp = Client(base).request("GET", TARGET, fault="slow", headers={"X-Sandbox-Delay-Ms": "soon"})
    assert (resp.status, resp.json()["code"]) == (400, "SANDBOX_BAD_REQUEST")


def test_header_connection_faults_apply_to_certificate_downloads(base):
    client = Client(base)
    try:
        with pytest.raises(ConnectionResetError):
            client.request("GET", "/v3/certificates", fault="reset_before")
        assert client.request("GET", "/v3/certificates").status == 200
    finally:
        client.close()


def test_keep_alive_reuses_the_connection(base):
    client = Client(base)
    try:
        client.request("GET", TARGET)
        sock = client.conn.sock
        for _ in range(5):
            assert client.request("GET", TARGET).status == 200
        assert client.conn.sock is sock
    finally:
        client.close()


# ---------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------


def test_ledger_counts_a_termination_confirmed_then_repeated(base):
    client = Client(base)
    try:
        first = client.request("POST", TARGET + "/terminate", REMARK)
        assert first.status == 200 and outcome(first) == "ok"
        again = client.request("POST", TARGET + "/terminate", REMARK)
        assert again.status == 400
    finally:
        client.close()
    got = ledger(base)
    assert got["contracts"] == {RID: {"terminate_requests": 2, "applied": 1, "rejected_already_terminated": 1,
                                      "after_confirmed": 1, "queries": 0, "confirmed": "terminate"}}
    assert got["totals"] == {"terminate_requests": 2, "applied": 1, "rejected_already_terminated": 1,
                             "after_confirmed": 1, "queries": 0, "contracts": 1, "confirmed": 1}
    assert (got["rate_limited"], got["faults"], got["notify_faults"]) == (0, {}, {})
    http("POST", base + "/sandbox/reset")
    assert ledger(base)["contracts"] == {}


@pytest.mark.parametrize("fault", ["probe", "bad_signature", "skew", "missing_headers", "unknown_serial",
                                   "tampered_body", "truncated_body"])
def test_a_faulted_answer_confirms_nothing(base, fault):
    client = Client(base)
    try:
        assert client.request("POST", TARGET + "/terminate", REMARK, fault=fault).status == 200
        # A careful client rejects that answer and asks; the error answer "already terminated"
        # is unsigned: a retry is not counted as after a confirmation either.
        assert client.request("POST", TARGET + "/terminate", REMARK).status == 400
        assert client.request("GET", TARGET, fault=fault).status == 200  # a faulted query answer neither
        assert ledger(base)["contracts"][RID]["after_confirmed"] == 0
        assert client.request("GET", TARGET).json()["contract_state"] == "TERMINATED"
        assert client.request("POST", TARGET + "/terminate", REMARK).status == 400
    finally:
        client.close()
    got = ledger(base)["contracts"][RID]
    assert (got["terminate_requests"], got["applied"], got["rejected_already_terminated"], got["after_confirmed"],
            got["queries"], got["confirmed"]) == (3, 1, 2, 1, 2, "query")
    assert ledger(base)["faults"] == {fault: 2}


def test_a_204_and_an_acknowledged_notification_confirm(base):
    with Receiver() as receiver:
        register(base, receiver.url)
        rid = "transfer_authorization:plfk2020042014"
        done = post(base, "/sandbox/contracts/terminate", {"contract": rid})
        assert done.status == 200
        settled(base)
        assert ledger(base)["contracts"][rid]["confirmed"] == "notification"
        # An API terminate after that acknowledged notification is after a confirmation.
        resp = http_api(base, "POST", TRANSFER.format("plfk2020042014") + "/close")
        assert resp.status == 400
        assert ledger(base)["contracts"][rid]["after_confirmed"] == 1
    # A 204 answer confirms too.
    resp = http_api(base, "POST", "/v3/eduschoolpay/contracts/2045011120563805041758214605/terminate")
    assert resp.status == 204 and outcome(resp) == "ok"
    assert ledger(base)["contracts"]["eduschoolpay:2045011120563805041758214605"]["confirmed"] == "terminate"


def test_a_rejected_notification_confirms_nothing(base):
    with Receiver(replies=[500], default=500) as receiver:
        register(base, receiver.url)
        post(base, "/sandbox/contracts/terminate", {"contract": "transfer_authorization:plfk2020042014"})
        receiver.get()
        register(base, None)
    time.sleep(0.1)
    entry = ledger(base)["contracts"].get("transfer_authorization:plfk2020042014")
    assert entry is None or entry["confirmed"] is None


def test_what_the_ledger_attributes(base):
    client = Client(base)
    try:
        client.request("POST", PAPAY.format(12535, "nosuchcontract") + "/terminate", REMARK)
        client.request("POST", PAPAY.format(12537, "wxwtdk20200910100003") + "/terminate", REMARK)  # GO's
        client.request("POST", TARGET + "/terminate")  # no body: its parameters cannot be read
        assert ledger(base)["contracts"] == {}
        # Named by readable parameters, whatever happens next (here: a signature failure).
        resp = client.request("POST", TARGET + "/terminate", REMARK, headers={"Authorization": authorization(
            DOC, "POST", TARGET + "/terminate", b"{}")})
        assert resp.status == 401
    finally:
        client.close()
    assert ledger(base)["contracts"] == {RID: {"terminate_requests": 1, "applied": 0, "rejected_already_terminated": 0,
                                               "after_confirmed": 0, "queries": 0, "confirmed": None}}


# ---------------------------------------------------------------------------
# Rate limit: queries too, counted apart from the injected `ratelimit`
# ---------------------------------------------------------------------------


def test_rate_limit_applies_to_queries_and_is_counted(base):
    assert post(base, f"/sandbox/merchants/{DOC.mchid}/rate-limit", {"rate_limit": 3}).status == 200
    client = Client(base)
    try:
        started = time.monotonic()
        statuses = [client.request("GET", TARGET) for _ in range(5)]
        if time.monotonic() - started < 0.8:  # all inside the window (anything slower cannot tell)
            assert [r.status for r in statuses] == [200, 200, 200, 429, 429]
            assert statuses[3].json() == {"code": "RATELIMIT_EXCEEDED", "message": "达到调用速率限制"}
            assert statuses[3].header("Wechatpay-Signature") is None
            assert ledger(base)["rate_limited"] == 2
        time.sleep(1.0)
        assert client.request("GET", TARGET, fault="ratelimit").status == 429  # injected: a fault, not the limit
        got = ledger(base)
        assert got["faults"] == {"ratelimit": 1} and got["rate_limited"] == sum(r.status == 429 for r in statuses)
    finally:
        client.close()
        post(base, f"/sandbox/merchants/{DOC.mchid}/rate-limit", {"rate_limit": None})


def test_a_client_honouring_the_rate_is_never_refused(base):
    """A client keeping at most N requests in any one second (a sliding window of its own send
    times), from 4 connections, at the limit, is never refused."""
    limit = 10
    assert post(base, f"/sandbox/merchants/{DOC.mchid}/rate-limit", {"rate_limit": limit}).status == 200
    sent: deque = deque()
    lock = threading.Lock()
    statuses = []

    def slot() -> None:
        while True:  # bounded: a slot frees within a second
            with lock:
                now = time.monotonic()
                while sent and sent[0] <= now - 1.0:
                    sent.popleft()
                if len(sent) < limit:
                    sent.append(now)
                    return
                wait = sent[0] + 1.0 - now
            time.sleep(wait)

    def worker(n: int) -> None:
        client = Client(base)
        try:
            for _ in range(n):
                slot()
                statuses.append(client.request("GET", TARGET).status)
        finally:
            client.close()

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(worker, [8] * 4))
        assert statuses == [200] * 32, statuses
        assert ledger(base)["rate_limited"] == 0
    finally:
        post(base, f"/sandbox/merchants/{DOC.mchid}/rate-limit", {"rate_limit": None})


# ---------------------------------------------------------------------------
# Chaos mode
# ---------------------------------------------------------------------------


def chaos(base: str, doc) -> Resp:
    return post(base, "/sandbox/chaos", doc)


def test_chaos_settings_and_errors(base):
    off = http("GET", base + "/sandbox/chaos").json()
    assert off == {"enabled": False, "seed": None, "rates": {}, "delay_ms": 2000, "burst": 1, "counts": {},
                   "requests": 0, "notifications": 0, "bursts": {}}
    on = chaos(base, {"seed": 7, "rates": {"reset_before": 0.03, "slow": 0.01, "notify_duplicate": 0.2,
                                           "probe": 0}, "delay_ms": 1500, "burst": 3}).json()
    assert on["enabled"] and on["rates"] == {"reset_before": 0.03, "slow": 0.01, "notify_duplicate": 0.2}
    assert (on["seed"], on["delay_ms"], on["burst"]) == (7, 1500, 3)
    for doc, code in [({"rates": {"nope": 0.1}}, "SANDBOX_UNKNOWN_FAULT"),
                      ({"rates": {"probe": 1.5}}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": {"probe": 0.6, "slow": 0.6}}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": {"probe": True}}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": [], "seed": 1}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": {"probe": 0.1}, "burst": 0}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": {"probe": 0.1}, "delay_ms": -1}, "SANDBOX_BAD_REQUEST"),
                      ({"rates": {"probe": 0.1}, "other": 1}, "SANDBOX_BAD_REQUEST")]:
        resp = chaos(base, doc)
        assert (resp.status, resp.json()["code"]) == (400, code), doc
    assert http("GET", base + "/sandbox/chaos").json()["enabled"]  # a refused change leaves it as it was
    assert chaos(base, {"rates": {}}).json()["enabled"] is False
    chaos(base, {"rates": {"probe": 0.5}})
    assert chaos(base, {}).json()["enabled"] is False
    chaos(base, {"rates": {"probe": 0.5}})
    http("POST", base + "/sandbox/reset")
    assert http("GET", base + "/sandbox/chaos").json()["enabled"] is False


def _run_sequence(base: str, n: int) -> list:
    client = Client(base)
    out = []
    try:
        for _ in range(n):
            try:
                resp = client.request("GET", TARGET)
                out.append(str(resp.status) if resp.status != 200 else outcome(resp))
            except LOST as e:
                out.append(type(e).__name__)
    finally:
        client.close()
    return out


def test_chaos_is_reproducible_from_its_seed_and_counts_what_it_injects(base):
    rates = {"reset_before": 0.1, "ratelimit": 0.1, "system_error": 0.1, "probe": 0.1, "bad_signature": 0.1}
    chaos(base, {"seed": 42, "rates": rates})
    first = _run_sequence(base, 60)
    view = http("GET", base + "/sandbox/chaos").json()
    chaos(base, {"seed": 42, "rates": rates})
    assert _run_sequence(base, 60) == first
    assert view["requests"] == 60 and sum(view["counts"].values()) == sum(x != "ok" for x in first)
    names = {"ConnectionResetError": "reset_before", "429": "ratelimit", "500": "system_error", "probe": "probe",
             "bad_signature": "bad_signature"}
    assert view["counts"] == {names[k]: first.count(k) for k in set(first) - {"ok"}}
    assert set(first) - {"ok"} == set(names)  # every fault showed up in 60 draws at these rates
    # The ledger counts the same faults (both runs).
    assert ledger(base)["faults"] == {k: 2 * v for k, v in view["counts"].items()}


def test_chaos_skips_control_requests_and_certificate_downloads(base):
    chaos(base, {"seed": 1, "rates": {"system_error": 1.0}})
    http("GET", base + "/sandbox/state")
    assert http_api(base, "GET", "/v3/certificates").status == 200
    assert http_api(base, "GET", TARGET).status == 500
    assert http("GET", base + "/sandbox/chaos").json()["requests"] == 1
    # A header fault wins over chaos and uses no draw.
    assert outcome(Client(base).request("GET", TARGET, fault="probe")) == "probe"
    assert http("GET", base + "/sandbox/chaos").json()["requests"] == 1


def test_chaos_bursts_repeat_per_merchant(base):
    chaos(base, {"seed": 3, "rates": {"system_error": 0.2}, "burst": 3})
    seq = [x == "500" for x in _run_sequence(base, 120)]
    runs, length = [], 0
    for faulted in seq + [False]:
        if faulted:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    assert runs and all(r >= 3 for r in runs[:-1] if r) and sum(runs) >= 3
    # A burst belongs to one merchant: another merchant's requests draw on their own and leave it alone.
    chaos(base, {"seed": 3, "rates": {"system_error": 0.2}, "burst": 1000})
    while _run_sequence(base, 1) == ["ok"]:  # bounded: p = 0.2 per request
        pass
    bursts = http("GET", base + "/sandbox/chaos").json()["bursts"]
    assert bursts[DOC.mchid] == {"fault": "system_error", "remaining": 999}
    other = Client(base, merchant=GO)
    try:
        for _ in range(20):
            other.request("GET", PAPAY.format(12537, "wxwtdk20200910100003"))
    finally:
        other.close()
    assert http("GET", base + "/sandbox/chaos").json()["bursts"][DOC.mchid]["remaining"] == 999
    assert _run_sequence(base, 5) == ["500"] * 5
    assert http("GET", base + "/sandbox/chaos").json()["bursts"][DOC.mchid]["remaining"] == 994


def test_notify_duplicate_rate(base):
    chaos(base, {"seed": 5, "rates": {"notify_duplicate": 1.0}})
    with Receiver() as receiver:
        register(base, receiver.url)
        resp = http_api(base, "POST", TARGET + "/terminate", REMARK)
        assert resp.status == 200
        one, two = receiver.get(), receiver.get()
        assert one.body == two.body
        log = settled(base)
        assert [d["fault"] for d in log["deliveries"]] == ["duplicate", "duplicate"]
        assert log["notifications"][0]["fault"] == "duplicate"
    view = http("GET", base + "/sandbox/chaos").json()
    assert (view["counts"], view["requests"], view["notifications"]) == ({"notify_duplicate": 1}, 0, 1)
    assert ledger(base)["notify_faults"] == {"duplicate": 1}


# ---------------------------------------------------------------------------
# 2,000 records, 16 keep-alive connections, chaos: exactly once
# ---------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = {"terminate": 0, "query": 0, "lost": 0, "rejected_seen": 0}

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n


def settle(client: Client, collection: str, params: dict, tally: Tally) -> None:
    """What a correct client does: terminate; trust only an intact 2xx; after anything else ask
    (query) and terminate again only if an intact answer says the record is still effective."""
    terminate, query, done = FAMILIES[collection]
    method, target, body, ok = terminate(params)
    need_terminate = True
    for _ in range(200):  # bounded; each round is one request
        if need_terminate:
            tally.add("terminate")
            try:
                resp = client.request(method, target, body)
            except LOST:
                tally.add("lost")
                need_terminate = False
                continue
            if resp.status == ok and outcome(resp) == "ok":
                return
            if resp.status == 400:
                tally.add("rejected_seen")
            need_terminate = False
            continue
        tally.add("query")
        try:
            resp = client.request("GET", query(params))
        except LOST:
            tally.add("lost")
            continue
        if resp.status == 200 and outcome(resp) == "ok":
            if done(resp.json()):
                return
            need_terminate = True
    raise AssertionError(f"{collection} {params} did not settle")


def test_two_thousand_terminations_under_chaos_are_applied_exactly_once(base):
    records = ([("papay", r) for r in seed(base, "papay", 1000, "LOADP")]
               + [("payscore", r) for r in seed(base, "payscore", 500, "LOADS")]
               + [("transfer_authorization", r) for r in seed(base, "transfer_authorization", 500, "LOADT")])
    rates = {"reset_before": 0.03, "reset_after": 0.03, "slow": 0.01, "ratelimit": 0.05, "system_error": 0.05,
             "probe": 0.02, "bad_signature": 0.01}
    assert chaos(base, {"seed": 7, "rates": rates, "delay_ms": 1500, "burst": 2}).status == 200
    tally = Tally()
    chunks = [records[i::16] for i in range(16)]

    def worker(chunk) -> None:
        client = Client(base, timeout=1.0)  # shorter than a slow answer's 1.5 s
        try:
            for collection, r in chunk:
                settle(client, collection, r["params"], tally)
                # ... and a final confirming query (retried until an intact answer).
                _, query, done = FAMILIES[collection]
                for _ in range(100):
                    tally.add("query")
                    try:
                        resp = client.request("GET", query(r["params"]))
                    except LOST:
                        tally.add("lost")
                        continue
                    if resp.status == 200 and outcome(resp) == "ok":
                        assert done(resp.json())
                        break
                else:
                    raise AssertionError(r)
        finally:
            client.close()

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(worker, chunks))
    elapsed = time.monotonic() - started
    # A client that terminates again after it was told: five records, one extra request each.
    client = Client(base, timeout=1.0)
    try:
        for collection, r in records[:5]:
            terminate = FAMILIES[collection][0]
            method, target, body, _ = terminate(r["params"])
            tally.add("terminate")
            try:
                client.request(method, target, body)
            except LOST:
                pass
    finally:
        client.close()
    chaos_view = http("GET", base + "/sandbox/chaos").json()
    chaos(base, {})
    got = ledger(base)

    ids = [r["id"] for _, r in records]
    entries = got["contracts"]
    assert all(entries[i]["applied"] == 1 for i in ids), [i for i in ids if entries[i]["applied"] != 1][:5]
    assert all(entries[i]["confirmed"] in ("terminate", "query") for i in ids)
    assert [i for i in ids if entries[i]["after_confirmed"]] == ids[:5]
    assert all(entries[i]["after_confirmed"] == 1 for i in ids[:5])
    totals = got["totals"]
    assert totals["applied"] == 2000 and totals["contracts"] == 2000 and totals["after_confirmed"] == 5
    assert totals["terminate_requests"] == tally.counts["terminate"]
    assert totals["queries"] == tally.counts["query"]
    assert totals["rejected_already_terminated"] >= tally.counts["rejected_seen"]
    assert totals["terminate_requests"] >= totals["applied"] + totals["rejected_already_terminated"]
    assert got["rate_limited"] == 0
    # Every fault the chaos drew is in the ledger (nothing else injected any).
    assert got["faults"] == {k: v for k, v in chaos_view["counts"].items() if not k.startswith("notify_")}
    assert chaos_view["requests"] == tally.counts["terminate"] + tally.counts["query"]
    assert set(got["faults"]) == set(rates)  # each kind was injected at least once
    assert tally.counts["lost"] > 0
    # The records themselves: all terminated by the API.
    held = {r["id"]: r for r in http("GET", base + "/sandbox/state?owner=" + DOC.mchid).json()["records"]}
    assert all(held[i]["state"] == "TERMINATED" for i in ids)
    assert {held[i]["termination"]["mode"] for i in ids} == {"MCH_API_TERMINATE", "CLOSE_VIA_MCH_API"}
    assert elapsed < 120, elapsed
    print(f"\n2,000 records, 16 connections: {elapsed:.1f} s, {tally.counts}, faults {got['faults']}, "
          f"totals {totals}")


# ---------------------------------------------------------------------------
# wxpay-sandbox-ctl seed / chaos / ledger / fault --delay-ms
# ---------------------------------------------------------------------------


def ctl(base: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(HERE / "src")}
    return subprocess.run([sys.executable, "-m", "wxpay_sandbox.ctl", "--url", base, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60, env=env)


def test_ctl_seed_chaos_ledger(base):
    out = ctl(base, "seed", "papay", DOC.mchid, "--count", "3", "--prefix", "CTL", "--terminated", "1", "--ids")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["papay:12535:CTL000001 TERMINATED", "papay:12535:CTL000002 EFFECTIVE",
                                       "papay:12535:CTL000003 EFFECTIVE"]
    assert json.loads(ctl(base, "seed", "payscore", DOC.mchid, "--prefix", "CTLS").stdout)["records"][0]["params"][
        "authorization_code"] == "CTLS000001"
    assert ctl(base, "seed", "papay", DOC.mchid, "--count", "3", "--prefix", "CTL").returncode == 1
    on = json.loads(ctl(base, "chaos", "--seed", "9", "--rate", "system_error=0.5", "--rate", "notify_duplicate=0.1",
                        "--burst", "2", "--delay-ms", "100").stdout)
    assert on["rates"] == {"system_error": 0.5, "notify_duplicate": 0.1} and on["burst"] == 2 and on["seed"] == 9
    assert json.loads(ctl(base, "chaos").stdout)["enabled"] is True
    assert json.loads(ctl(base, "chaos", "off").stdout)["enabled"] is False
    bad = ctl(base, "chaos", "--rate", "nope=0.1")
    assert bad.returncode == 1 and "SANDBOX_UNKNOWN_FAULT" in bad.stderr
    http_api(base, "POST", PAPAY.format(12535, "CTL000002") + "/terminate", REMARK)
    full = json.loads(ctl(base, "ledger").stdout)
    assert full["contracts"]["papay:12535:CTL000002"]["applied"] == 1
    one = json.loads(ctl(base, "ledger", "--contract", "papay:12535:CTL000002").stdout)
    assert list(one["contracts"]) == ["papay:12535:CTL000002"]
    assert "contracts" not in json.loads(ctl(base, "ledger", "--totals").stdout)
    armed = json.loads(ctl(base, "fault", "slow", "--count", "2", "--delay-ms", "10").stdout)
    assert (armed["fault"], armed["remaining"], armed["delay_ms"]) == ("slow", 2, 10)
    ids = ctl(base, "state", "--ids", "--collection", "papay", "--owner", DOC.mchid).stdout.splitlines()
    assert len(ids) == 6 and "papay:12535:CTL000001 TERMINATED" in ids
    for command in ("seed", "chaos", "ledger"):
        assert ctl(base, command, "--help").stdout.startswith("usage: ")


def test_the_new_control_endpoints_and_faults_are_documented():
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for needle in ("POST /sandbox/seed", "POST /sandbox/chaos", "GET /sandbox/ledger", "`reset_before`",
                   "`reset_after`", "`slow`", "after_confirmed", "notify_duplicate", "wxpay-sandbox-ctl seed"):
        assert needle in readme, needle
