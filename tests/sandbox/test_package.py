"""Tests of the `wxpay-sandbox` distribution (pyproject.toml, src/wxpay_sandbox/) as a product.

A session fixture builds the sdist and the wheel once (`python -m build` from a scratch
virtualenv with `build` and `setuptools` from PyPI) and installs the wheel into a fresh
virtualenv; the tests then run its console scripts `wxpay-sandbox` and `wxpay-sandbox-ctl`
as a user would: first start (key generation), signed terminations with the generated
merchant key, `--state` across a restart, `--seed` CSV/JSON, `--merchant` with a developer's
own key pair in each certificate mode, `--rate-limit`, and every ctl subcommand.

Like test_sandbox.py, the client side is a small signer/verifier written here with
`cryptography`; nothing is shared with the server or with wxpay-terminate. Every request has
a timeout; every process is stopped in a `finally` (killed if it does not exit in time).

Run: python3 -m pytest tests/sandbox -q        (-m 'not wheel' skips what needs the wheel)
"""

import base64
import datetime as dt
import http.client
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TIMEOUT = 10
PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000099"
SCHEME = "WECHATPAY2-SHA256-RSA2048"
PAPAY = "/v3/papay/sign/contracts/plan-id/{plan}/out-contract-code/{code}/terminate"
CERTS = "/v3/certificates"
# A PEM block with content (a key or certificate), not just the marker a parser looks for.
PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----\s*[A-Za-z0-9+/]{40}")
CTL_COMMANDS = ("state", "log", "terminate", "notify", "notifications", "fault", "notify-fault", "certificates",
                "rotate-certificates", "activate-certificate", "retire-certificate", "merchants", "set", "keys",
                "reset", "seed", "chaos", "ledger")

# ---------------------------------------------------------------------------
# The wheel, built and installed once per session
# ---------------------------------------------------------------------------


@dataclass
class Installed:
    bin: Path
    wheel: Path
    sdist: Path

    def exe(self, name: str) -> str:
        return str(self.bin / name)


def _run(cmd: List[str], **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, **kw)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout[-3000:]}"
    return result


