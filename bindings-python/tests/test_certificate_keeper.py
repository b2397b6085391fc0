"""wxpay_terminate.certificates.CertificateKeeper against the sandbox: the first download, a
rotation met by the next response and the next notification (one download, the same bytes
verified again, nothing resent), the throttle on forged serials, and each HTTP client."""
from __future__ import annotations

import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

import wxpay_terminate as wt
from wxpay_terminate.certificates import CertificateKeeper, default_send

from conftest import KEYS, Sandbox, key_text

MCHID = "1900007291"
APIV3_KEY = "wxpayTerminateSandboxApiV3Key001"
INITIAL_SERIAL = "3C5E2E7D9A1B4F6081C2D3E4F5A6B7C8D9E0F1A2"


def certificate_client(sandbox: Sandbox) -> wt.Client:
    """Platform-certificate mode, but holding none of the sandbox's: only an unrelated one."""
    return wt.Client(
        mchid=MCHID,
        serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        private_key=(KEYS / "merchant_doc_pkcs8.pem").read_bytes(),
        platform_certificates=[key_text("platform_cert_a.pem")],
        apiv3_key=APIV3_KEY,
        base_url=sandbox.url,
        global_base_url=sandbox.url,
    )


def api_log(sandbox: Sandbox) -> List[Dict[str, Any]]:
    return list(sandbox.control("GET", "/sandbox/log")["requests"])


def assert_each_termination_sent_once(sandbox: Sandbox, count: int) -> None:
    terminations = [e for e in api_log(sandbox) if e["operation"] != "download_certificates"]
    assert len(terminations) == count, terminations
    assert len({e["path"] for e in terminations}) == count, terminations
    assert len({e["nonce"] for e in terminations}) == count, terminations


def downloads(sandbox: Sandbox) -> int:
    return sum(e["operation"] == "download_certificates" for e in api_log(sandbox))


@pytest.fixture
def notifications(sandbox: Sandbox) -> Iterator[Tuple["queue.Queue[Any]", List[CertificateKeeper]]]:
    """A notify_url whose handler verifies through the keeper put in the list."""
    keepers: List[CertificateKeeper] = []
    received: "queue.Queue[Any]" = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                received.put(keepers[0].parse_notification(self.headers.items(), body))
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
        url = f"http://127.0.0.1:{server.server_address[1]}/notify"
        sandbox.control("POST", f"/sandbox/merchants/{MCHID}/notify-url", {"notify_url": url})
        sandbox.control("POST", f"/sandbox/merchants/{MCHID}/notify-signer", {"notify_signer": "platform_certificate"})
        yield received, keepers
    finally:
        sandbox.control("POST", f"/sandbox/merchants/{MCHID}/notify-url", {"notify_url": None})
        server.shutdown()
        server.server_close()


def test_first_download_then_a_rotation_costs_one_download_and_no_resend(
    sandbox: Sandbox, notifications: Tuple["queue.Queue[Any]", List[CertificateKeeper]]
) -> None:
    received, keepers = notifications
    client = certificate_client(sandbox)
    sent: List[str] = []
    send = default_send()

    def counting_send(req: wt.Request[Any]) -> Tuple[int, Any, bytes]:
        sent.append(req.url)
        return send(req)

    keeper = CertificateKeeper(client, counting_send)
    keepers.append(keeper)
    # 1. Nothing usable yet: the first download is due and needs no certificate in advance.
    assert client.certificates_refresh_due()
    assert keeper.refresh_if_due() and keeper.downloads == 1
    assert [serial for serial, _ in client.certificates] == [INITIAL_SERIAL]
    assert not keeper.refresh_if_due()

    # 2. A termination and its notification, both signed by the initial certificate.
    req = client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000", contract_termination_remark="用户解约")
    r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
    assert r.headers["Wechatpay-Serial"] == INITIAL_SERIAL
    assert keeper.parse(req, r.status_code, r.headers, r.content).data["contract_state"] == "TERMINATED"
    n = received.get(timeout=15)
    assert not isinstance(n, Exception), repr(n)
    assert n["resource"]["out_contract_code"] == "wxwtdk20200910100000"
    assert keeper.downloads == 1

    # 3. WeChat Pay lists a new certificate and signs with it.
    sandbox.control("POST", "/sandbox/certificates/rotate")
    new_serial = sandbox.control("POST", "/sandbox/certificates/activate")["signer"]
    assert new_serial != INITIAL_SERIAL
    req = client.terminate_credit_repayment_contract(out_contract_code="100001256", contract_termination_remark="用户申请解约")
    r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
    assert r.headers["Wechatpay-Serial"] == new_serial
    with pytest.raises(wt.UnknownSerialError):  # not yet known to the client ...
        client.parse(req, r.status_code, r.headers, r.content)
    result = keeper.parse(req, r.status_code, r.headers, r.content)  # ... so: download once, same bytes again
    assert result.data["contract_info"]["contract_state"] == "CONTRACT_STATE_TERMINATED"
    n = received.get(timeout=15)  # the notification, signed by the new certificate too
    assert not isinstance(n, Exception), repr(n)
    assert n["event_type"] == "CREDIT_REPAYMENT.TERMINATE_CONTRACT" and n["resource"]["out_contract_code"] == "100001256"
    assert new_serial in dict(client.certificates)

    # 4. Exactly two downloads (first, rotation) and each termination sent once.
    assert keeper.downloads == 2 and downloads(sandbox) == 2 and len(sent) == 2
    assert_each_termination_sent_once(sandbox, 2)
    assert received.empty()


