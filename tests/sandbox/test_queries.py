"""Tests of the sandbox's contract/authorization QUERY endpoints (one per terminate family, as
WeChat Pay documents them; see docs/query-endpoints.md and the README's Endpoints table).

The client is the small signer/verifier of test_sandbox.py (its own `cryptography` code, sharing
nothing with the server). Each query is checked before and after its record is terminated (by
the API and by the user), for unknown / foreign / mismatching identities (404), and for the
query-string rules (missing, unknown, repeated parameters; the raw query is signed).

Run: python3 -m pytest tests/sandbox/test_queries.py -q
"""

import json
import re
from dataclasses import dataclass, field
from typing import Optional

import pytest

from test_sandbox import (APPID, CASES, DOC, GO, NOTIFY_ARGS, OPENID, PLATFORM_SERIAL, PUB_KEY_ID, RFC3339_CST,
                          api, authorization, http, outcome, start, state, stop)

TIME = object()  # any RFC 3339 time with +08:00
ABSENT = object()  # the field must not be there


def encode_json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


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


def dig(obj, path: str):
    for part in path.split("/"):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def check(body: dict, expected: dict) -> None:
    for path, value in expected.items():
        if value is ABSENT:
            head, _, last = path.rpartition("/")
            assert last not in (dig(body, head) if head else body), (path, body)
        elif value is TIME:
            assert RFC3339_CST.match(dig(body, path)), (path, body)
        else:
            assert dig(body, path) == value, (path, body)


@dataclass
class Query:
    name: str  # the terminate case (test_sandbox.CASES) that terminates the same record
    target: str
    effective: dict
    terminated: dict
    foreign: str  # a record of merchant 1234567890
    unknown: str  # no record, or identity params that do not match
    not_found: str = "协议不存在"
    required: tuple = ()
    operation: Optional[str] = None
    extra: dict = field(default_factory=dict)


PAPAY_INFO = {"contract_state": "TERMINATED", "contract_terminate_info/contract_termination_mode": "MCH_API_TERMINATE",
              "contract_terminate_info/contract_terminated_time": TIME,
              "contract_terminate_info/contract_termination_remark": "用户解约"}
SIGNED = {"contract_state": "SIGNED", "contract_terminate_info": ABSENT}
PA = "/v3/papay/sign/contracts/plan-id/{}/out-contract-code/{}"
PP = "/v3/papay/sign/partner/contracts/plan-id/{}/out-contract-code/{}?sub_mchid={}"
PI = "/v3/papay/insurance-sign/contracts/plan-id/{}/out-contract-code/{}"
PC = "/v3/ecommerce/combine-papay/contracts/plan-id/{}/out-contract-code/{}"
PE = "/v3/password-exempt-contract/contracts/service-id/{}/out-contract-code/{}"
PS = "/v3/payscore/permissions/authorization-code/{}?service_id={}"
PSO = "/v3/payscore/permissions/openid/{}?service_id={}&appid=" + APPID
USS = "/v3/payscore/user-service-state?appid=" + APPID + "&service_id={}&openid={}"
PSP = "/v3/payscore/partner/permissions/authorization-code/{}?service_id={}&sub_mchid={}"
SEARCH = "/v3/payscore/partner/permissions/search?service_id={}&appid=" + APPID + "&sub_mchid={}&openid={}"
PSA = "/v3/payscore/acquiringbank/permissions/authorization-code/{}?service_id={}&channel_id={}&sub_mchid={}"
AVAILABLE = {"authorization_state": "AVAILABLE", "cancel_authorization_time": ABSENT}
UNAVAILABLE = {"authorization_state": "UNAVAILABLE", "cancel_authorization_time": TIME}
PAYSCORE_FIELDS = ("service_id", "appid", "mchid", "openid", "authorization_state", "authorization_success_time")