def _venv(path: Path) -> Path:
    """A fresh virtualenv without pip of its own (this interpreter's pip installs into it)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)])
    return path / "bin" / "python"


def _pip_install(python: Path, *what: str) -> None:
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check",
          *what])


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wxpay-sandbox-dist")
    # Build from a copy holding exactly the distribution's files, so nothing is written into the
    # work tree (setuptools puts build/ and *.egg-info next to the sources).
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(HERE / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(HERE / "src", source / "src", ignore=ignore)
    shutil.copytree(HERE / "examples", source / "examples", ignore=ignore)
    builder = _venv(root / "build-env")
    _pip_install(builder, "build", "setuptools")
    # sdist first, then the wheel built from the unpacked sdist (what `python -m build` does);
    # without isolation, so the backend comes from the scratch env (WXPAY_SANDBOX_BUILD_ISOLATION=1:
    # each build in its own isolated env, as a release would).
    isolation = [] if os.environ.get("WXPAY_SANDBOX_BUILD_ISOLATION") == "1" else ["--no-isolation"]
    _run([str(builder), "-m", "build", *isolation, "--outdir", str(root / "dist"), str(source)])
    (wheel,) = (root / "dist").glob("wxpay_sandbox-*-py3-none-any.whl")
    (sdist,) = (root / "dist").glob("wxpay_sandbox-*.tar.gz")
    python = _venv(root / "venv")
    _pip_install(python, str(wheel))
    return Installed(python.parent, wheel, sdist)


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


@dataclass
class Running:
    proc: subprocess.Popen
    url: str
    banner: str
    stderr: object

    @property
    def host_port(self) -> Tuple[str, int]:
        parts = urllib.parse.urlsplit(self.url)
        return parts.hostname, parts.port

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")


def _read_until(proc: subprocess.Popen, done, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while not done(buf.decode("utf-8", "replace")):  # bounded by the deadline
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise TimeoutError(f"the sandbox did not print what was expected in time: {buf[-2000:]!r}")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the sandbox exited early with {proc.poll()}: {buf[-2000:]!r}")
            buf += chunk
    return buf.decode("utf-8", "replace")


def start(cmd: List[str], cwd: Path, quiet: bool = False) -> Running:
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=str(cwd), stdout=subprocess.PIPE, stderr=stderr)
    try:
        if quiet:
            out = _read_until(proc, lambda text: "\n" in text, 30)
        else:
            out = _read_until(proc, lambda text: "\nStop: " in text and text.endswith("\n"), 30)
        first = out.split("\n", 1)[0]
        assert re.fullmatch(r"SANDBOX_URL=https?://127\.0\.0\.1:\d+", first), first
        return Running(proc, first.split("=", 1)[1], out, stderr)
    except BaseException:
        stop(proc)
        stderr.seek(0)
        sys.stderr.write(stderr.read().decode("utf-8", "replace")[-3000:])
        stderr.close()
        raise


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> Optional[int]:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    if proc.stdout:
        proc.stdout.close()
    return proc.returncode


class Sandboxes:
    """Starts sandboxes for one test and stops them all at its end."""

    def __init__(self, installed: Installed, cwd: Path) -> None:
        self.installed, self.cwd = installed, cwd
        self.running: List[Running] = []

    def start(self, *args: str, quiet: bool = False) -> Running:
        run = start([self.installed.exe("wxpay-sandbox"), "--port", "0", *args], self.cwd, quiet)
        self.running.append(run)
        return run

    def stop(self, run: Running) -> int:
        code = stop(run.proc)
        log = run.log()
        assert "internal error" not in log and "Traceback" not in log, log[-3000:]
        return code

    def close(self) -> None:
        for run in self.running:
            stop(run.proc)
            run.stderr.close()


@pytest.fixture
def sandboxes(installed, tmp_path):
    boxes = Sandboxes(installed, tmp_path)
    try:
        yield boxes
    finally:
        boxes.close()


@pytest.fixture(scope="session")
def shared_keys(installed, tmp_path_factory) -> Path:
    """A keys folder generated once by the installed sandbox, reused by tests that do not test generation."""
    folder = tmp_path_factory.mktemp("shared")
    run = start([installed.exe("wxpay-sandbox"), "--port", "0", "--keys-dir", str(folder / "keys"), "--quiet"],
                folder, quiet=True)
    assert stop(run.proc) == 0
    run.stderr.close()
    return folder / "keys"


def ctl(installed: Installed, url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([installed.exe("wxpay-sandbox-ctl"), "--url", url, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=30)
    if ok:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def ctl_json(installed: Installed, url: str, *args: str):
    return json.loads(ctl(installed, url, *args).stdout)


# ---------------------------------------------------------------------------
# A minimal WeChat Pay client: sign, send, verify
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Merchant:
    mchid: str
    serial: str
    key: object


@dataclass
class Resp:
    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def call(url: str, method: str, target: str, merchant: Merchant, body: Optional[dict] = None,
         serial_header: Optional[str] = None) -> Resp:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else b""
    ts, nonce = int(time.time()), secrets.token_hex(16).upper()
    message = f"{method}\n{target}\n{ts}\n{nonce}\n".encode() + data + b"\n"
    signature = base64.b64encode(merchant.key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    headers = {"Accept": "application/json", "User-Agent": "wxpay-sandbox-package-tests/1.0",
               "Authorization": f'{SCHEME} mchid="{merchant.mchid}",nonce_str="{nonce}",signature="{signature}",'
                                f'timestamp="{ts}",serial_no="{merchant.serial}"'}
    if data:
        headers["Content-Type"] = "application/json"
    if serial_header:
        headers["Wechatpay-Serial"] = serial_header
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        conn.request(method, target, body=data or None, headers=headers)
        r = conn.getresponse()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def verify(resp: Resp, public_key, serial: str) -> None:
    """The answer names `serial` and its signature verifies with `public_key`."""
    h = resp.headers
    assert h.get("wechatpay-serial") == serial, h
    assert h.get("wechatpay-signature-type") == SCHEME
    message = f"{h['wechatpay-timestamp']}\n{h['wechatpay-nonce']}\n".encode() + resp.body + b"\n"
    public_key.verify(base64.b64decode(h["wechatpay-signature"], validate=True), message, padding.PKCS1v15(),
                      hashes.SHA256())


def generated_merchants(keys_dir: Path) -> Dict[str, Merchant]:
    doc = json.loads((keys_dir / "merchants.json").read_text())
    return {m["mchid"]: Merchant(m["mchid"], m["serial_no"], serialization.load_pem_private_key(
        (keys_dir / m["private_key"]).read_bytes(), password=None)) for m in doc["merchants"]}


def apiv3_keys(keys_dir: Path) -> Dict[str, str]:
    return {m["mchid"]: m["apiv3_key"] for m in json.loads((keys_dir / "merchants.json").read_text())["merchants"]}


def papay(plan: int, code: str) -> str:
    return PAPAY.format(plan=plan, code=code)


def records(installed: Installed, url: str) -> Dict[str, dict]:
    return {r["id"]: r for r in ctl_json(installed, url, "state")["records"]}


def developer_pair(folder: Path, name: str) -> Tuple[object, Path, Path, str]:
    """A developer's own test key pair: (private key, public key PEM, self-signed certificate PEM, cert serial)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = folder / f"{name}.pub.pem"
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} (test)")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_file = folder / f"{name}.cert.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, pub, cert_file, format(cert.serial_number, "X")


