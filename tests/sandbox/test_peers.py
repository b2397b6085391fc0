"""The sandbox against the peer SDKs: wechatpayv3 (PyPI) and wechatpay-axios-plugin (npm).

Each peer is installed once, from its registry, at the version the repository's benchmark
uses, into a cache under target/sandbox-peers/ named by version (a fresh virtualenv for
wechatpayv3; `npm install --prefix` for the plugin), and reused by later runs. The peers run
in their own processes (peers/wechatpayv3_terminate.py, peers/axios_plugin_terminate.js) pointed
at the sandbox's base URL with the merchant 1900007291 of merchants.json (the official doc test
key, tests/vectors/keys/merchant_doc_pkcs8.pem) and the sandbox's committed keys. Each
terminates a papay contract through the SDK's own request path and reports what its
verification did; the tests check the answer the SDK returned, that its RSA check really ran
and passed, that /sandbox/state and /sandbox/log show the termination, and that the SDK rejects
each answer the signature faults spoil (armed with POST /sandbox/faults, so no SDK needs to send
a custom header).

Needs PyPI and npm for the first installs (marker `peers`; deselect with -m 'not peers');
skipped when `node`/`npm` are not on PATH. Every process has a timeout; the sandbox is stopped
in a `finally` (killed if it does not exit within 10 s).

Run: python3 -m pytest tests/sandbox/test_peers.py -q
"""

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import pytest
from cryptography import x509

pytestmark = pytest.mark.peers

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SERVER = HERE / "server.py"
PEERS = HERE / "peers"
CACHE = Path(os.environ.get("WXPAY_SANDBOX_PEERS_DIR") or REPO / "target" / "sandbox-peers")
TIMEOUT = 10  # seconds, for every request and every wait on the server process
SCRIPT_TIMEOUT = 60
INSTALL_TIMEOUT = 600

WECHATPAYV3 = "2.0.4"  # as in the Makefile's `bench` target
AXIOS_PLUGIN = "0.9.6"

PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000099"
PLATFORM_SERIAL = format(x509.load_pem_x509_certificate((HERE / "keys" / "platform_cert.pem").read_bytes())
                         .serial_number, "X")
PLAN = 12535
PY_CODE = "wxwtdk20200910100000"  # papay:12535:wxwtdk20200910100000, 1900007291's
JS_CODE = "wxwtdk20200910100001"
REMARK = "用户申请解约"
PATH = "/v3/papay/sign/contracts/plan-id/{plan}/out-contract-code/{code}/terminate"
SIGNATURE_FAULTS = ("probe", "bad_signature", "skew", "missing_headers", "unknown_serial", "tampered_body",
                    "truncated_body")

# ---------------------------------------------------------------------------
# The peers, installed once into target/sandbox-peers/<name>-<version>/
# ---------------------------------------------------------------------------


def _run(cmd: List[str], **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=INSTALL_TIMEOUT, **kw)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout[-3000:]}"
    return result


def _cached(name: str, build: Callable[[Path], None], check: Callable[[Path], bool]) -> Path:
    """CACHE/name, built by `build` into a scratch folder then renamed, unless a complete one is there."""
    final = CACHE / name
    if (final / ".complete").is_file() and check(final):
        return final
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = CACHE / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        build(scratch)
        assert check(scratch), f"{name}: the fresh install does not work"
        (scratch / ".complete").write_text(name + "\n")
        shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(scratch, final)
        except OSError:  # another run finished the same install first
            if not ((final / ".complete").is_file() and check(final)):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def _quiet(cmd: List[str], **kw) -> bool:
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                              **kw).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def wechatpayv3_python() -> Path:
    """The interpreter of a virtualenv holding wechatpayv3==2.0.4 (and only its dependencies)."""
    def build(root: Path) -> None:
        _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
        _run([sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "--quiet",
              "--disable-pip-version-check", f"wechatpayv3=={WECHATPAYV3}"])

    def check(root: Path) -> bool:
        return _quiet([str(root / "bin" / "python"), "-c",
                       f"import wechatpayv3, sys; sys.exit(wechatpayv3.__version__ != {WECHATPAYV3!r})"])

    # A virtualenv belongs to one Python: the cache is named by its version too.
    root = _cached(f"wechatpayv3-{WECHATPAYV3}-py{sys.version_info[0]}.{sys.version_info[1]}", build, check)
    return root / "bin" / "python"