def test_a_notification_first_meets_the_rotation(
    sandbox: Sandbox, notifications: Tuple["queue.Queue[Any]", List[CertificateKeeper]]
) -> None:
    received, keepers = notifications
    client = certificate_client(sandbox)
    keeper = CertificateKeeper(client)
    keepers.append(keeper)
    keeper.refresh()
    sandbox.control("POST", "/sandbox/certificates/rotate")
    new_serial = sandbox.control("POST", "/sandbox/certificates/activate")["signer"]
    sandbox.control("POST", "/sandbox/contracts/terminate", {"contract": "papay:12535:wxwtdk20200910100001", "mode": "USER_TERMINATE"})
    n = received.get(timeout=15)
    assert not isinstance(n, Exception), repr(n)
    assert n["resource"]["contract_terminate_info"]["contract_termination_mode"] == "USER_TERMINATE"
    assert new_serial in dict(client.certificates)
    # Then the next response is signed by the certificate the notification brought in: no download.
    req = client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000", contract_termination_remark="用户解约")
    r = requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)
    assert r.headers["Wechatpay-Serial"] == new_serial
    keeper.parse(req, r.status_code, r.headers, r.content)
    assert keeper.downloads == 2 and downloads(sandbox) == 2
    assert_each_termination_sent_once(sandbox, 1)
    # Exactly one delivery: the first attempt verified after the download.
    deliveries = sandbox.control("GET", "/sandbox/notifications")["deliveries"]
    assert [d["status"] for d in deliveries if d["notification_id"] == n["id"]] == [200]


def test_a_forged_serial_costs_at_most_one_download_a_minute(sandbox: Sandbox) -> None:
    client = certificate_client(sandbox)
    keeper = CertificateKeeper(client)
    keeper.refresh()
    for out_contract_code in ("wxwtdk20200910100000", "wxwtdk20200910100001"):
        req = client.terminate_papay_contract(plan_id=12535, out_contract_code=out_contract_code, contract_termination_remark="用户解约")
        r = requests.request(req.method, req.url, headers={**req.headers, "X-Sandbox-Fault": "unknown_serial"}, data=req.body, timeout=10)
        with pytest.raises(wt.UnknownSerialError) as info:
            keeper.parse(req, r.status_code, r.headers, r.content)
        assert info.value.serial == "7D5E1A0C3B2F4E6D8C9A0B1C2D3E4F5A6B7C8D9E"
    # The first forged serial: one download (it might have been a rotation); the second: none.
    assert keeper.downloads == 2 and downloads(sandbox) == 2
    assert_each_termination_sent_once(sandbox, 2)


@pytest.mark.parametrize("library", ["requests", "httpx", "urllib"])
def test_default_send_uses_what_is_installed(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    hidden = {"requests": [], "httpx": ["requests"], "urllib": ["requests", "httpx"]}[library]
    for name in hidden:
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    send = default_send(timeout=5)
    assert library in send.__name__
    client = certificate_client(sandbox)
    certificates = CertificateKeeper(client, send).refresh()
    assert [c["serial_no"] for c in certificates["certificates"]] == [INITIAL_SERIAL]
    # An error answer comes back as an answer, not an exception of the HTTP library.
    sandbox.control("POST", f"/sandbox/merchants/{MCHID}/certificate-mode", {"certificate_mode": "public_key_only"})
    with pytest.raises(wt.ApiError) as info:
        CertificateKeeper(client, send).refresh()
    assert info.value.status == 404 and info.value.code == "RESOURCE_NOT_EXISTS"


def test_the_timer_downloads_when_due(sandbox: Sandbox) -> None:
    client = certificate_client(sandbox)
    updates: "queue.Queue[wt.CertificateSet]" = queue.Queue()
    keeper = CertificateKeeper(client, on_update=updates.put).start(interval=0.05)
    try:
        assert updates.get(timeout=10)["certificates"][0]["serial_no"] == INITIAL_SERIAL
    finally:
        keeper.stop()
    assert keeper.downloads == 1 and downloads(sandbox) == 1


def test_the_readme_snippet_uses_these_names() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Keeping them current: `CertificateKeeper`\n", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    compile(block, "README.md", "exec")
    for name in ("CertificateKeeper(client", "keeper.start()", "keeper.parse(req", "keeper.parse_notification("):
        assert name in block
    for name in ("start", "parse", "parse_notification", "refresh", "refresh_if_due", "verify_with_refresh"):
        assert callable(getattr(CertificateKeeper, name))