# ---------------------------------------------------------------------------
# Metadata: version, contents, help
# ---------------------------------------------------------------------------


def workspace_version() -> str:
    text = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python >= 3.11

        return tomllib.loads(text)["workspace"]["package"]["version"]
    except ImportError:
        section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
        return re.search(r'(?m)^version\s*=\s*"([^"]+)"', section).group(1)


def pyproject_version() -> str:
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'(?m)^version\s*=\s*"([^"]+)"\s*$', text).group(1)


def test_version_is_the_workspace_version():
    if not (REPO / "Cargo.toml").exists():
        pytest.skip("not inside the wxpay-terminate workspace")
    assert pyproject_version() == workspace_version()
    # Written once: the package reads it from pyproject (source tree) or its metadata (installed).
    sources = "".join(p.read_text(encoding="utf-8") for p in (HERE / "src" / "wxpay_sandbox").glob("*.py"))
    assert pyproject_version() not in sources
    out = subprocess.run([sys.executable, str(HERE / "server.py"), "--version"], stdout=subprocess.PIPE, text=True,
                         timeout=30)
    assert out.stdout.strip() == f"wxpay-sandbox {workspace_version()}"


def test_the_package_never_imports_the_core():
    for path in (HERE / "src" / "wxpay_sandbox").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+wxpay_terminate", text, re.M), path
        imports = set(re.findall(r"^(?:import|from) ([a-z_][a-z0-9_]*)", text, re.M))
        assert imports <= {"argparse", "base64", "copy", "csv", "datetime", "hashlib", "heapq", "http", "ipaddress",
                           "json", "os", "re", "secrets", "signal", "ssl", "string", "sys", "threading", "time",
                           "urllib", "uuid", "collections", "dataclasses", "pathlib", "typing", "cryptography",
                           "importlib", "random", "select", "socket", "struct"}, (path, imports)


@pytest.mark.wheel
def test_wheel_and_sdist_contents(installed):
    with zipfile.ZipFile(installed.wheel) as whl:
        names = whl.namelist()
        blobs = {n: whl.read(n) for n in names}
    version = workspace_version() if (REPO / "Cargo.toml").exists() else pyproject_version()
    assert installed.wheel.name == f"wxpay_sandbox-{version}-py3-none-any.whl"
    package = sorted(n for n in names if not n.startswith(f"wxpay_sandbox-{version}.dist-info/"))
    assert package == [f"wxpay_sandbox/{m}.py" for m in ("__init__", "__main__", "cli", "ctl", "keygen", "seeds",
                                                         "server")]
    # No key material of any kind is shipped: the installed sandbox generates its own.
    for name, data in blobs.items():
        assert not PEM_BLOCK.search(data), name
    meta = blobs[f"wxpay_sandbox-{version}.dist-info/METADATA"].decode()
    assert re.findall(r"^Requires-Dist: (.*)$", meta, re.M) == ["cryptography"]
    assert "Name: wxpay-sandbox" in meta and f"Version: {version}" in meta
    entry_points = blobs[f"wxpay_sandbox-{version}.dist-info/entry_points.txt"].decode()
    assert "wxpay-sandbox = wxpay_sandbox.cli:main" in entry_points
    assert "wxpay-sandbox-ctl = wxpay_sandbox.ctl:main" in entry_points
    with tarfile.open(installed.sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        assert {"pyproject.toml", "README.md", "examples/seeds.json", "examples/seeds.csv",
                "src/wxpay_sandbox/server.py"} <= set(members)
        assert not any(n.startswith("keys/") or n.endswith(".pem") or n.startswith("test_") for n in members)
        for m in members.values():
            if m.isfile():
                assert not PEM_BLOCK.search(tar.extractfile(m).read()), m.name


@pytest.mark.wheel
def test_every_command_has_help(installed):
    commands = [[installed.exe("wxpay-sandbox"), "--help"], [installed.exe("wxpay-sandbox-ctl"), "--help"],
                [sys.executable, str(HERE / "server.py"), "--help"]]
    commands += [[installed.exe("wxpay-sandbox-ctl"), c, "--help"] for c in CTL_COMMANDS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda cmd: subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                        text=True, timeout=60), commands))
    for cmd, out in zip(commands, outs):
        assert out.returncode == 0 and out.stdout.startswith("usage: "), (cmd, out.stderr)
    main, top = outs[0].stdout, outs[1].stdout
    for c in CTL_COMMANDS:
        assert re.search(rf"^\s+{re.escape(c)}\s", top, re.M), c
    for flag in ("--port", "--host", "--tls", "--seed", "--notify-url", "--state", "--keys-dir",
                 "--notify-time-scale", "--merchant", "--rate-limit"):
        assert flag in main, flag