QUERIES = [
    Query("eduschoolpay", "/v3/eduschoolpay/contracts/2045011120563805041758214605",
          {"contract_status": "ADD", "mchid": "1900007291", "contract_id": "2045011120563805041758214605",
           "plan_id": "30001", "out_contract_code": "eduschool2024000001"},
          {"contract_status": "DELETE"},
          "/v3/eduschoolpay/contracts/2045011120563805041758219999",
          "/v3/eduschoolpay/contracts/2045011120563805041758210000",
          required=("contract_id", "mchid", "appid", "openid", "plan_id", "contract_status", "create_time",
                    "out_contract_code"), operation="query_eduschoolpay_contract"),
    Query("password_exempt", PE.format(12535, "wxwtdk20200910100000"),
          {**SIGNED, "mchid": "1900007291", "service_id": 12535, "out_contract_code": "wxwtdk20200910100000"},
          PAPAY_INFO, PE.format(12536, "wxwtdk20200910100002"), PE.format(12535, "wxwtdk20200910199999"),
          required=("mchid", "contract_id", "appid", "openid", "service_id", "out_contract_code", "contract_state",
                    "contract_signed_time"), operation="query_password_exempt_contract"),
    Query("papay", PA.format(12535, "wxwtdk20200910100000"),
          {**SIGNED, "mchid": "1900007291", "plan_id": 12535, "deduct_schedule/estimated_deduct_amount/total": 1500},
          PAPAY_INFO, PA.format(12537, "wxwtdk20200910100003"), PA.format(12535, "nosuchcontract01"),
          required=("mchid", "contract_id", "appid", "plan_id", "out_contract_code", "contract_display_account",
                    "contract_state", "openid"), operation="query_papay_contract"),
    Query("papay_partner", PP.format(12535, "wxwtdk20200910200000", "1900000109"),
          {**SIGNED, "sp_mchid": "1900007291", "sub_mchid": "1900000109", "plan_id": 12535}, PAPAY_INFO,
          PP.format(12535, "wxwtdk20200910200002", "1900000111"),
          PP.format(12535, "wxwtdk20200910200000", "1900000110"),
          required=("contract_id", "sp_mchid", "sp_appid", "sub_mchid", "plan_id", "out_contract_code",
                    "contract_display_account", "contract_state", "sp_openid"),
          operation="query_papay_partner_contract"),
    Query("papay_insurance", PI.format(12535, "insur20240101000001"),
          {**SIGNED, "mchid": "1900007291", "insured_display_name": "*三"}, PAPAY_INFO,
          PI.format(12538, "insur20240101000003"), PI.format(12535, "insur20240101009999"),
          required=("mchid", "contract_id", "appid", "plan_id", "out_contract_code", "contract_state", "openid")),
    Query("combine_papay", PC.format(12535, "combine2024010100001"),
          {**SIGNED, "mchid": "1900007291", "plan_id": 12535, "out_contract_code": "combine2024010100001"},
          PAPAY_INFO, PC.format(12539, "combine2024010100003"), PC.format(12536, "combine2024010100001"),
          required=("mchid", "contract_id", "appid", "plan_id", "out_contract_code", "contract_display_account",
                    "contract_state", "contract_signed_time", "contract_expired_time", "openid")),
    Query("credit_repayment", "/v3/credit-repayment/partner/contracts/100001256",
          {"contract_state": "CONTRACT_STATE_EFFECTIVE", "plan_id": "10001", "contract_terminated_time": ABSENT,
           "contract_terminated_mode": ABSENT, "repayment_amount_limit": 500000},
          {"contract_state": "CONTRACT_STATE_TERMINATED", "contract_terminated_mode": "TERMINATION_MODE_BY_MERCHANT",
           "contract_terminated_time": TIME, "contract_termination_remark": "用户解约"},
          "/v3/credit-repayment/partner/contracts/100001258", "/v3/credit-repayment/partner/contracts/100009999",
          required=("contract_id", "plan_id", "out_contract_code", "display_name", "contract_state"),
          operation="query_credit_repayment_contract"),
    Query("global_papay", "/v3/global/papay/contracts/203009101000000000000001?appid=" + APPID,
          {"state": "SIGNED", "mchid": "1900007291", "appid": APPID, "terminated_time": ABSENT},
          {"state": "TERMINATED", "terminated_time": TIME, "termination_mode": "MERCHANT",
           "termination_note": "用户要求解约"},
          "/v3/global/papay/contracts/203009101000000000000003?appid=wxd678efh567hg6999",
          "/v3/global/papay/contracts/203009101000000000000001?appid=wxd678efh567hg6999",
          required=("mchid", "appid", "contract_id", "plan_id", "out_contract_code", "state", "signed_time", "openid"),
          operation="query_global_papay_contract"),
    Query("edu_papay", "/v3/edu-papay/contracts/id/204009101000000000000001?appid=" + APPID,
          {"contract_information/contract_status": "ADD", "sp_mchid": "1900007291",
           "contract_information/contract_id": "204009101000000000000001"},
          {"contract_information/contract_status": "DELETE"},
          "/v3/edu-papay/contracts/id/204009101000000000000003?appid=" + APPID,
          "/v3/edu-papay/contracts/id/204009101000000000000001?appid=wxd678efh567hg6999",
          required=("sp_mchid", "appid", "openid", "plan_id", "contract_information"),
          operation="query_edu_papay_contract"),
    Query("facepay", "/v3/offlinefacemch/organizations/1000032/users/out-user-id/out0000000001",
          {"contract_state": "CONTRACTED", "use_id": "FACEUSER0000000001", "out_user_id": "out0000000001",
           "organization_id": "1000032"},
          {"contract_state": "TERMINATED"},
          "/v3/offlinefacemch/organizations/1000099/users/out-user-id/out0000000003",
          "/v3/offlinefacemch/organizations/1000032/users/out-user-id/FACEUSER0000000001",
          not_found="用户不存在", required=("use_id", "out_user_id", "organization_id", "contract_state", "contract_id"),
          operation="query_facepay_user"),
    Query("payscore_by_code", PS.format("authcode20200910000001", "500001"),
          {**AVAILABLE, "mchid": "1900007291", "authorization_code": "authcode20200910000001"}, UNAVAILABLE,
          PS.format("authcode20200910000004", "500009"), PS.format("authcode20200910000001", "500002"),
          not_found="授权关系不存在", required=PAYSCORE_FIELDS + ("authorization_code",),
          operation="query_payscore_permission_by_authorization_code"),
    Query("payscore_by_openid", PSO.format(OPENID + "2", "500001"), {**AVAILABLE, "openid": OPENID + "2"},
          UNAVAILABLE, PSO.format(OPENID + "4", "500009"), PSO.format("oUnknownUser", "500001"),
          not_found="授权关系不存在", required=PAYSCORE_FIELDS, operation="query_payscore_permission_by_openid"),
    Query("payscore_user", USS.format("500002", OPENID + "3"),
          {"use_service_state": "AVAILABLE", "appid": APPID, "service_id": "500002", "openid": OPENID + "3"},
          {"use_service_state": "UNAVAILABLE"},
          USS.format("500009", OPENID + "4"), USS.format("500001", OPENID + "3"),
          not_found="授权关系不存在", required=("appid", "service_id", "openid", "use_service_state"),
          operation="query_payscore_user_service_state"),
    Query("payscore_partner_by_code", PSP.format("authcode20200910000005", "500001", "1900000109"),
          {**AVAILABLE, "sub_mchid": "1900000109", "sub_openid": "oSubUser0000000000000005"}, UNAVAILABLE,
          PSP.format("authcode20200910000007", "500009", "1900000111"),
          PSP.format("authcode20200910000005", "500001", "1900000999"),
          not_found="授权关系不存在", required=PAYSCORE_FIELDS + ("sub_mchid",),
          operation="query_payscore_partner_permission_by_authorization_code"),
    Query("payscore_partner_by_openid", SEARCH.format("500001", "1900000109", OPENID + "6"),
          {**AVAILABLE, "authorization_code": "authcode20200910000006"}, UNAVAILABLE,
          SEARCH.format("500009", "1900000111", OPENID + "7"), SEARCH.format("500001", "1900000109", "oUnknown"),
          not_found="授权关系不存在", required=PAYSCORE_FIELDS + ("sub_mchid",),
          operation="query_payscore_partner_permission"),
    Query("payscore_acquiringbank", PSA.format("authcode20200910000008", "500001", "1900000001", "1900000109"),
          {**AVAILABLE, "channel_id": "1900000001", "sub_mchid": "1900000109"}, UNAVAILABLE,
          PSA.format("authcode20200910000000", "500009", "1900000002", "1900000111"),
          PSA.format("authcode20200910000008", "500001", "1900000999", "1900000109"),
          not_found="授权关系不存在", required=PAYSCORE_FIELDS + ("sub_mchid", "channel_id"),
          operation="query_payscore_acquiringbank_permission"),
    Query("transfer", "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/plfk2020042013",
          {"state": "TAKING_EFFECT", "close_info": ABSENT, "out_authorization_no": "plfk2020042013"},
          {"state": "CLOSED", "close_info/close_reason": "CLOSE_VIA_MCH_API", "close_info/close_time": TIME},
          "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/plfk2020042099",
          "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/plfk2020049999",
          not_found="授权单不存在", required=("out_authorization_no", "appid", "openid", "user_display_name",
                                         "authorization_id", "state", "authorize_time"),
          operation="query_transfer_authorization"),
    Query("transfer_partner", "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/spfk2025041000001",
          {"state": "TAKING_EFFECT", "transfer_scene_id": "1000"},
          {"state": "CLOSED", "close_info/close_reason": "CLOSE_VIA_MCH_API"},
          "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/spfk2025041000099",
          "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/spfk2025049999999",
          not_found="授权单不存在", operation="query_transfer_partner_authorization"),
    Query("webizpay", "/v3/webizpay/users/employee123/authorization-state?sp_mchid=1900007291&sub_mchid=43214321",
          {"sp_mchid": "1900007291", "sub_mchid": "43214321", "user_id": "employee123",
           "employee_list/0/employee_id": "WeBizPay_a968402a-73bb-43e2-9e1a-8371b0ca3d7c",
           "employee_list/0/authorization_state": "AUTHORIZED", "employee_list/0/authorization_time": TIME,
           "employee_list/0/authorization_revoked_time": ABSENT},
          {"employee_list/0/authorization_state": "REVOKED", "employee_list/0/authorization_revoked_time": TIME},
          "/v3/webizpay/users/employee900/authorization-state?sp_mchid=1234567890&sub_mchid=43219999",
          "/v3/webizpay/users/employee123/authorization-state?sp_mchid=1900007291&sub_mchid=43210000",
          not_found="员工授权关系不存在", operation="query_webizpay_employee_authorization"),
]
TERMINATE = {c.name: c for c in CASES}