@pytest.fixture(scope="session")
def axios_plugin() -> Path:
    """A node_modules folder holding wechatpay-axios-plugin@0.9.6 (for NODE_PATH)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("node and npm are needed for wechatpay-axios-plugin")

    def build(root: Path) -> None:
        root.mkdir(parents=True)
        _run([npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--loglevel=error",
              f"wechatpay-axios-plugin@{AXIOS_PLUGIN}"])

    def check(root: Path) -> bool:
        probe = (f"process.exit(require('wechatpay-axios-plugin/package.json').version === "
                 f"{json.dumps(AXIOS_PLUGIN)} ? 0 : 1)")
        return _quiet([node, "-e", probe], env={**os.environ, "NODE_PATH": str(root / "node_modules")})

    return _cached(f"wechatpay-axios-plugin-{AXIOS_PLUGIN}", build, check) / "node_modules"


# ---------------------------------------------------------------------------
# The sandbox (as test_sandbox.py starts it: server.py on port 0, committed keys)
# ---------------------------------------------------------------------------


@dataclass
class Sandbox:
    proc: subprocess.Popen
    url: str
    stderr: object


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:  # bounded by the deadline
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise TimeoutError("the sandbox printed no SANDBOX_URL line in time")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"the sandbox exited early with {proc.poll()}")
            buf += chunk
    return buf.split(b"\n", 1)[0].decode()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="session")
def server():
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0"], stdout=subprocess.PIPE, stderr=stderr)
    try:
        line = _read_line(proc, TIMEOUT)
        assert re.fullmatch(r"SANDBOX_URL=http://127\.0\.0\.1:\d+", line), line
        yield Sandbox(proc, line.split("=", 1)[1], stderr)
        stderr.seek(0)
        log = stderr.read().decode("utf-8", "replace")
        assert "internal error" not in log and "Traceback" not in log, log[-2000:]
    finally:
        _stop(proc)
        stderr.close()


def control(method: str, url: str, body: Optional[dict] = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.loads(r.read().decode("utf-8"))


@pytest.fixture
def base(server) -> str:
    """The base URL of a freshly re-seeded sandbox (reset also clears faults, log and modes)."""
    assert control("POST", server.url + "/sandbox/reset")["reset"] is True
    return server.url


def record(base: str, code: str) -> dict:
    (rec,) = [r for r in control("GET", base + "/sandbox/state")["records"] if r["id"] == f"papay:{PLAN}:{code}"]
    return rec


def log(base: str) -> List[dict]:
    return control("GET", base + "/sandbox/log")["requests"]


def arm(base: str, fault: str) -> None:
    assert control("POST", base + "/sandbox/faults", {"fault": fault, "count": 1})["remaining"] == 1


def public_key_only(base: str) -> None:
    got = control("POST", base + "/sandbox/merchants/1900007291/certificate-mode",
                  {"certificate_mode": "public_key_only"})
    assert got["certificate_mode"] == "public_key_only"


def run_peer(cmd: List[str], env: Optional[dict] = None) -> dict:
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            timeout=SCRIPT_TIMEOUT, env=env)
    assert result.returncode == 0, f"{cmd[:2]} failed ({result.returncode}):\n{result.stderr[-3000:]}"
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    return json.loads(lines[-1])


def assert_terminated(base: str, code: str, fault: Optional[str] = None, downloads: int = 0) -> None:
    """The sandbox terminated the contract by the API, once, and logged the request (with `fault`)."""
    rec = record(base, code)
    assert rec["state"] == "TERMINATED"
    assert rec["termination"]["mode"] == "MCH_API_TERMINATE" and rec["termination"]["remark"] == REMARK
    entries = log(base)
    terminations = [e for e in entries if e["operation"] == "terminate_papay_contract"]
    assert [(e["path"], e["mchid"], e["status"], e["fault"]) for e in terminations] == [
        (PATH.format(plan=PLAN, code=code), "1900007291", 200, fault)]
    assert [e["operation"] for e in entries].count("download_certificates") == downloads
    assert len(entries) == 1 + downloads


def assert_answer(body: dict, code: str) -> None:
    assert body["mchid"] == "1900007291" and body["plan_id"] == PLAN and body["out_contract_code"] == code
    assert body["contract_state"] == "TERMINATED"
    info = body["contract_terminate_info"]
    assert info["contract_termination_mode"] == "MCH_API_TERMINATE" and info["contract_termination_remark"] == REMARK


# ---------------------------------------------------------------------------
# wechatpayv3 (Python)
# ---------------------------------------------------------------------------


def wechatpayv3(python: Path, base: str, mode: str, tmp_path: Path, code: str = PY_CODE) -> dict:
    # Platform-certificate mode reads the certificate from cert_dir (and the SDK writes every
    # certificate it downloads there): a scratch copy, never keys/.
    cert_dir = tmp_path / "wechatpayv3-certs"
    cert_dir.mkdir(exist_ok=True)
    shutil.copy2(HERE / "keys" / "platform_cert.pem", cert_dir / "platform_cert.pem")
    report = run_peer([str(python), str(PEERS / "wechatpayv3_terminate.py"),
                       json.dumps({"base": base, "mode": mode, "code": code, "plan": PLAN, "remark": REMARK,
                                   "cert_dir": str(cert_dir)})])
    assert report["sdk"] == f"wechatpayv3 {WECHATPAYV3}" and report["mode"] == mode
    return report


@pytest.mark.parametrize("mode", ["public_key", "platform"])
def test_wechatpayv3_terminates_and_verifies_the_answer(wechatpayv3_python, base, mode, tmp_path):
    report = wechatpayv3(wechatpayv3_python, base, mode, tmp_path)
    assert report["outcome"] == "ok" and report["status"] == 200, report
    assert_answer(json.loads(report["body"]), PY_CODE)
    # It verified the signed answer: one check, of the key the answer named, and it passed.
    # With the public key it sends `Wechatpay-Serial: PUB_KEY_ID_…`, so the public key signs;
    # with platform certificates only it sends none, so the platform certificate signs.
    signer = PUB_KEY_ID if mode == "public_key" else PLATFORM_SERIAL
    assert report["verifications"] == [{"serial": signer, "result": True}]
    assert report["rsa_checks"] == [True]
    assert report["requests"] == ["POST " + base + PATH.format(plan=PLAN, code=PY_CODE)]
    assert_terminated(base, PY_CODE)


# What wechatpayv3 2.0.4 does with each spoiled answer (the termination happened every time).
WECHATPAYV3_FAULTS = {
    "probe": "rejected",
    "bad_signature": "rejected",
    "skew": "ok",  # it never reads the clock: an answer 600 s old verifies
    "missing_headers": "rejected",  # "does not support this algorithm: " (no Wechatpay-Signature-Type)
    "unknown_serial": "rejected",  # after downloading /v3/certificates to look for the serial
    "tampered_body": "rejected",
    "truncated_body": "rejected",
}


# Every fault in the SDK's public-key mode; in platform-certificate mode the two whose handling
# depends on the mode's key lookup (one process per case keeps the cases independent; this
# keeps their number down).
WECHATPAYV3_CASES = [("public_key", f) for f in SIGNATURE_FAULTS] + [("platform", "bad_signature"),
                                                                    ("platform", "unknown_serial")]


@pytest.mark.parametrize("mode,fault", WECHATPAYV3_CASES)
def test_wechatpayv3_rejects_spoiled_answers(wechatpayv3_python, base, mode, fault, tmp_path):
    arm(base, fault)
    report = wechatpayv3(wechatpayv3_python, base, mode, tmp_path)
    assert report["outcome"] == WECHATPAYV3_FAULTS[fault], report
    assert len(report["verifications"]) == 1  # its verification ran, on the one answer
    signer = PUB_KEY_ID if mode == "public_key" else PLATFORM_SERIAL
    if fault in ("probe", "bad_signature", "tampered_body", "truncated_body"):
        assert report["verifications"] == [{"serial": signer, "result": False}]
        assert report["rsa_checks"] == [False]
        assert report["error"] == "Exception: failed to verify the signature"
    elif fault == "skew":
        assert report["verifications"] == [{"serial": signer, "result": True}] and report["rsa_checks"] == [True]
        assert_answer(json.loads(report["body"]), PY_CODE)
    elif fault == "missing_headers":
        assert report["rsa_checks"] == [] and "does not support this algorithm" in report["error"]
    elif fault == "unknown_serial":
        # An unknown serial sends it to GET /v3/certificates (unverified: skip_verify) — also in
        # public-key mode, where the PUB_KEY_ID_… then fails to parse as a hex serial.
        assert report["rsa_checks"] == []
        assert report["requests"][1:] == ["GET " + base + "/v3/certificates"]
        if mode == "public_key":
            assert report["error"].startswith("ValueError: invalid literal for int() with base 16")
        else:
            assert report["verifications"][0]["result"] is False
            assert report["error"] == "Exception: failed to verify the signature"
            # The download went into cert_dir (the certificate it already had, under its serial).
            assert (tmp_path / "wechatpayv3-certs" / f"{PLATFORM_SERIAL}.pem").is_file()
    assert_terminated(base, PY_CODE, fault=fault, downloads=1 if fault == "unknown_serial" else 0)


def test_wechatpayv3_public_key_mode_downloads_a_certificate_it_was_not_given(wechatpayv3_python, base, tmp_path):
    # certificates_only: the answer is signed by the platform certificate although the request
    # named PUB_KEY_ID_…; the SDK fetches GET /v3/certificates (unverified, skip_verify=True:
    # only the AES-GCM decryption with the APIv3 key vouches for it) and verifies with that.
    got = control("POST", base + "/sandbox/merchants/1900007291/certificate-mode",
                  {"certificate_mode": "certificates_only"})
    assert got["certificate_mode"] == "certificates_only"
    report = wechatpayv3(wechatpayv3_python, base, "public_key", tmp_path)
    assert report["outcome"] == "ok" and report["status"] == 200, report
    assert report["verifications"] == [{"serial": PLATFORM_SERIAL, "result": True}]
    assert report["rsa_checks"] == [True]
    assert report["requests"][1:] == ["GET " + base + "/v3/certificates"]
    assert_terminated(base, PY_CODE, downloads=1)


def test_wechatpayv3_returns_error_answers_unverified(wechatpayv3_python, base, tmp_path):
    arm(base, "system_error")
    report = wechatpayv3(wechatpayv3_python, base, "public_key", tmp_path)
    assert report["outcome"] == "error" and report["status"] == 500, report  # returned, not raised
    assert json.loads(report["body"])["code"] == "SYSTEM_ERROR"
    assert report["verifications"] == [] and report["rsa_checks"] == []
    assert record(base, PY_CODE)["state"] == "EFFECTIVE"


# ---------------------------------------------------------------------------
# wechatpay-axios-plugin (Node)
# ---------------------------------------------------------------------------


def axios(node_modules: Path, base: str, mode: str, code: str = JS_CODE) -> dict:
    report = run_peer(["node", str(PEERS / "axios_plugin_terminate.js"),
                       json.dumps({"base": base, "mode": mode, "code": code, "plan": PLAN, "remark": REMARK,
                                   "platform_serial": PLATFORM_SERIAL})],
                      env={**os.environ, "NODE_PATH": str(node_modules)})
    assert report["sdk"] == f"wechatpay-axios-plugin {AXIOS_PLUGIN}" and report["mode"] == mode
    return report


@pytest.mark.parametrize("mode", ["platform", "public_key", "both"])
def test_axios_plugin_terminates_and_verifies_the_answer(axios_plugin, base, mode):
    if mode == "public_key":
        public_key_only(base)  # the plugin sends no Wechatpay-Serial: only this mode signs with the public key
    report = axios(axios_plugin, base, mode)
    assert report["outcome"] == "ok" and report["status"] == 200, report
    assert_answer(report["body"], JS_CODE)
    assert report["rsa_checks"] == [True]  # it verified the answer, once, and it passed
    assert_terminated(base, JS_CODE)


AXIOS_PLUGIN_FAULTS = {  # the plugin's error code for each spoiled answer
    "probe": "EV3_RES_HEADER_SIGNATURE_DIGEST",
    "bad_signature": "EV3_RES_HEADER_SIGNATURE_DIGEST",
    "skew": "EV3_RES_HEADER_TIMESTAMP_OFFSET",  # ± 300 s, checked before the signature
    "missing_headers": "EV3_RES_HEADERS_INCOMPLATE",  # (sic)
    "unknown_serial": "EV3_RES_HEADER_PLATFORM_SERIAL",  # not in `certs`; it downloads nothing
    "tampered_body": "EV3_RES_HEADER_SIGNATURE_DIGEST",
    "truncated_body": "EV3_RES_HEADER_SIGNATURE_DIGEST",
}


# Every fault with platform certificates (the plugin's usual set-up); with the public key alone
# (merchant in public_key_only mode) the two that depend on the key lookup.
AXIOS_PLUGIN_CASES = [("platform", f) for f in SIGNATURE_FAULTS] + [("public_key", "bad_signature"),
                                                                   ("public_key", "unknown_serial")]


@pytest.mark.parametrize("mode,fault", AXIOS_PLUGIN_CASES)
def test_axios_plugin_rejects_spoiled_answers(axios_plugin, base, mode, fault):
    if mode == "public_key":
        public_key_only(base)
    arm(base, fault)
    report = axios(axios_plugin, base, mode)
    expected = ("rejected", AXIOS_PLUGIN_FAULTS[fault], 200)
    assert (report["outcome"], report["code"], report["status"]) == expected, report
    digest = AXIOS_PLUGIN_FAULTS[fault] == "EV3_RES_HEADER_SIGNATURE_DIGEST"
    assert report["rsa_checks"] == ([False] if digest else [])
    assert_terminated(base, JS_CODE, fault=fault)


def test_axios_plugin_with_only_the_public_key_needs_public_key_only_mode(axios_plugin, base):
    # Default (`certificates`) mode: no Wechatpay-Serial in the request, so the platform
    # certificate signs, whose serial is not in `certs`.
    report = axios(axios_plugin, base, "public_key")
    assert (report["outcome"], report["code"]) == ("rejected", "EV3_RES_HEADER_PLATFORM_SERIAL"), report
    assert PLATFORM_SERIAL in report["error"]
    assert_terminated(base, JS_CODE)


def test_axios_plugin_does_not_verify_error_answers(axios_plugin, base):
    arm(base, "system_error")
    report = axios(axios_plugin, base, "platform")
    assert (report["outcome"], report["code"], report["status"]) == ("error", "ERR_BAD_RESPONSE", 500), report
    assert report["rsa_checks"] == []
    assert record(base, JS_CODE)["state"] == "EFFECTIVE"
