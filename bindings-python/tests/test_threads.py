"""RSA work runs without the GIL, so other Python threads make progress during it.

No timing is asserted: with the interpreter's switch interval raised far beyond the test's length,
the only way the waiting thread can run while the main thread is inside a loop of native calls is
that those calls release the GIL.
"""
from __future__ import annotations

import json
import sys
import threading
from typing import Callable, List

import wxpay_terminate as wt

from conftest import VECTORS, make_client

PAPAY = {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}


def test_signing_releases_the_gil(doc_client: wt.Client) -> None:
    def sign() -> None:
        doc_client.terminate_papay_contract(**PAPAY, timestamp=1700000000, nonce="N")

    assert_other_threads_run_during(sign)


def test_notification_verification_releases_the_gil() -> None:
    case = json.loads((VECTORS / "cases" / "notification" / "entrust_terminate_partner_pubkey.json").read_text(encoding="utf-8"))
    client = make_client(case["client"])
    headers, body = case["notification"]["headers"], case["notification"]["body"].encode("utf-8")

    def verify() -> None:
        client.parse_notification(headers, body, now=case["now"])

    assert_other_threads_run_during(verify)


def assert_other_threads_run_during(native_work: Callable[[], None]) -> None:
    go = threading.Event()
    ran: List[int] = []

    def other() -> None:
        go.wait()
        ran.append(1)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(60.0)
    thread = threading.Thread(target=other)
    thread.start()
    try:
        go.set()
        seen_during_native_work = False
        for _ in range(200):
            native_work()
            if ran:
                seen_during_native_work = True
                break
    finally:
        sys.setswitchinterval(previous)
        thread.join(timeout=30)
    assert seen_during_native_work, "another thread never ran while RSA work was in progress"


def test_a_client_is_safe_to_share_between_threads(doc_client: wt.Client) -> None:
    expected = doc_client.terminate_papay_contract(**PAPAY, timestamp=1700000000, nonce="N")
    results: List[wt.Request] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            r = doc_client.terminate_papay_contract(**PAPAY, timestamp=1700000000, nonce="N")
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 80
    assert all(r == expected for r in results)
