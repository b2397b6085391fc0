"""The README's web-framework recipes (tests/recipes/*.py, the same text as the README blocks),
each served for real on loopback and fed real notifications by the sandbox: every product's
termination through the API, user-initiated terminations, a failing handler, duplicates and every
notification fault. Retries run 1000× faster than WeChat Pay's schedule (``fast_sandbox``).
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import queue
import threading
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

import wxpay_terminate as wt

from conftest import KEYS, ROOT_DIR, Sandbox

RECIPES = Path(__file__).resolve().parent / "recipes"
README = Path(__file__).resolve().parents[1] / "README.md"
PLAN = json.loads((ROOT_DIR / "tests" / "sandbox" / "e2e_plan.json").read_text(encoding="utf-8"))
MCHID = PLAN["merchant"]["mchid"]
APIV3_KEY = "wxpayTerminateSandboxApiV3Key001"
FRAMEWORKS = {"flask": "flask_notify.py", "fastapi": "fastapi_notify.py"}
ID_KEYS = ("contract_id", "out_contract_code", "authorization_code", "out_authorization_no", "user_id")
API_MODE = {
    "ENTRUST.TERMINATE": "MCH_API_TERMINATE",
    "INSURANCE_ENTRUST.TERMINATE": "MCH_API_TERMINATE",
    "ECOMMERCE_ENTRUST.TERMINATE": "MCH_API_TERMINATE",
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT": "TERMINATION_MODE_BY_MERCHANT",
    "PAPAY.TERMINATE": "MERCHANT",
    "MCHTRANSFER.AUTHORIZATION.CLOSED": "CLOSE_VIA_MCH_API",
    "WEBIZPAY.REVOKED": "企业发起",
}
USER_MODE = {
    "ENTRUST.TERMINATE": "USER_TERMINATE",
    "INSURANCE_ENTRUST.TERMINATE": "USER_TERMINATE",
    "ECOMMERCE_ENTRUST.TERMINATE": "USER_TERMINATE",
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT": "TERMINATION_MODE_BY_USER",
    "PAPAY.TERMINATE": "USER",
    "MCHTRANSFER.AUTHORIZATION.CLOSED": "USER_CLOSE",
    "WEBIZPAY.REVOKED": "员工注销",
}
FAULTS = {
    "probe": wt.SignatureProbeError,
    "tampered_ciphertext": wt.DecryptionError,
    "wrong_key": wt.DecryptionError,
    "skew": wt.ClockSkewError,
    "reserialized": wt.SignatureError,
    "bad_signature": wt.SignatureError,
    "unknown_serial": wt.UnknownSerialError,
}


def termination_mode(n: Any) -> Optional[str]:
    """Where each event carries how the contract ended (None: the event has no mode)."""
    r, event = n["resource"], n["event_type"]
    if event in ("ENTRUST.TERMINATE", "INSURANCE_ENTRUST.TERMINATE"):
        return str(r["contract_terminate_info"]["contract_termination_mode"])
    field = {
        "ECOMMERCE_ENTRUST.TERMINATE": "contract_termination_mode",
        "PAPAY.TERMINATE": "contract_termination_mode",
        "CREDIT_REPAYMENT.TERMINATE_CONTRACT": "contract_terminated_mode",
        "WEBIZPAY.REVOKED": "reason",
    }.get(event)
    if field:
        return str(r[field])
    if event == "MCHTRANSFER.AUTHORIZATION.CLOSED":
        return str(r["close_info"]["close_reason"])
    return None


def assert_names_record(n: Any, record: Dict[str, Any]) -> None:
    resource = dict(n["resource"])
    resource.update(resource.get("contract_information") or {})
    compared = [key for key in ID_KEYS if key in resource and key in record]
    assert compared, (n, record)
    for key in compared:
        assert str(resource[key]) == str(record[key]), (key, n, record)


class Receiver:
    """A recipe module served on loopback; its ``handle`` and ``refused`` hooks feed two queues."""

    def __init__(self, framework: str, module: ModuleType, url: str) -> None:
        self.framework = framework
        self.module = module
        self.url = url
        self.processed: "queue.Queue[Any]" = queue.Queue()
        self.refused: "queue.Queue[wt.WxpayError]" = queue.Queue()
        module.handle = self.processed.put
        module.refused = self.refused.put

    def next_processed(self, timeout: float = 15) -> Any:
        return self.processed.get(timeout=timeout)

    def assert_quiet(self, seconds: float = 0.5) -> None:
        """Nothing more processed or refused (a duplicate would show up here)."""
        time.sleep(seconds)
        assert self.processed.empty(), self.processed.get()
        assert self.refused.empty(), self.refused.get()


def load_recipe(framework: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"recipe_{framework}_{uuid.uuid4().hex}", RECIPES / FRAMEWORKS[framework])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def serve(framework: str, app: Any) -> Iterator[str]:
    if framework == "flask":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
    else:
        import uvicorn

        userver = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=userver.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 15
            while not userver.started:
                assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.01)
            port = userver.servers[0].sockets[0].getsockname()[1]
            yield f"http://127.0.0.1:{port}"
        finally:
            userver.should_exit = True
            thread.join(10)


@pytest.fixture(params=sorted(FRAMEWORKS))
def receiver(request: pytest.FixtureRequest, fast_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    # The recipe reads its key files from the working directory, as in the README.
    (tmp_path / "apiclient_key.pem").write_bytes((KEYS / "merchant_doc_pkcs8.pem").read_bytes())
    (tmp_path / "pub_key.pem").write_text(fast_sandbox.public_key)
    (tmp_path / "apiv3_key.txt").write_text(APIV3_KEY)
    monkeypatch.chdir(tmp_path)
    framework = request.param
    module = load_recipe(framework)
    with serve(framework, module.app) as url:
        recv = Receiver(framework, module, url)
        fast_sandbox.control("POST", f"/sandbox/merchants/{MCHID}/notify-url", {"notify_url": url + "/wxpay/notify"})
        try:
            yield recv
        finally:
            fast_sandbox.control("POST", f"/sandbox/merchants/{MCHID}/notify-url", {"notify_url": None})


def api_client(sandbox: Sandbox) -> wt.Client:
    return sandbox.client()


def records(sandbox: Sandbox) -> Dict[str, Dict[str, Any]]:
    return {r["id"]: r for r in sandbox.control("GET", "/sandbox/state")["records"]}


def products(sandbox: Sandbox) -> Dict[str, Any]:
    return dict(sandbox.control("GET", "/sandbox/notify-schedules")["products"])


def deliveries(sandbox: Sandbox, notification_id: str) -> List[Dict[str, Any]]:
    return [d for d in sandbox.control("GET", "/sandbox/notifications")["deliveries"] if d["notification_id"] == notification_id]


def wait_delivered(sandbox: Sandbox, notification_id: str, timeout: float = 15) -> Dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        states = [n for n in sandbox.control("GET", "/sandbox/notifications")["notifications"] if n["id"] == notification_id]
        if states and states[0]["state"] == "delivered":
            return states[0]
        assert time.monotonic() < deadline, states
        time.sleep(0.05)


def user_terminate(sandbox: Sandbox, record_id: str) -> Dict[str, Any]:
    answer: Dict[str, Any] = sandbox.control("POST", "/sandbox/contracts/terminate", {"contract": record_id, "mode": "USER_TERMINATE"})
    return answer


def test_every_product_terminated_through_the_api_is_processed_once(fast_sandbox: Sandbox, receiver: Receiver) -> None:
    client = api_client(fast_sandbox)
    state, product = records(fast_sandbox), products(fast_sandbox)
    for step in PLAN["terminations"]:
        record = state[step["record"]]
        req = getattr(client, step["operation"])(**step["params"])
        r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
        client.parse(req, r.status_code, r.headers, r.content)
        if record["collection"] not in product:  # password-exempt pay sends none
            continue
        n = receiver.next_processed()
        assert n["event_type"] == product[record["collection"]]["event_type"], step["operation"]
        assert_names_record(n, record)
        assert termination_mode(n) == API_MODE.get(n["event_type"]), n
    receiver.assert_quiet()


def test_user_initiated_terminations_arrive_with_the_user_mode(fast_sandbox: Sandbox, receiver: Receiver) -> None:
    product = products(fast_sandbox)
    chosen: Dict[str, Dict[str, Any]] = {}
    for record in records(fast_sandbox).values():  # the last effective record of each collection
        if record["owner"] == MCHID and record["state"] == "EFFECTIVE" and record["collection"] in product:
            chosen[record["collection"]] = record
    assert len(chosen) == len(product)
    for collection, record in chosen.items():
        answer = user_terminate(fast_sandbox, record["id"])
        assert answer["termination"]["mode"] in ("USER_TERMINATE", "USER_CLOSE", "TERMINATION_MODE_BY_USER")
        n = receiver.next_processed()
        assert n["id"] == answer["notification"]["id"]
        assert n["event_type"] == product[collection]["event_type"]
        assert_names_record(n, record)
        assert termination_mode(n) == USER_MODE.get(n["event_type"]), n
    receiver.assert_quiet()


def test_a_failing_handler_gets_the_notification_again(fast_sandbox: Sandbox, receiver: Receiver) -> None:
    real_record = receiver.module.record
    calls: List[str] = []

    def database_down_once(n: Any) -> bool:
        calls.append(n["id"])
        if len(calls) == 1:
            raise ConnectionError("database unavailable")
        return bool(real_record(n))

    receiver.module.record = database_down_once
    answer = user_terminate(fast_sandbox, "papay:12535:wxwtdk20200910100001")
    n = receiver.next_processed()
    assert n["id"] == answer["notification"]["id"] and calls == [n["id"], n["id"]]
    wait_delivered(fast_sandbox, n["id"])
    log = deliveries(fast_sandbox, n["id"])
    assert [(d["attempt"], d["status"], d["delivered"]) for d in log] == [(1, 500, False), (2, 200, True)]
    receiver.assert_quiet()


def test_a_duplicate_delivery_is_processed_once(fast_sandbox: Sandbox, receiver: Receiver) -> None:
    fast_sandbox.control("POST", "/sandbox/notify-faults", {"fault": "duplicate", "count": 1})
    answer = user_terminate(fast_sandbox, "credit_repayment:100001257")
    n = receiver.next_processed()
    assert n["id"] == answer["notification"]["id"]
    deadline = time.monotonic() + 10
    while len(deliveries(fast_sandbox, n["id"])) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    log = deliveries(fast_sandbox, n["id"])
    assert len(log) == 2 and all(d["status"] == 200 for d in log), log
    receiver.assert_quiet()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_delivery_is_refused_and_the_genuine_retry_processed(fast_sandbox: Sandbox, receiver: Receiver, fault: str) -> None:
    fast_sandbox.control("POST", "/sandbox/notify-faults", {"fault": fault, "count": 1})
    answer = user_terminate(fast_sandbox, "papay:12535:wxwtdk20200910100001")
    error = receiver.refused.get(timeout=15)
    assert type(error) is FAULTS[fault], repr(error)
    n = receiver.next_processed()
    assert n["id"] == answer["notification"]["id"]
    assert termination_mode(n) == "USER_TERMINATE"
    wait_delivered(fast_sandbox, n["id"])
    log = deliveries(fast_sandbox, n["id"])
    assert [(d["attempt"], d["fault"], d["status"]) for d in log] == [(1, fault, 500), (2, None, 200)], log
    receiver.assert_quiet()


@pytest.mark.parametrize("heading,framework", [("Notifications (Flask)", "flask"), ("Notifications (FastAPI)", "fastapi")])
def test_the_readme_shows_the_recipe_verbatim(heading: str, framework: str) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert block == (RECIPES / FRAMEWORKS[framework]).read_text(encoding="utf-8")