def test_every_terminate_family_has_a_query():
    assert {q.name for q in QUERIES} == set(TERMINATE)
    assert len({re.sub(r"\?.*", "", q.target) for q in QUERIES}) == 19


@pytest.mark.parametrize("q", QUERIES, ids=[q.name for q in QUERIES])
def test_query_shows_the_current_state(base, q):
    case = TERMINATE[q.name]
    before = api(base, "GET", q.target)
    assert before.status == 200, before.body
    assert outcome(before) == "ok" and before.header("Wechatpay-Serial") == PUB_KEY_ID
    body = before.json()
    for name in q.required:
        assert name in body, (name, body)
    check(body, q.effective)
    # Queries change nothing.
    assert state(base)[case.state_id]["state"] == "EFFECTIVE"

    assert api(base, case.method, case.target, case.body).status == case.status
    after = api(base, "GET", q.target)
    assert after.status == 200 and outcome(after) == "ok"
    check(after.json(), q.terminated)
    # A terminated record is still answered (edu-papay too: the current official pages say so).
    assert api(base, "GET", q.target).json() == after.json()


@pytest.mark.parametrize("q", QUERIES, ids=[q.name for q in QUERIES])
def test_unknown_foreign_and_mismatching_records_are_not_found(base, q):
    for target in (q.unknown, q.foreign):
        resp = api(base, "GET", target)
        assert resp.status == 404, (target, resp.body)
        assert resp.json() == {"code": "NOT_FOUND", "message": q.not_found}
        assert resp.header("Wechatpay-Signature") is None
    # The other merchant reads its own record, signed by the platform certificate.
    resp = api(base, "GET", q.foreign, merchant=GO, serial_header=None)
    assert resp.status == 200 and outcome(resp) == "ok" and resp.header("Wechatpay-Serial") == PLATFORM_SERIAL


