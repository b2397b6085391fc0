"""Shared helpers: the vector set lives at the repository root, found relative to this file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import wxpay_terminate as wt

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
KEYS = VECTORS / "keys"
#: tests/vectors/manifest.json: every vector file with its SHA-256 (tests/vectors/manifest.py).
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))

# ---- every vector runs: a skip of any kind is a failure, and so is a run of fewer vectors ---------

_VECTOR_TEST = "test_vectors.py::test_vector"
_vectors_passed = 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    global _vectors_passed
    outcome = yield
    report = outcome.get_result()
    if not item.nodeid.split("[")[0].endswith(_VECTOR_TEST):
        return
    if report.skipped:
        # skip marks, skipif, pytest.skip() in the test body or a fixture: all the same here.
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} was skipped: every vector must run"
    elif report.when == "call" and report.passed:
        _vectors_passed += 1


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """With no -k/deselection, the vector tests must have run every case the manifest lists."""
    ran_vectors = any(item.nodeid.split("[")[0].endswith(_VECTOR_TEST) for item in session.items)
    filtered = bool(session.config.option.keyword or session.config.option.deselect or session.config.option.markexpr)
    if ran_vectors and not filtered and exitstatus == 0 and _vectors_passed != MANIFEST["cases"]:
        session.exitstatus = 1
        print(f"\nvector suite ran {_vectors_passed} of the {MANIFEST['cases']} cases tests/vectors/manifest.json lists")


def key_text(name: str) -> str:
    return (KEYS / name).read_text()


def client_kwargs(config: Dict[str, Any]) -> Dict[str, Any]:
    """clients.json shape → wt.Client keyword arguments (key files read as text)."""
    kwargs: Dict[str, Any] = {"mchid": config.get("mchid"), "serial_no": config.get("serial_no")}
    if config.get("private_key"):
        kwargs["private_key"] = key_text(config["private_key"])
    elif "private_key_text" in config:
        kwargs["private_key"] = config["private_key_text"]
    if config.get("wechatpay_public_key_id"):
        kwargs["wechatpay_public_key_id"] = config["wechatpay_public_key_id"]
    if config.get("wechatpay_public_key"):
        kwargs["wechatpay_public_key"] = key_text(config["wechatpay_public_key"])
    kwargs["platform_certificates"] = [key_text(name) for name in config.get("platform_certificates") or []]
    for name in ("base_url", "global_base_url", "apiv3_key"):
        if config.get(name):
            kwargs[name] = config[name]
    return kwargs


CLIENTS = json.loads((VECTORS / "clients.json").read_text())


def make_client(name: str) -> wt.Client:
    return wt.Client(**client_kwargs(CLIENTS[name]))


@pytest.fixture
def doc_client() -> wt.Client:
    return make_client("doc_pubkey")


ROOT_DIR = Path(__file__).resolve().parents[2]
SANDBOX = ROOT_DIR / "tests" / "sandbox"


class Sandbox:
    """The local WeChat Pay sandbox (tests/sandbox/server.py) in a child process."""

    def __init__(self, url: str, process: Any) -> None:
        self.url = url
        self.process = process
        self.public_key_id = "PUB_KEY_ID_0119000072912025112400000000000099"
        self.public_key = (SANDBOX / "keys" / "wechatpay_public_key.pem").read_text()
        self.platform_cert = (SANDBOX / "keys" / "platform_cert.pem").read_text()

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        import urllib.request

        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def state(self, record_id: str) -> str:
        records = self.control("GET", "/sandbox/state")["records"]
        return next(r["state"] for r in records if r["id"] == record_id)

    def client(self, **change: Any) -> wt.Client:
        kwargs: Dict[str, Any] = dict(
            mchid="1900007291",
            serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
            private_key=key_text("merchant_doc_pkcs8.pem"),
            wechatpay_public_key_id=self.public_key_id,
            wechatpay_public_key=self.public_key,
            base_url=self.url,
            global_base_url=self.url,
        )
        kwargs.update(change)
        return wt.Client(**kwargs)


def start_sandbox(*args: str) -> Iterator[Sandbox]:
    """tests/sandbox/server.py on a free loopback port with ``args``; stopped afterwards."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, str(SANDBOX / "server.py"), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("SANDBOX_URL="):
            raise RuntimeError(f"sandbox did not start: {line!r}")
        yield Sandbox(line.strip().split("=", 1)[1], process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    yield from start_sandbox()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.control("POST", "/sandbox/reset")
    return sandbox_server


@pytest.fixture(scope="session")
def fast_sandbox_server() -> Iterator[Sandbox]:
    """Notification retries 1000 times faster (WeChat Pay's 15 s → 15 ms)."""
    yield from start_sandbox("--notify-time-scale", "0.001", "--notify-timeout", "3")


@pytest.fixture
def fast_sandbox(fast_sandbox_server: Sandbox) -> Sandbox:
    fast_sandbox_server.control("POST", "/sandbox/reset")
    return fast_sandbox_server
