"""The quick starts of bindings-python/README.md, run as written against the local sandbox.

Only the network destination changes: requests and httpx are pointed from
api.mch.weixin.qq.com to the sandbox, which checks every signature like WeChat Pay does.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest
import requests

from conftest import KEYS, Sandbox

README = Path(__file__).resolve().parents[1] / "README.md"
PRODUCTION = "https://api.mch.weixin.qq.com"


def snippet(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under {heading!r}"
    return match.group(1)


@pytest.fixture
def sent(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Runs the test in a directory holding the README's key files; returns what was sent and printed."""
    (tmp_path / "apiclient_key.pem").write_bytes((KEYS / "merchant_doc_pkcs8.pem").read_bytes())
    (tmp_path / "pub_key.pem").write_text(sandbox.public_key)
    monkeypatch.chdir(tmp_path)
    sent: List[Any] = []

    real_request = requests.request

    def to_sandbox(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(url)
        return real_request(method, url.replace(PRODUCTION, sandbox.url), **kwargs)

    monkeypatch.setattr(requests, "request", to_sandbox)
    real_send = httpx.AsyncClient.send

    async def send_to_sandbox(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        sent.append(str(request.url))
        request.url = httpx.URL(str(request.url).replace(PRODUCTION, sandbox.url))
        return await real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", send_to_sandbox)
    monkeypatch.setattr("builtins.print", lambda *args, **kwargs: sent.append(args))
    return sent


def test_requests_quick_start(sent: List[Any], sandbox: Sandbox) -> None:
    record = "papay:12535:wxwtdk20200910100000"
    assert sandbox.state(record) == "EFFECTIVE"
    namespace: Dict[str, Any] = {"__name__": "readme"}
    exec(compile(snippet("Quick start (requests)"), "README.md", "exec"), namespace)
    assert sandbox.state(record) == "TERMINATED"
    assert namespace["result"].data["contract_state"] == "TERMINATED"
    assert namespace["result"].request_id
    assert sent[0].startswith(PRODUCTION + "/v3/papay/sign/contracts/plan-id/12535/")
    assert sent[-1] == ("TERMINATED", namespace["result"].request_id)


def test_httpx_async_quick_start(sent: List[Any], sandbox: Sandbox) -> None:
    record = "eduschoolpay:2045011120563805041758214605"
    assert sandbox.state(record) == "EFFECTIVE"
    exec(compile(snippet("Quick start (httpx, async)"), "README.md", "exec"), {"__name__": "readme"})
    assert sandbox.state(record) == "TERMINATED"
    assert sent[0] == PRODUCTION + "/v3/eduschoolpay/contracts/2045011120563805041758214605/terminate"


def test_flask_notification_quick_start_uses_the_package_names() -> None:
    """Served and fed real notifications in test_recipes.py; here: the names the text refers to."""
    code = snippet("Notifications (Flask)")
    compile(code, "README.md", "exec")
    for name in ("parse_notification", "request.get_data()", "notification_ack", "notification_nack", "is_event"):
        assert name in code