@pytest.mark.parametrize("q", [q for q in QUERIES if q.operation], ids=[q.name for q in QUERIES if q.operation])
def test_queries_are_logged_with_their_operation(base, q):
    api(base, "GET", q.target)
    (entry,) = http("GET", base + "/sandbox/log").json()["requests"]
    assert (entry["method"], entry["operation"], entry["status"]) == ("GET", q.operation, 200)
    assert entry["path"] == q.target.split("?")[0]


# ---------------------------------------------------------------------------
# User-initiated terminations as the queries show them
# ---------------------------------------------------------------------------

USER_CASES = [
    ("papay:12535:wxwtdk20200910100001", "USER_TERMINATE", PA.format(12535, "wxwtdk20200910100001"),
     {"contract_state": "TERMINATED", "contract_terminate_info/contract_termination_mode": "USER_TERMINATE"}),
    ("credit_repayment:100001257", "CUSTOMER_SERVICE_TERMINATE", "/v3/credit-repayment/partner/contracts/100001257",
     {"contract_state": "CONTRACT_STATE_TERMINATED",
      "contract_terminated_mode": "TERMINATION_MODE_BY_CUSTOMER_SERVICE"}),
    ("global_papay:203009101000000000000002", "USER_TERMINATE",
     "/v3/global/papay/contracts/203009101000000000000002?appid=" + APPID,
     {"state": "TERMINATED", "termination_mode": "USER"}),
    ("global_papay:203009101000000000000002", "SYSTEM_TERMINATE",
     "/v3/global/papay/contracts/203009101000000000000002?appid=" + APPID,
     {"state": "TERMINATED", "termination_mode": "PLATFORM"}),
    ("transfer_authorization:plfk2020042014", "USER_TERMINATE",
     "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/plfk2020042014",
     {"state": "CLOSED", "close_info/close_reason": "USER_CLOSE"}),
    ("payscore:authcode20200910000002", "USER_TERMINATE", USS.format("500001", OPENID + "2"),
     {"use_service_state": "UNAVAILABLE"}),
    ("webizpay_employee:WeBizPay_b17c3e55-0f4d-4d8e-9a61-2f0c9d1e5a77", "USER_TERMINATE",
     "/v3/webizpay/users/employee124/authorization-state?sp_mchid=1900007291&sub_mchid=43214321",
     {"employee_list/0/authorization_state": "REVOKED"}),
]