# ---------------------------------------------------------------------------
# First start: generated keys, a signed termination, verified answers
# ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_first_start_generates_test_keys_and_terminates(installed, sandboxes, tmp_path):
    keys = tmp_path / "wxpay-sandbox-keys"
    run = sandboxes.start()  # the default --keys-dir: ./wxpay-sandbox-keys of the folder it starts in
    names = sorted(p.name for p in keys.iterdir())
    assert names == sorted(["README.txt", "merchants.json", "platform_cert.pem", "platform_cert.private.pem",
                            "tls_cert.pem", "tls_key.pem", "wechatpay_public_key.pem",
                            "wechatpay_public_key.private.pem"]
                           + [f"merchant_{m}.{k}.pem" for m in ("1900007291", "1234567890")
                              for k in ("private", "cert", "pub")])
    assert "TEST keys" in (keys / "README.txt").read_text()
    for private in keys.glob("*private.pem"):
        assert private.stat().st_mode & 0o077 == 0, private
    merchants = generated_merchants(keys)
    secrets_ = apiv3_keys(keys)
    platform = x509.load_pem_x509_certificate((keys / "platform_cert.pem").read_bytes())
    platform_serial = format(platform.serial_number, "X")
    public_key = serialization.load_pem_public_key((keys / "wechatpay_public_key.pem").read_bytes())

    # The banner says what to configure: URL, serials, key files (under the keys folder), APIv3 keys.
    banner = run.banner
    assert "TEST KEYS ONLY" in banner and re.search(r"Base URL +" + re.escape(run.url), banner)
    assert "generated now" in banner and PUB_KEY_ID in banner and platform_serial in banner
    assert str(keys / "wechatpay_public_key.pem") in banner and str(keys / "platform_cert.pem") in banner
    for mchid, m in merchants.items():
        assert mchid in banner and m.serial in banner and secrets_[mchid] in banner
        assert str(keys / f"merchant_{mchid}.private.pem") in banner
        # The merchant certificate's serial is the serial_no to configure.
        cert = x509.load_pem_x509_certificate((keys / f"merchant_{mchid}.cert.pem").read_bytes())
        assert format(cert.serial_number, "X") == m.serial

    doc = merchants["1900007291"]
    target = papay(12535, "wxwtdk20200910100001")
    resp = call(run.url, "POST", target, doc, {"contract_termination_remark": "测试解约"})
    assert resp.status == 200, resp.body
    verify(resp, platform.public_key(), platform_serial)  # no Wechatpay-Serial: the platform certificate signs
    answer = resp.json()
    assert (answer["mchid"], answer["contract_state"]) == ("1900007291", "TERMINATED")
    assert answer["contract_terminate_info"]["contract_termination_remark"] == "测试解约"
    again = call(run.url, "POST", target, doc, {"contract_termination_remark": "测试解约"}, serial_header=PUB_KEY_ID)
    assert (again.status, again.json()["code"]) == (400, "INVALID_REQUEST")
    # 204 endpoint, public-key mode: the request names the public key id, the public key signs.
    edu = call(run.url, "DELETE", "/v3/edu-papay/contracts/204009101000000000000001", doc, serial_header=PUB_KEY_ID)
    assert edu.status == 204 and edu.body == b""
    verify(edu, public_key, PUB_KEY_ID)
    # The printed APIv3 key decrypts the platform-certificate download.
    listing = call(run.url, "GET", CERTS, doc)
    assert listing.status == 200
    verify(listing, platform.public_key(), platform_serial)
    (item,) = listing.json()["data"]
    enc = item["encrypt_certificate"]
    pem = AESGCM(secrets_["1900007291"].encode()).decrypt(enc["nonce"].encode(), base64.b64decode(enc["ciphertext"]),
                                                          enc["associated_data"].encode())
    assert x509.load_pem_x509_certificate(pem).serial_number == platform.serial_number
    # Another merchant's key does not pass as this one's.
    forged = Merchant(doc.mchid, doc.serial, merchants["1234567890"].key)
    assert call(run.url, "POST", papay(12535, "wxwtdk20200910100000"), forged, {"contract_termination_remark": "x"}
                ).status == 401
    assert sandboxes.stop(run) == 0

    # A second start reuses the keys: same files, same serials, nothing generated.
    before = {p.name: p.read_bytes() for p in keys.iterdir()}
    run = sandboxes.start()
    assert "(reused)" in run.banner and "generated now" not in run.banner
    assert {p.name: p.read_bytes() for p in keys.iterdir()} == before
    assert call(run.url, "POST", papay(12535, "wxwtdk20200910100000"), doc, {"contract_termination_remark": "x"}
                ).status == 200
    assert sandboxes.stop(run) == 0


