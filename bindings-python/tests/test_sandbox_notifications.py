"""Notifications and certificate downloads end to end: the sandbox (an independent WeChat Pay
stand-in) terminates a contract, signs and encrypts the notification and POSTs it to a loopback
receiver, which parses it with the package and answers with its ack. No web framework: the
receiver is the standard library's http.server.
"""
from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
import requests

import wxpay_terminate as wt

from conftest import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PLAN = json.loads((ROOT / "tests" / "sandbox" / "e2e_plan.json").read_text(encoding="utf-8"))
MERCHANTS = json.loads((ROOT / "tests" / "sandbox" / "merchants.json").read_text(encoding="utf-8"))["merchants"]


def plan_client(sandbox: Sandbox, **change: Any) -> wt.Client:
    m = PLAN["merchant"]
    apiv3_key = next(x["apiv3_key"] for x in MERCHANTS if x["mchid"] == m["mchid"])
    options: Dict[str, Any] = dict(
        mchid=m["mchid"],
        serial_no=m["serial_no"],
        private_key=ROOT / m["private_key"],
        wechatpay_public_key_id=m["wechatpay_public_key_id"],
        wechatpay_public_key=ROOT / m["wechatpay_public_key"],
        platform_certificates=[ROOT / p for p in m["platform_certificates"]],
        apiv3_key=apiv3_key,
        base_url=sandbox.url,
        global_base_url=sandbox.url,
    )
    options.update(change)
    return wt.Client(**options)


@pytest.fixture
def receiver(sandbox: Sandbox) -> Iterator[Tuple[wt.Client, "queue.Queue[Any]"]]:
    """A notify_url on loopback: every POST is parsed, acked (or nacked), and its result queued."""
    client = plan_client(sandbox)
    received: "queue.Queue[Any]" = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                received.put(client.parse_notification(self.headers.items(), body))
                reply = wt.notification_ack()
            except wt.WxpayError as e:
                received.put(e)
                reply = wt.notification_nack("verification failed")
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/wxpay/notify"
        sandbox.control("POST", f"/sandbox/merchants/{PLAN['merchant']['mchid']}/notify-url", {"notify_url": url})
        yield client, received
    finally:
        sandbox.control("POST", f"/sandbox/merchants/{PLAN['merchant']['mchid']}/notify-url", {"notify_url": None})
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("step", PLAN["terminations"], ids=[t["operation"] for t in PLAN["terminations"]])
def test_a_termination_notifies_and_the_notification_parses(
    sandbox: Sandbox, receiver: Tuple[wt.Client, "queue.Queue[Any]"], step: Dict[str, Any]
) -> None:
    client, received = receiver
    record = next(r for r in sandbox.control("GET", "/sandbox/state")["records"] if r["id"] == step["record"])
    product = sandbox.control("GET", "/sandbox/notify-schedules")["products"].get(record["collection"])
    req = getattr(client, step["operation"])(**step["params"])
    r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
    client.parse(req, r.status_code, r.headers, r.content)
    if product is None:  # password-exempt pay: no source documents a notification
        with pytest.raises(queue.Empty):
            received.get(timeout=1)
        return
    notification = received.get(timeout=15)
    assert not isinstance(notification, Exception), repr(notification)
    assert notification["event_type"] == product["event_type"]
    assert notification["event_type"] in wt.EVENT_TYPES  # typed, not generic
    assert notification["resource_type"] == "encrypt-resource"
    assert notification["resource"]


def test_an_untyped_event_comes_back_generic(sandbox: Sandbox, receiver: Tuple[wt.Client, "queue.Queue[Any]"]) -> None:
    _, received = receiver
    plaintext = {"mchid": PLAN["merchant"]["mchid"], "contract_id": "C1", "extra": {"nested": [1, "二"]}}
    sandbox.control("POST", "/sandbox/notifications/send",
                    {"mchid": PLAN["merchant"]["mchid"], "event_type": "ENTRUST.SIGN", "plaintext": plaintext})
    notification = received.get(timeout=15)
    assert not isinstance(notification, Exception), repr(notification)
    assert notification["event_type"] == "ENTRUST.SIGN" and notification["resource"] == plaintext


def test_certificate_download_and_rotation(sandbox: Sandbox) -> None:
    client = plan_client(sandbox)
    assert client.certificates_refresh_due()
    req = client.certificates_request()
    r = requests.request(req.method, req.url, headers=req.headers, timeout=10)
    certificates = client.parse_certificates(r.status_code, r.headers, r.content)
    listed = {c["serial_no"] for c in sandbox.control("GET", "/sandbox/certificates")["listed"]}
    assert {c["serial_no"] for c in certificates["certificates"]} == listed
    client.update_certificates(certificates)
    assert not client.certificates_refresh_due()
    # WeChat Pay lists a new certificate and signs with it: one download later it verifies.
    rotated = sandbox.control("POST", "/sandbox/certificates/rotate")
    new_serial = next(c["serial_no"] for c in rotated["listed"] if c["serial_no"] not in listed)
    req = client.certificates_request()
    r = requests.request(req.method, req.url, headers=req.headers, timeout=10)
    client.update_certificates(client.parse_certificates(r.status_code, r.headers, r.content))
    assert new_serial in dict(client.certificates)