@pytest.mark.parametrize("rid,mode,target,expected", USER_CASES, ids=[f"{c[0].split(':')[0]}-{c[1]}" for c in USER_CASES])
def test_user_termination_shows_in_the_query(base, rid, mode, target, expected):
    done = http("POST", base + "/sandbox/contracts/terminate", encode_json({"contract": rid, "mode": mode}),
                [("Content-Type", "application/json")])
    assert done.status == 200, done.body
    resp = api(base, "GET", target)
    assert resp.status == 200 and outcome(resp) == "ok"
    check(resp.json(), expected)


def test_seeded_user_termination_shows_in_the_query(base):
    body = api(base, "GET", PA.format(12535, "wxwtdk20200910100009")).json()
    check(body, {"contract_state": "TERMINATED", "contract_terminate_info/contract_termination_mode": "USER_TERMINATE",
                 "contract_terminate_info/contract_terminated_time": "2025-06-01T09:00:00+08:00",
                 "contract_terminate_info/contract_termination_remark": ABSENT})


def test_payscore_queries_share_the_authorization(base):
    # Revoked through one endpoint, every query of the same authorization says UNAVAILABLE.
    assert api(base, "POST", "/v3/payscore/users/" + OPENID + "1/permissions/500001/terminate",
               {"appid": APPID, "reason": "r"}).status == 204
    by_code = api(base, "GET", PS.format("authcode20200910000001", "500001")).json()
    by_openid = api(base, "GET", PSO.format(OPENID + "1", "500001")).json()
    service = api(base, "GET", USS.format("500001", OPENID + "1")).json()
    assert by_code == by_openid and by_code["authorization_state"] == "UNAVAILABLE"
    assert service["use_service_state"] == "UNAVAILABLE"


def test_webizpay_lists_every_employee_of_the_user(base):
    # Two authorizations of one enterprise user: both listed, each with its own state.
    seeded = http("POST", base + "/sandbox/seed", encode_json(
        {"collection": "webizpay_employee", "owner": "1900007291", "count": 1, "prefix": "SAMEUSER"}),
        [("Content-Type", "application/json")]).json()["records"][0]
    user = seeded["params"]["user_id"]
    target = f"/v3/webizpay/users/{user}/authorization-state?sp_mchid=1900007291&sub_mchid=43214321"
    assert [e["authorization_state"] for e in api(base, "GET", target).json()["employee_list"]] == ["AUTHORIZED"]
    revoke = api(base, "POST", "/v3/webizpay/employees/" + seeded["params"]["employee_id"] + "/revoke",
                 {"sp_mchid": "1900007291", "sub_mchid": "43214321"})
    assert revoke.status == 200
    assert [e["authorization_state"] for e in api(base, "GET", target).json()["employee_list"]] == ["REVOKED"]


