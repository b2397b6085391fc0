#!/usr/bin/env python3
"""The Python soak client (tests/soak/run.py starts it): terminates every contract of
$SOAK_CONTRACTS with $SOAK_CONCURRENCY threads through wxpay_terminate.confirm, receives the
sandbox's termination notifications on its own notify_url (verifying, acknowledging and
de-duplicating them, and offering each to the contract it names), samples its resident memory,
and writes the summary run.py checks to $SOAK_OUT."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

import requests

import wxpay_terminate as wt
from wxpay_terminate._http import transport_errors
from wxpay_terminate.confirm import Done, Termination, Wait

env = os.environ
URL = env["SANDBOX_URL"]
TIMEOUT = int(env.get("SOAK_TIMEOUT_MS", "1000")) / 1000
client = wt.Client(
    mchid=env["SOAK_MCHID"], serial_no=env["SOAK_SERIAL_NO"],
    private_key=open(env["SOAK_PRIVATE_KEY_FILE"], "rb").read(),
    wechatpay_public_key_id=env["SOAK_PUBLIC_KEY_ID"], wechatpay_public_key=env["SOAK_PUBLIC_KEY"],
    apiv3_key=env["SOAK_APIV3_KEY"], base_url=URL, global_base_url=URL,
)
contracts: List[Dict[str, Any]] = json.loads(open(env["SOAK_CONTRACTS"], encoding="utf-8").read())
machines: Dict[str, Termination] = {}  # out_contract_code → its machine, while undecided
lock = threading.Lock()
seen_notifications: set = set()
notifications = {"received": 0, "unique": 0, "rejected": 0, "confirmed_a_contract": 0}
requests_sent = [0]
LOST = transport_errors()
POLICY = {"backoff_initial_ms": 100, "backoff_max_ms": 2000, "max_terminate_sends": 12, "max_query_sends": 12}


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            n = client.parse_notification(self.headers.items(), body)
            reply = wt.notification_ack()
        except wt.WxpayError:
            n = None
            reply = wt.notification_nack("verification failed")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
        with lock:
            notifications["received"] += 1
            if n is None:
                notifications["rejected"] += 1
                return
            if n["id"] in seen_notifications:
                return  # WeChat Pay re-delivers: acknowledged again, processed once
            seen_notifications.add(n["id"])
            notifications["unique"] += 1
            machine = machines.get(n["resource"].get("out_contract_code", ""))
        if machine is not None and machine.on_notification(n):
            with lock:
                notifications["confirmed_a_contract"] += 1

    def log_message(self, *args: Any) -> None:
        pass


local = threading.local()


def send(req: wt.Request[Any]) -> Any:
    session = getattr(local, "session", None)
    if session is None:
        session = local.session = requests.Session()
    with lock:
        requests_sent[0] += 1
    r = session.request(req.method, req.url, headers=req.headers, data=req.body, timeout=TIMEOUT)
    return r.status_code, r.headers, r.content


def terminate(contract: Dict[str, Any]) -> Dict[str, Any]:
    machine = Termination(contract["operation"], contract["params"], policy=POLICY)
    code = contract["params"]["out_contract_code"]
    with lock:
        machines[code] = machine
    while True:
        step = machine.next(client)
        if isinstance(step, Done):
            break
        if isinstance(step, Wait):
            time.sleep(max(0.0, (step.until_ms - time.time() * 1000) / 1000))
            continue
        try:
            status, headers, body = send(step.request)
        except LOST:
            machine.on_transport_error()
            continue
        machine.on_response(client, status, headers, body)
    with lock:
        machines.pop(code, None)
    outcome = step.outcome
    evidence = outcome.evidence
    return {"id": contract["id"], "kind": outcome.kind, "source": evidence.source if evidence else None,
            "request_id": evidence.request_id if evidence else None}


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    notify_url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    request = urllib.request.Request(f"{URL}/sandbox/merchants/{env['SOAK_MCHID']}/notify-url", method="POST",
                                     data=json.dumps({"notify_url": notify_url}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()

    samples: List[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append(rss_kb())

    threading.Thread(target=sample, daemon=True).start()
    started = time.monotonic()
    outcomes: List[Dict[str, Any]] = []
    start_rss = None
    with ThreadPoolExecutor(int(env.get("SOAK_CONCURRENCY", "16"))) as pool:
        for i, outcome in enumerate(pool.map(terminate, contracts)):
            outcomes.append(outcome)
            if start_rss is None and i >= len(contracts) // 10:
                start_rss = rss_kb()  # after warm-up: the first tenth
    time.sleep(1.5)  # the last notifications
    stop.set()
    end_rss = rss_kb()
    server.shutdown()
    summary = {
        "language": "python",
        "seconds": round(time.monotonic() - started, 1),
        "requests": requests_sent[0],
        "outcomes": outcomes,
        "notifications": notifications,
        "rss_kb": {"start": start_rss or end_rss, "end": end_rss, "max": max(samples or [end_rss])},
    }
    with open(env["SOAK_OUT"], "w", encoding="utf-8") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
