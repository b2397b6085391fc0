"""Terminate-and-confirm against the sandbox: every fault the recipe must survive, counted from
the sandbox's own ledger (terminations applied, terminations sent after confirmation)."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests

import wxpay_terminate as wt
from wxpay_terminate.confirm import (
    Done,
    SendStep,
    Termination,
    Wait,
    terminate_and_confirm,
    terminate_and_confirm_async,
)

PAPAY = {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100001", "contract_termination_remark": "测试解约"}
PAPAY_ID = "papay:12535:wxwtdk20200910100001"
FAST = {"backoff_initial_ms": 20, "backoff_max_ms": 200}


def faulty_send(faults: List[Optional[str]], timeout: float = 5.0) -> Any:
    """A send that adds ``X-Sandbox-Fault`` to the n-th request (None: no fault)."""
    calls: List[Tuple[str, str]] = []

    def send(req: wt.Request[Any]) -> Tuple[int, Any, bytes]:
        headers = dict(req.headers)
        fault = faults[len(calls)] if len(calls) < len(faults) else None
        if fault:
            headers["X-Sandbox-Fault"] = fault
        calls.append((req.method, fault or "-"))
        r = requests.request(req.method, req.url, headers=headers, data=req.body, timeout=timeout)
        return r.status_code, r.headers, r.content

    send.calls = calls  # type: ignore[attr-defined]
    return send


def ledger(sandbox: Any, record_id: str) -> Dict[str, Any]:
    return dict(sandbox.control("GET", "/sandbox/ledger")["contracts"][record_id])


@pytest.mark.parametrize(
    "faults, calls, evidence",
    [
        ([], ["POST"], "terminate_response"),
        # The answer is lost after the termination was applied: the query confirms it.
        (["reset_after"], ["POST", "GET"], "query_response"),
        # Lost before it was applied: the query finds it effective, the terminate goes again.
        (["reset_before"], ["POST", "GET", "POST"], "terminate_response"),
        (["ratelimit", "ratelimit"], ["POST", "POST", "POST"], "terminate_response"),
        # A 5xx is retried with the same signed request, as WeChat Pay advises.
        (["system_error"], ["POST", "POST"], "terminate_response"),
        # Answers that do not verify are not trusted either way: the query decides.
        (["probe"], ["POST", "GET"], "query_response"),
        (["bad_signature"], ["POST", "GET"], "query_response"),
        (["tampered_body"], ["POST", "GET"], "query_response"),
        (["unknown_serial"], ["POST", "GET"], "query_response"),
        (["reset_after", "system_error", "reset_before"], ["POST", "GET", "GET", "GET"], "query_response"),
    ],
)
def test_every_fault_ends_confirmed_and_terminated_once(sandbox: Any, faults: List[str], calls: List[str], evidence: str) -> None:
    send = faulty_send(faults)
    outcome = terminate_and_confirm(sandbox.client(), "terminate_papay_contract", PAPAY, send=send, policy=FAST)
    assert outcome.kind == "terminated", outcome.reason
    assert outcome.confirmed
    assert [method for method, _ in send.calls] == calls
    assert outcome.evidence is not None and outcome.evidence.source == evidence
    assert outcome.evidence.request_id
    assert sandbox.state(PAPAY_ID) == "TERMINATED"
    entry = ledger(sandbox, PAPAY_ID)
    assert entry["applied"] == 1
    assert entry["after_confirmed"] == 0


def test_a_slow_answer_past_the_timeout_is_a_lost_answer(sandbox: Any) -> None:
    sandbox.control("POST", "/sandbox/faults", {"fault": "slow", "count": 1, "delay_ms": 1500})
    send = faulty_send([], timeout=0.5)
    outcome = terminate_and_confirm(sandbox.client(), "terminate_papay_contract", PAPAY, send=send, policy=FAST)
    assert outcome.kind == "terminated"
    assert outcome.evidence is not None and outcome.evidence.source == "query_response"
    assert ledger(sandbox, PAPAY_ID)["applied"] == 1


def test_refusal_then_query_says_already_terminated(sandbox: Any) -> None:
    params = {**PAPAY, "out_contract_code": "wxwtdk20200910100009"}  # the user ended it before
    outcome = terminate_and_confirm(sandbox.client(), "terminate_papay_contract", params, policy=FAST)
    assert outcome.kind == "already_terminated"
    assert isinstance(outcome.error, wt.ApiError) and outcome.error.status == 400
    assert outcome.evidence is not None and outcome.evidence.state == "contract_state TERMINATED (USER_TERMINATE)"


def test_unknown_contract_is_not_found(sandbox: Any) -> None:
    params = {**PAPAY, "out_contract_code": "nosuchcontract"}
    outcome = terminate_and_confirm(sandbox.client(), "terminate_papay_contract", params, policy=FAST)
    assert outcome.kind == "not_found"
    assert outcome.evidence is not None and outcome.evidence.state == "NOT_FOUND"
    assert (outcome.terminate_sends, outcome.query_sends) == (1, 0)


#: One contract of every family, with what its query needs beyond the termination's fields.
FAMILIES: List[Tuple[str, Dict[str, Any], Optional[Dict[str, Any]]]] = [
    ("terminate_eduschoolpay_contract", {"contract_id": "2045011120563805041758214605"}, None),
    ("terminate_password_exempt_contract", {"service_id": 12535, "out_contract_code": "wxwtdk20200910100000",
                                            "contract_termination_remark": "r"}, None),
    ("terminate_papay_contract", PAPAY, None),
    ("terminate_papay_partner_contract", {"plan_id": 12535, "out_contract_code": "wxwtdk20200910200000",
                                          "sub_mchid": "1900000109", "contract_termination_remark": "r"}, None),
    ("terminate_papay_insurance_contract", {"plan_id": 12535, "out_contract_code": "insur20240101000001",
                                            "contract_termination_remark": "r"}, None),
    ("terminate_combine_papay_contract", {"plan_id": 12535, "out_contract_code": "combine2024010100001",
                                          "contract_termination_remark": "r"}, None),
    ("terminate_credit_repayment_contract", {"out_contract_code": "100001256", "contract_termination_remark": "r"}, None),
    ("terminate_global_papay_contract", {"contract_id": "203009101000000000000001", "appid": "wxd678efh567hg6787"}, None),
    ("terminate_edu_papay_contract", {"contract_id": "204009101000000000000001"}, {"appid": "wxd678efh567hg6787"}),
    ("terminate_facepay_user_contract", {"organization_id": "1000032", "user_id": "FACEUSER0000000001"},
     {"out_user_id": "out0000000001"}),
    ("terminate_payscore_permission_by_authorization_code",
     {"authorization_code": "authcode20200910000001", "service_id": "500001", "reason": "r"}, None),
    ("terminate_payscore_permission_by_openid",
     {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS2", "service_id": "500001", "appid": "wxd678efh567hg6787", "reason": "r"}, None),
    ("terminate_payscore_partner_permission_by_authorization_code",
     {"authorization_code": "authcode20200910000005", "service_id": "500001", "sub_mchid": "1900000109", "reason": "r"},
     None),
    ("terminate_payscore_partner_permission",
     {"service_id": "500001", "appid": "wxd678efh567hg6787", "sub_mchid": "1900000109", "reason": "r",
      "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6"}, None),
    ("terminate_payscore_acquiringbank_permission",
     {"authorization_code": "authcode20200910000008", "service_id": "500001", "sub_mchid": "1900000109",
      "channel_id": "1900000001", "reason": "r"}, None),
    ("terminate_payscore_user_permission",
     {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS3", "service_id": "500002", "appid": "wxd678efh567hg6787", "reason": "r"},
     None),
    ("close_transfer_authorization", {"out_authorization_no": "plfk2020042013"}, None),
    ("close_transfer_partner_authorization", {"out_authorization_no": "spfk2025041000001"}, None),
    ("revoke_webizpay_employee", {"employee_id": "WeBizPay_a968402a-73bb-43e2-9e1a-8371b0ca3d7c",
                                  "sp_mchid": "1900007291", "sub_mchid": "43214321"}, {"user_id": "employee123"}),
]


def test_every_termination_and_query_is_exercised() -> None:
    assert {f[0] for f in FAMILIES} == {op["id"] for op in wt.CATALOG["operations"] if op["confirm_with"]}


@pytest.mark.parametrize("operation, params, query_params", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_each_family_is_confirmed_by_its_own_query_after_a_lost_answer(
    sandbox: Any, operation: str, params: Dict[str, Any], query_params: Optional[Dict[str, Any]]
) -> None:
    send = faulty_send(["reset_after"])
    outcome = terminate_and_confirm(sandbox.client(), operation, params, query_params=query_params, send=send,
                                    policy=FAST)
    assert outcome.kind == "terminated", outcome.reason
    assert outcome.evidence is not None and outcome.evidence.source == "query_response"
    assert outcome.evidence.operation == wt.CATALOG["operations"][wt.OPERATIONS.index(operation)]["confirm_with"]
    totals = sandbox.control("GET", "/sandbox/ledger")["totals"]
    assert totals["applied"] == 1 and totals["after_confirmed"] == 0


def test_the_async_variant_runs_on_httpx(sandbox: Any) -> None:
    outcome = asyncio.run(terminate_and_confirm_async(sandbox.client(), "terminate_papay_contract", PAPAY, policy=FAST))
    assert outcome.kind == "terminated"
    assert sandbox.state(PAPAY_ID) == "TERMINATED"


def test_step_by_step_with_a_journal_round_trip(sandbox: Any) -> None:
    client = sandbox.client()
    machine = Termination("terminate_papay_contract", PAPAY, policy=FAST)
    step = machine.next(client)
    assert isinstance(step, SendStep) and step.purpose == "terminate" and step.attempt == 1
    headers = dict(step.request.headers, **{"X-Sandbox-Fault": "reset_after"})
    with pytest.raises(requests.ConnectionError):
        requests.request(step.request.method, step.request.url, headers=headers, data=step.request.body, timeout=5)
    # The process dies here with the request in flight; the journal holds no signature.
    saved = machine.to_json()
    assert "signature" not in saved and "WECHATPAY2" not in saved
    resumed = Termination.from_json(saved)
    step = resumed.next(client)
    assert isinstance(step, SendStep) and step.purpose == "query"
    r = requests.request(step.request.method, step.request.url, headers=step.request.headers, timeout=5)
    resumed.on_response(client, r.status_code, r.headers, r.content)
    step = resumed.next(client)
    assert isinstance(step, Done) and step.outcome.kind == "terminated"
    assert resumed.outcome == step.outcome


def test_a_notification_confirms_without_a_query(fast_sandbox: Any) -> None:
    client = fast_sandbox.client(apiv3_key=next(m["apiv3_key"] for m in fast_sandbox.control("GET", "/sandbox/merchants")["merchants"] if m["mchid"] == "1900007291"))
    machine = Termination("terminate_papay_contract", PAPAY, policy=FAST)
    step = machine.next(client)
    assert isinstance(step, SendStep)
    machine.on_transport_error()  # the answer is lost ...
    # ... and the user's own termination arrives as a notification, parsed by the client.
    fast_sandbox.control("POST", "/sandbox/contracts/terminate", {"contract": PAPAY_ID})
    records = fast_sandbox.control("GET", "/sandbox/state")["records"]
    record = next(r for r in records if r["id"] == PAPAY_ID)
    notification = {
        "id": "EV-1", "create_time": "2026-12-02T10:00:00+08:00", "event_type": "ENTRUST.TERMINATE",
        "resource_type": "encrypt-resource",
        "resource": {"contract_id": record["contract_id"], "plan_id": 12535, "out_contract_code": PAPAY["out_contract_code"],
                     "contract_state": "TERMINATED", "contract_terminate_info": {"contract_termination_mode": "USER_TERMINATE"}},
    }
    other = json.loads(json.dumps(notification))
    other["resource"]["out_contract_code"] = "wxwtdk20200910100000"
    assert machine.on_notification(other) is False
    assert machine.on_notification(notification) is True
    step = machine.next(client)
    assert isinstance(step, Done) and step.outcome.kind == "terminated"
    assert step.outcome.evidence is not None and step.outcome.evidence.notification_id == "EV-1"


def test_bad_input_is_refused_before_anything_is_signed(sandbox: Any) -> None:
    with pytest.raises(wt.InvalidInputError) as e:
        Termination("terminate_facepay_user_contract", {"organization_id": "1000032", "user_id": "FACEUSER0000000001"})
    assert e.value.field == "out_user_id"
    with pytest.raises(wt.InvalidInputError) as e:
        Termination("query_papay_contract", {"plan_id": 1, "out_contract_code": "x"})
    assert e.value.field == "operation"
    with pytest.raises(wt.InvalidInputError) as e:
        Termination("terminate_papay_contract", PAPAY, policy={"max_query_sends": "many"})
    assert e.value.field == "policy"
    with pytest.raises(wt.InvalidInputError):
        Termination.from_json("{not json")
    assert sandbox.control("GET", "/sandbox/log")["requests"] == []


def test_wait_steps_give_the_back_off(sandbox: Any) -> None:
    client = sandbox.client()
    machine = Termination("terminate_papay_contract", PAPAY, policy={"backoff_initial_ms": 400, "backoff_max_ms": 400})
    step = machine.next(client, now_ms=1_000)
    assert isinstance(step, SendStep)
    machine.on_response(client, 429, {}, b'{"code":"RATELIMIT_EXCEEDED","message":"x"}', now_ms=1_000)
    step = machine.next(client, now_ms=1_000)
    assert isinstance(step, Wait) and 1_200 <= step.until_ms <= 1_400
    assert isinstance(machine.last_error, wt.ApiError) and machine.last_error.retryable