# ---------------------------------------------------------------------------
# Global papay modes, query-string rules, methods
# ---------------------------------------------------------------------------

GLOBAL_Q = "/v3/global/papay/contracts/203009101000000000000001"


def test_global_papay_institution_mode(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"contracts": {"global_papay": [
        {"owner": "1900007291", "contract_id": "100005698", "sub_mchid": "10000097", "sp_appid": APPID,
         "sub_appid": "wxcbda96de0b165486"}]}}))
    sandbox = start("--seed", str(seed))
    try:
        url = sandbox.url
        target = "/v3/global/papay/contracts/100005698?sub_mchid=10000097&sp_appid=" + APPID
        body = api(url, "GET", target).json()
        check(body, {"sp_mchid": "1900007291", "sub_mchid": "10000097", "sp_appid": APPID,
                     "sub_appid": "wxcbda96de0b165486", "state": "SIGNED", "mchid": ABSENT})
        assert api(url, "GET", target + "&sub_appid=wxcbda96de0b165486").status == 200
        assert api(url, "GET", target + "&sub_appid=wxother").status == 404
        assert api(url, "GET", "/v3/global/papay/contracts/100005698?sub_mchid=10000098&sp_appid=" + APPID).status == 404
        # Terminated by an institution request, then read in the same mode.
        assert api(url, "POST", "/v3/global/papay/contracts/100005698/terminate",
                   {"sub_mchid": "10000097", "sp_appid": APPID}).status == 204
        check(api(url, "GET", target).json(), {"state": "TERMINATED", "termination_mode": "MERCHANT",
                                              "termination_note": ABSENT, "terminated_time": TIME})
    finally:
        stop(sandbox.proc)
        sandbox.stderr.close()