# ---------------------------------------------------------------------------
# --state
# ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_state_persists_across_restarts(installed, sandboxes, shared_keys, tmp_path):
    state = tmp_path / "state.json"
    doc = generated_merchants(shared_keys)["1900007291"]
    run = sandboxes.start("--keys-dir", str(shared_keys), "--state", str(state))
    assert re.search(r"State file +" + re.escape(str(state)), run.banner)
    assert "seeded from built-in seeds" in run.banner
    saved = json.loads(state.read_text())  # written at once, before any change
    assert saved["format"] == "wxpay-sandbox-state" and len(saved["records"]) == 50
    target = papay(12535, "wxwtdk20200910100001")
    assert call(run.url, "POST", target, doc, {"contract_termination_remark": "persist"}).status == 200
    # Written on change, not only at shutdown.
    on_disk = {(r["collection"], r["attrs"].get("out_contract_code")): r for r in json.loads(state.read_text())["records"]}
    assert on_disk[("papay", "wxwtdk20200910100001")]["state"] == "TERMINATED"
    ctl(installed, run.url, "terminate", "payscore:authcode20200910000001", "--mode", "CUSTOMER_SERVICE_TERMINATE")
    assert sandboxes.stop(run) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left over

    run = sandboxes.start("--keys-dir", str(shared_keys), "--state", str(state))
    assert "restored from it" in run.banner
    now = records(installed, run.url)
    assert now["papay:12535:wxwtdk20200910100001"]["state"] == "TERMINATED"
    assert now["papay:12535:wxwtdk20200910100001"]["termination"]["remark"] == "persist"
    assert now["payscore:authcode20200910000001"]["termination"]["mode"] == "CUSTOMER_SERVICE_TERMINATE"
    assert now["papay:12535:wxwtdk20200910100000"]["state"] == "EFFECTIVE"
    again = call(run.url, "POST", target, doc, {"contract_termination_remark": "persist"})
    assert (again.status, again.json()["message"]) == (400, "协议已解约")
    # A reset re-seeds, and the file follows.
    ctl(installed, run.url, "reset")
    assert all(r["state"] == "EFFECTIVE" or r["attrs"].get("out_contract_code") == "wxwtdk20200910100009"
               for r in json.loads(state.read_text())["records"])
    assert sandboxes.stop(run) == 0