@pytest.mark.parametrize("target,field,issue", [
    (GLOBAL_Q, "appid", "appid、sub_mchid至少填写一个"),
    (GLOBAL_Q + "?sub_mchid=10000097", "sp_appid", "填写sub_mchid时必须填写sp_appid"),
    (PP.format(12535, "wxwtdk20200910200000", "1900000109").split("?")[0], "sub_mchid", "缺少必填的查询参数sub_mchid"),
    ("/v3/payscore/permissions/authorization-code/authcode20200910000001", "service_id",
     "缺少必填的查询参数service_id"),
    ("/v3/payscore/user-service-state?appid=" + APPID + "&service_id=500001", "openid", "缺少必填的查询参数openid"),
    ("/v3/payscore/partner/permissions/search?service_id=500001&appid=" + APPID + "&sub_mchid=1900000109",
     "openid", "openid、sub_openid至少填写一个"),
    ("/v3/payscore/acquiringbank/permissions/authorization-code/authcode20200910000008?service_id=500001"
     "&sub_mchid=1900000109", "channel_id", "缺少必填的查询参数channel_id"),
    ("/v3/edu-papay/contracts/id/204009101000000000000001", "appid", "缺少必填的查询参数appid"),
    ("/v3/webizpay/users/employee123/authorization-state?sp_mchid=1900007291", "sub_mchid",
     "缺少必填的查询参数sub_mchid"),
    (PA.format(12535, "wxwtdk20200910100000") + "?foo=1", "foo", "未知的查询参数foo"),
    (GLOBAL_Q + "?appid=" + APPID + "&appid=" + APPID, "appid", "查询参数appid重复"),
    (GLOBAL_Q + "?appid=", "appid", "不能为空字符串"),
    (GLOBAL_Q + "?appid=%zz", "appid", "查询参数的百分号编码无效"),
    (GLOBAL_Q + "?appid=%FF", "appid", "查询参数不是合法的UTF-8"),
    (GLOBAL_Q + "?appid=" + "a" * 33, "appid", "长度不能超过32个字符"),
    ("/v3/eduschoolpay/contracts/2045011120563805041758214605?contract_id=x", "contract_id",
     "未知的查询参数contract_id"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_query_parameter_errors(base, target, field, issue):
    resp = api(base, "GET", target)
    assert resp.status == 400, resp.body
    body = resp.json()
    assert (body["code"], body["message"]) == ("PARAM_ERROR", "参数错误：" + issue)
    assert (body["detail"]["location"], body["detail"]["field"]) == ("query", field)


def test_query_values_are_percent_decoded_and_plus_is_a_space(base):
    encoded = GLOBAL_Q + "?appid=wxd678efh567hg%36787"  # %36 = "6"
    assert api(base, "GET", encoded).json()["state"] == "SIGNED"
    resp = api(base, "GET", GLOBAL_Q + "?appid=wxd678efh+567hg6787")
    assert (resp.status, resp.json()["detail"]["issue"]) == (400, "不能包含空白或控制字符")


def test_the_raw_query_is_signed(base):
    target = GLOBAL_Q + "?appid=wxd678efh567hg%36787"
    # Signed over the decoded query: not what was sent.
    resp = api(base, "GET", target, sign_target=GLOBAL_Q + "?appid=" + APPID)
    assert (resp.status, resp.json()["code"]) == (401, "SIGN_ERROR")
    # Signed without the query at all.
    resp = api(base, "GET", target, sign_target=GLOBAL_Q)
    assert (resp.status, resp.json()["code"]) == (401, "SIGN_ERROR")
    assert resp.json()["detail"]["sign_information"]["url"] == target


def test_query_checks_authorization_and_signature_first(base):
    target = PA.format(12535, "wxwtdk20200910100000") + "?unknown=1"
    resp = api(base, "GET", target, auth="WECHATPAY2-SHA256-RSA2048 nonsense")
    assert (resp.status, resp.json()["code"]) == (401, "SIGN_ERROR")
    resp = api(base, "GET", target, ts=0)
    assert (resp.status, resp.json()["code"]) == (401, "SIGN_ERROR")


def test_a_body_on_a_query_is_rejected(base):
    for raw in (b"{}", b'{"a":1}'):
        resp = api(base, "GET", PA.format(12535, "wxwtdk20200910100000"), raw=raw)
        assert resp.status == 400
        assert resp.json() == {"code": "INVALID_REQUEST", "message": "该接口不接受请求主体，请不要发送请求主体"}


@pytest.mark.parametrize("method,target,allowed", [
    ("POST", PA.format(12535, "wxwtdk20200910100000"), "GET"),
    ("GET", PA.format(12535, "wxwtdk20200910100000") + "/terminate", "POST"),
    ("DELETE", "/v3/edu-papay/contracts/id/204009101000000000000001", "GET"),
    ("GET", "/v3/edu-papay/contracts/204009101000000000000001", "DELETE"),
    ("POST", "/v3/payscore/partner/permissions/search", "GET"),
    ("GET", "/v3/payscore/partner/permissions/terminate", "POST"),
    ("PUT", "/v3/payscore/user-service-state", "GET"),
])
def test_method_mismatch_is_405(base, method, target, allowed):
    resp = api(base, method, target, {} if method in ("POST", "PUT") else None)
    assert resp.status == 405, resp.body
    assert resp.header("Allow") == allowed and resp.json()["code"] == "METHOD_NOT_ALLOWED"


def test_path_checks_apply_to_queries(base):
    resp = api(base, "GET", PA.format("12x", "wxwtdk20200910100000"))
    assert (resp.status, resp.json()["detail"]["field"], resp.json()["detail"]["location"]) == (400, "plan_id", "uri")
    resp = api(base, "GET", PE.format(12535, "wxwtdk-2020"))
    assert (resp.status, resp.json()["detail"]["field"]) == (400, "out_contract_code")


def test_armed_and_header_faults_apply_to_queries(base):
    target = PA.format(12535, "wxwtdk20200910100000")
    assert outcome(api(base, "GET", target, fault="bad_signature")) == "bad_signature"
    http("POST", base + "/sandbox/faults", encode_json({"fault": "system_error", "count": 1}),
         [("Content-Type", "application/json")])
    assert api(base, "GET", target).status == 500
    assert api(base, "GET", target).status == 200