# ---------------------------------------------------------------------------
# --seed
# ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_seed_csv(installed, sandboxes, shared_keys, tmp_path):
    doc = generated_merchants(shared_keys)["1900007291"]
    run = sandboxes.start("--keys-dir", str(shared_keys), "--seed", str(HERE / "examples" / "seeds.csv"))
    state = records(installed, run.url)
    assert len(state) == 12 and "papay:12535:wxwtdk20200910100000" not in state  # replaces the built-in records
    row = state["papay:12535:csv20250101000001"]
    assert (row["owner"], row["state"], row["plan_id"]) == ("1900007291", "EFFECTIVE", 12535)  # typed from CSV
    assert state["papay:12535:csv20250101000002"]["termination"]["mode"] == "USER_TERMINATE"
    resp = call(run.url, "POST", papay(12535, "csv20250101000001"), doc, {"contract_termination_remark": "csv"})
    assert resp.status == 200 and resp.json()["out_contract_code"] == "csv20250101000001"
    done = call(run.url, "POST", papay(12535, "csv20250101000002"), doc, {"contract_termination_remark": "csv"})
    assert (done.status, done.json()["message"]) == (400, "协议已解约")
    # Defaults fill what the answer quotes; the partner family needs its sub_mchid from the CSV row.
    resp = call(run.url, "POST", "/v3/payscore/partner/permissions/authorization-code/csvauthcode0000002/terminate",
                doc, {"service_id": "500001", "sub_mchid": "1900000109", "reason": "csv"})
    assert resp.status == 204, resp.body
    resp = call(run.url, "POST", "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/csvspfk000000001/close",
                doc)
    assert resp.status == 200 and resp.json()["state"] == "CLOSED"
    assert sandboxes.stop(run) == 0

    # The JSON example too, next to the built-in records; and a bad CSV stops the start with a reason.
    run = sandboxes.start("--keys-dir", str(shared_keys), "--seed", str(HERE / "examples" / "seeds.json"),
                          "--builtin-seeds", quiet=True)
    state = records(installed, run.url)
    assert len(state) == 50 + 8 and "credit_repayment:200001256" in state
    assert sandboxes.stop(run) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("collection,owner,plan_id\npapay,1900007291,12535\n")
    out = subprocess.run([installed.exe("wxpay-sandbox"), "--port", "0", "--keys-dir", str(shared_keys), "--seed",
                          str(bad)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert out.returncode != 0 and "needs plan_id, out_contract_code (missing out_contract_code)" in out.stderr


# ---------------------------------------------------------------------------
# --merchant: a developer's own key pair, in each certificate mode
# ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_developer_merchants(installed, sandboxes, shared_keys, tmp_path):
    pk_key, pk_pub, _, _ = developer_pair(tmp_path, "pubkey_mode")
    cert_key, _, cert_file, cert_serial = developer_pair(tmp_path, "cert_mode")
    seeds = tmp_path / "mine.json"
    seeds.write_text(json.dumps({"contracts": {"papay": [
        {"owner": "1900000001", "plan_id": 20001, "out_contract_code": "devcontract0001"},
        {"owner": "1900000002", "plan_id": 20002, "out_contract_code": "devcontract0002"}]}}))
    run = sandboxes.start("--keys-dir", str(shared_keys), "--seed", str(seeds),
                          "--merchant", f"1900000001:DEV0001SERIAL:{pk_pub}:mode=public_key",
                          "--merchant", f"1900000002::{cert_file}:mode=certificate,apiv3_key=" + "k" * 32)
    public_key = serialization.load_pem_public_key((shared_keys / "wechatpay_public_key.pem").read_bytes())
    platform = x509.load_pem_x509_certificate((shared_keys / "platform_cert.pem").read_bytes())
    platform_serial = format(platform.serial_number, "X")
    merchants = {m["mchid"]: m for m in ctl_json(installed, run.url, "merchants")["merchants"]}
    assert merchants["1900000001"]["certificate_mode"] == "public_key_only"
    assert merchants["1900000002"]["certificate_mode"] == "certificates_only"
    assert merchants["1900000002"]["apiv3_key"] == "k" * 32
    derived = merchants["1900000001"]["apiv3_key"]
    assert len(derived) == 32 and derived in run.banner and "your own" in run.banner
    assert cert_serial in run.banner  # taken from the certificate

    # Public-key mode: every answer is signed by the public key, whatever the request names.
    dev = Merchant("1900000001", "DEV0001SERIAL", pk_key)
    resp = call(run.url, "POST", papay(20001, "devcontract0001"), dev, {"contract_termination_remark": "mine"})
    assert resp.status == 200, resp.body
    verify(resp, public_key, PUB_KEY_ID)
    assert call(run.url, "GET", CERTS, dev).status == 404  # no platform certificates for it
    # Certificate mode: always the platform certificate, even when the request names the public key id.
    dev2 = Merchant("1900000002", cert_serial, cert_key)
    resp = call(run.url, "POST", papay(20002, "devcontract0002"), dev2, {"contract_termination_remark": "mine"},
                serial_header=PUB_KEY_ID)
    assert resp.status == 200, resp.body
    verify(resp, platform.public_key(), platform_serial)
    listing = call(run.url, "GET", CERTS, dev2, serial_header=PUB_KEY_ID)
    assert listing.status == 200
    verify(listing, platform.public_key(), platform_serial)
    # The wrong serial or the wrong key is refused like WeChat Pay refuses it.
    assert call(run.url, "GET", CERTS, Merchant("1900000001", "OTHER", pk_key)).status == 401
    assert call(run.url, "GET", CERTS, Merchant("1900000001", "DEV0001SERIAL", cert_key)).status == 401
    assert sandboxes.stop(run) == 0

    # The derived APIv3 key is stable across starts.
    run = sandboxes.start("--keys-dir", str(shared_keys), "--merchant", f"1900000001:DEV0001SERIAL:{pk_pub}",
                          quiet=True)
    merchants = {m["mchid"]: m for m in ctl_json(installed, run.url, "merchants")["merchants"]}
    assert merchants["1900000001"]["apiv3_key"] == derived
    assert merchants["1900000001"]["certificate_mode"] == "certificates"
    assert sandboxes.stop(run) == 0


# ---------------------------------------------------------------------------
# --rate-limit
# ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_rate_limit(installed, sandboxes, shared_keys):
    merchants = generated_merchants(shared_keys)
    doc, go = merchants["1900007291"], merchants["1234567890"]
    run = sandboxes.start("--keys-dir", str(shared_keys), "--rate-limit", "3", quiet=True)
    statuses = []
    started = time.monotonic()
    for _ in range(5):
        statuses.append(call(run.url, "GET", CERTS, doc).status)
    elapsed = time.monotonic() - started
    if elapsed < 0.9:  # all five inside one second (anything slower cannot tell)
        assert statuses == [200, 200, 200, 429, 429]
    limited = call(run.url, "POST", papay(12535, "wxwtdk20200910100001"), doc, {"contract_termination_remark": "x"})
    if time.monotonic() - started < 0.9:
        assert (limited.status, limited.json()) == (429, {"code": "RATELIMIT_EXCEEDED", "message": "达到调用速率限制"})
        # A 429 changes nothing.
        assert records(installed, run.url)["papay:12535:wxwtdk20200910100001"]["state"] == "EFFECTIVE"
    assert call(run.url, "GET", CERTS, go).status == 200  # per merchant
    time.sleep(1.05)
    assert call(run.url, "GET", CERTS, doc).status == 200  # the window moved on
    log = ctl_json(installed, run.url, "log")["requests"]
    assert {e["status"] for e in log} >= {200, 429}
    # Per merchant at run time; `none` lifts it.
    ctl(installed, run.url, "set", "1900007291", "rate-limit", "none")
    assert [call(run.url, "GET", CERTS, doc).status for _ in range(6)] == [200] * 6
    ctl(installed, run.url, "set", "1900007291", "rate-limit", "1")
    started = time.monotonic()
    pair = [call(run.url, "GET", CERTS, doc).status for _ in range(2)]
    if time.monotonic() - started < 0.9:
        assert pair == [200, 429]
    bad = ctl(installed, run.url, "set", "1900007291", "rate-limit", "0", ok=False)
    assert bad.returncode == 1 and "SANDBOX_BAD_REQUEST" in bad.stderr
    assert sandboxes.stop(run) == 0


# ---------------------------------------------------------------------------
# wxpay-sandbox-ctl: every subcommand once
# ---------------------------------------------------------------------------


class Receiver:
    """A loopback notify_url that records what it is sent."""

    def __init__(self) -> None:
        self.bodies: List[bytes] = []
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                outer.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(204)
                self.end_headers()
                outer.event.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.wheel
def test_ctl_subcommands(installed, sandboxes, shared_keys):
    doc = generated_merchants(shared_keys)["1900007291"]
    keys = apiv3_keys(shared_keys)
    run = sandboxes.start("--keys-dir", str(shared_keys), "--notify-time-scale", "0.001", quiet=True)
    receiver = Receiver()
    try:
        url = run.url
        # state / log
        ids = ctl(installed, url, "state", "--ids", "--collection", "papay", "--owner", "1900007291").stdout.splitlines()
        assert "papay:12535:wxwtdk20200910100009 TERMINATED" in ids and len(ids) == 3
        assert len(ctl_json(installed, url, "state")["records"]) == 50
        assert call(url, "POST", papay(12535, "wxwtdk20200910100000"), doc, {"contract_termination_remark": "x"}
                    ).status == 200
        (entry,) = ctl_json(installed, url, "log", "--operation", "terminate_papay_contract")["requests"]
        assert (entry["mchid"], entry["status"]) == ("1900007291", 200)
        # set / merchants / terminate / notify / notifications
        changed = ctl_json(installed, url, "set", "1900007291", "notify-url", receiver.url)
        assert changed["notify_url"] == receiver.url
        assert ctl_json(installed, url, "merchants")["merchants"][0]["notify_url"] == receiver.url
        done = ctl_json(installed, url, "terminate", "papay:12535:wxwtdk20200910100001", "--mode", "USER_TERMINATE",
                        "--remark", "用户解约")
        assert done["state"] == "TERMINATED" and done["notification"]["event_type"] == "ENTRUST.TERMINATE"
        missing = ctl(installed, url, "terminate", "papay:1:nope", ok=False)
        assert missing.returncode == 1 and "SANDBOX_UNKNOWN_CONTRACT" in missing.stderr
        sent = ctl_json(installed, url, "notify", "1900007291", "CUSTOM.EVENT", "--plaintext", '{"hello": "世界"}',
                        "--summary", "custom", "--original-type", "custom")
        assert sent["event_type"] == "CUSTOM.EVENT"
        deadline = time.monotonic() + TIMEOUT
        while len(receiver.bodies) < 2 and time.monotonic() < deadline:
            receiver.event.wait(0.1)
        envelopes = [json.loads(b) for b in receiver.bodies]
        custom = next(e for e in envelopes if e["event_type"] == "CUSTOM.EVENT")
        r = custom["resource"]
        plain = AESGCM(keys["1900007291"].encode()).decrypt(r["nonce"].encode(), base64.b64decode(r["ciphertext"]),
                                                            r["associated_data"].encode())
        assert json.loads(plain) == {"hello": "世界"}
        while len(ctl_json(installed, url, "notifications")["deliveries"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ctl_json(installed, url, "notifications")["deliveries"]) >= 2
        # fault / notify-fault
        assert ctl_json(installed, url, "fault", "system_error", "--count", "2")["remaining"] == 2
        armed = ctl_json(installed, url, "fault")
        assert (armed["fault"], armed["remaining"]) == ("system_error", 2) and "probe" in armed["available"]
        assert call(url, "POST", papay(12535, "wxwtdk20200910100009"), doc, {"contract_termination_remark": "x"}
                    ).status == 500
        assert ctl_json(installed, url, "fault", "none")["fault"] is None
        assert ctl_json(installed, url, "notify-fault", "duplicate")["fault"] == "duplicate"
        # certificates / rotate / activate / retire
        first = ctl_json(installed, url, "certificates")["signer"]
        rotated = ctl_json(installed, url, "rotate-certificates")
        new = rotated["listed"][-1]["serial_no"]
        assert len(rotated["listed"]) == 2 and rotated["signer"] == first
        assert ctl_json(installed, url, "activate-certificate")["signer"] == new
        assert ctl_json(installed, url, "activate-certificate", first)["signer"] == first
        assert ctl_json(installed, url, "activate-certificate", new)["signer"] == new
        assert [c["serial_no"] for c in ctl_json(installed, url, "retire-certificate")["listed"]] == [new]
        # seed / chaos / ledger
        seeded = ctl(installed, url, "seed", "papay", "1900007291", "--count", "2", "--prefix", "PKG", "--ids").stdout
        assert seeded.splitlines() == ["papay:12535:PKG000001 EFFECTIVE", "papay:12535:PKG000002 EFFECTIVE"]
        assert ctl_json(installed, url, "chaos", "--seed", "1", "--rate", "probe=0.5")["enabled"] is True
        assert ctl_json(installed, url, "chaos", "off")["enabled"] is False
        assert ctl_json(installed, url, "ledger", "--totals")["totals"]["applied"] >= 1
        # keys / reset
        published = ctl_json(installed, url, "keys")
        assert published["wechatpay_public_key_id"] == PUB_KEY_ID
        assert {m["mchid"]: m["apiv3_key"] for m in published["merchants"]} == keys
        assert ctl_json(installed, url, "reset") == {"reset": True, "records": 50}
        assert ctl_json(installed, url, "certificates")["signer"] == first
        # errors: unreachable sandbox, bad arguments
        down = ctl(installed, "http://127.0.0.1:9", "state", ok=False)
        assert down.returncode == 1 and "cannot reach" in down.stderr
        assert ctl(installed, url, "fault", "probe", "--count", "5000", ok=False).returncode == 2
        assert sandboxes.stop(run) == 0
    finally:
        receiver.close()


# ---------------------------------------------------------------------------
# The repository entry points keep working as before
# ---------------------------------------------------------------------------


def test_repo_server_prints_one_line_and_uses_committed_keys(tmp_path):
    run = start([sys.executable, str(HERE / "server.py"), "--port", "0"], tmp_path, quiet=True)
    try:
        assert run.banner.count("\n") == 1
        with selectors.DefaultSelector() as sel:  # exactly the SANDBOX_URL line: nothing follows it
            sel.register(run.proc.stdout, selectors.EVENT_READ)
            assert sel.select(0.5) == []
        assert not (tmp_path / "wxpay-sandbox-keys").exists()  # the repo server generates nothing
        parts = urllib.parse.urlsplit(run.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        conn.request("GET", "/sandbox/keys")
        published = json.loads(conn.getresponse().read())
        conn.close()
        assert published["wechatpay_public_key"] == (HERE / "keys" / "wechatpay_public_key.pem").read_text()
        assert stop(run.proc) == 0
    finally:
        stop(run.proc)
        run.stderr.close()
    out = subprocess.run([sys.executable, str(HERE / "with_sandbox.py"), sys.executable, "-c",
                          "import os; print(os.environ['SANDBOX_URL'])"], stdout=subprocess.PIPE, text=True,
                         timeout=60)
    assert out.returncode == 0 and re.fullmatch(r"http://127\.0\.0\.1:\d+\n", out.stdout)
