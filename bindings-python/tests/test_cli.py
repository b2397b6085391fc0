"""``python -m wxpay_terminate certificates|check``: downloads against the sandbox, offline checks
of key files, exit codes 0 / 1 / 2, and secrets only from files or the environment."""
from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from conftest import KEYS, SANDBOX, Sandbox

MCHID = "1900007291"
SERIAL = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"
APIV3_KEY = "wxpayTerminateSandboxApiV3Key001"
PLATFORM_SERIAL = "3C5E2E7D9A1B4F6081C2D3E4F5A6B7C8D9E0F1A2"
PRIVATE_KEY = str(KEYS / "merchant_doc_pkcs8.pem")


def run(*args: str, cwd: Path, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "WXPAY_APIV3_KEY"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "wxpay_terminate", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=60)


def download_args(sandbox: Sandbox, out: Path, *extra: str) -> List[str]:
    return ["certificates", "--mchid", MCHID, "--serial-no", SERIAL, "--private-key", PRIVATE_KEY,
            "--base-url", sandbox.url, "--out", str(out), *extra]


def merchant_certificate(tmp_path: Path, key_file: str = "merchant_doc_pkcs8.pem", serial: int = int(SERIAL, 16),
                         expired: bool = False) -> str:
    """A merchant API certificate for a test key (WeChat Pay's CA is not needed to check the pair)."""
    key: Any = serialization.load_pem_private_key((KEYS / key_file).read_bytes(), password=None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, MCHID)])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=800), now - datetime.timedelta(days=1)) if expired else (now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(start).not_valid_after(end).sign(key, hashes.SHA256()))
    path = tmp_path / f"cert_{key_file}_{serial:x}_{expired}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_help_names_both_commands_and_no_secret_argument(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0 and "certificates" in result.stdout and "check" in result.stdout
    for command in ("certificates", "check"):
        text = run(command, "--help", cwd=tmp_path).stdout
        assert "--apiv3-key-file" in text and "WXPAY_APIV3_KEY" in text
        assert "--apiv3-key " not in text and "--apiv3-key\n" not in text
    # Not even as an abbreviation of --apiv3-key-file.
    result = run("check", "--mchid", MCHID, "--serial-no", SERIAL, "--private-key", PRIVATE_KEY, "--apiv3-key", APIV3_KEY, cwd=tmp_path)
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


@pytest.mark.parametrize("where", ["file", "environment"])
def test_certificates_downloads_verifies_and_writes_pem_files(sandbox: Sandbox, tmp_path: Path, where: str) -> None:
    out = tmp_path / "certs"
    if where == "file":
        (tmp_path / "apiv3.key").write_text(APIV3_KEY)
        result = run(*download_args(sandbox, out, "--apiv3-key-file", str(tmp_path / "apiv3.key")), cwd=tmp_path)
    else:
        result = run(*download_args(sandbox, out), cwd=tmp_path, env={"WXPAY_APIV3_KEY": APIV3_KEY})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{PLATFORM_SERIAL}  valid 2025-01-01T00:00:00Z .. 2045-01-01T00:00:00Z")
    written = x509.load_pem_x509_certificate((out / f"{PLATFORM_SERIAL}.pem").read_bytes())
    committed = x509.load_pem_x509_certificate((SANDBOX / "keys" / "platform_cert.pem").read_bytes())
    assert written == committed
    assert [e["operation"] for e in sandbox.control("GET", "/sandbox/log")["requests"]] == ["download_certificates"]


def test_certificates_after_a_rotation_and_on_the_global_path(sandbox: Sandbox, tmp_path: Path) -> None:
    rotated = sandbox.control("POST", "/sandbox/certificates/rotate")
    sandbox.control("POST", "/sandbox/certificates/activate")
    sandbox.control("POST", "/sandbox/certificates/rotate", {"expired": True})  # listed, but dropped
    result = run(*download_args(sandbox, tmp_path / "out", "--global"), cwd=tmp_path, env={"WXPAY_APIV3_KEY": APIV3_KEY})
    assert result.returncode == 0, result.stderr
    valid = sorted(c["serial_no"] for c in rotated["listed"])
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.pem")) == valid
    assert len(result.stdout.splitlines()) == 2
    assert sandbox.control("GET", "/sandbox/log")["requests"][0]["path"] == "/v3/global/certificates"


def test_certificates_problems_exit_1_usage_exits_2(sandbox: Sandbox, tmp_path: Path) -> None:
    wrong = run(*download_args(sandbox, tmp_path / "a"), cwd=tmp_path, env={"WXPAY_APIV3_KEY": "wxpayTerminateSandboxWrongKey000"})
    assert wrong.returncode == 1 and "DecryptionError" in wrong.stderr
    (tmp_path / "newline.key").write_text(APIV3_KEY + "\n")
    newline = run(*download_args(sandbox, tmp_path / "b", "--apiv3-key-file", str(tmp_path / "newline.key")), cwd=tmp_path)
    assert newline.returncode == 1 and "33 bytes, not 32" in newline.stderr and "newline" in newline.stderr
    sandbox.control("POST", f"/sandbox/merchants/{MCHID}/certificate-mode", {"certificate_mode": "public_key_only"})
    public_only = run(*download_args(sandbox, tmp_path / "c"), cwd=tmp_path, env={"WXPAY_APIV3_KEY": APIV3_KEY})
    assert public_only.returncode == 1 and "RESOURCE_NOT_EXISTS" in public_only.stderr and "微信支付公钥" in public_only.stderr
    no_key = run(*download_args(sandbox, tmp_path / "d"), cwd=tmp_path)
    assert no_key.returncode == 2 and "WXPAY_APIV3_KEY" in no_key.stderr
    missing = run("certificates", "--mchid", MCHID, cwd=tmp_path)
    assert missing.returncode == 2 and "required" in missing.stderr
    assert not any((tmp_path / d).exists() for d in "abcd")


def check(tmp_path: Path, *extra: str, key: str = PRIVATE_KEY, serial: str = SERIAL, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return run("check", "--mchid", MCHID, "--serial-no", serial, "--private-key", key, *extra, cwd=tmp_path, env=env)


def test_check_passes_for_a_consistent_set(tmp_path: Path) -> None:
    (tmp_path / "apiv3.key").write_text(APIV3_KEY)
    result = check(
        tmp_path,
        "--merchant-cert", merchant_certificate(tmp_path),
        "--apiv3-key-file", str(tmp_path / "apiv3.key"),
        "--wechatpay-public-key", str(SANDBOX / "keys" / "wechatpay_public_key.pem"),
        "--wechatpay-public-key-id", "PUB_KEY_ID_0119000072912025112400000000000099",
        "--platform-certificate", str(SANDBOX / "keys" / "platform_cert.pem"),
    )
    assert result.returncode == 0, result.stdout
    assert "PROBLEM" not in result.stdout and "the private key matches the merchant certificate" in result.stdout
    assert check(tmp_path, key=str(KEYS / "merchant_doc_pkcs1.pem")).returncode == 0  # PKCS#1 too


@pytest.mark.parametrize(
    "case,expected",
    [
        ("other_key_pair", "does not match the merchant certificate"),
        ("serial_mismatch", "is not the merchant certificate's serial"),
        ("short_key", "RSA 1024 bits; WeChat Pay needs at least 2048"),
        ("not_a_key", "not an RSA key"),
        ("expired_platform_certificate", "expired on 2023-01-01"),
        ("apiv3_key_length", "the APIv3 key is 31 bytes, not 32"),
        ("apiv3_key_newline", "33 bytes, not 32 (it ends in a newline"),
        ("expired_merchant_certificate", "expired on"),
    ],
)
def test_check_says_what_is_wrong(tmp_path: Path, case: str, expected: str) -> None:
    args: List[str] = []
    kwargs: Dict[str, Any] = {}
    if case == "other_key_pair":
        args = ["--merchant-cert", merchant_certificate(tmp_path, key_file="merchant_go_pkcs8.pem")]
    elif case == "serial_mismatch":
        args = ["--merchant-cert", merchant_certificate(tmp_path)]
        kwargs["serial"] = "F5765756002FDD77"
    elif case == "short_key":
        kwargs["key"] = str(KEYS / "rsa1024_pkcs8.pem")
    elif case == "not_a_key":
        kwargs["key"] = str(KEYS / "not_a_key.pem")
    elif case == "expired_platform_certificate":
        args = ["--platform-certificate", str(KEYS / "platform_cert_d_expired.pem")]
    elif case == "apiv3_key_length":
        kwargs["env"] = {"WXPAY_APIV3_KEY": APIV3_KEY[:-1]}
    elif case == "apiv3_key_newline":
        (tmp_path / "k").write_text(APIV3_KEY + "\n")
        args = ["--apiv3-key-file", str(tmp_path / "k")]
    elif case == "expired_merchant_certificate":
        args = ["--merchant-cert", merchant_certificate(tmp_path, expired=True)]
    result = check(tmp_path, *args, **kwargs)
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    assert len(problems) == 1 and expected in problems[0], result.stdout


def test_check_usage_errors_exit_2(tmp_path: Path) -> None:
    alone = check(tmp_path, "--wechatpay-public-key", str(SANDBOX / "keys" / "wechatpay_public_key.pem"))
    assert alone.returncode == 2 and "go together" in alone.stderr
    missing = check(tmp_path, key=str(tmp_path / "absent.pem"))
    assert missing.returncode == 2 and "cannot read --private-key" in missing.stderr
    assert run("check", cwd=tmp_path).returncode == 2
    assert run("nonsense", cwd=tmp_path).returncode == 2


def test_the_readme_commands_parse() -> None:
    import shlex

    from wxpay_terminate._cli import parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Command line\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [c for c in block.replace("\\\n", " ").splitlines() if c.startswith("python -m wxpay_terminate")]
    assert [shlex.split(c)[3] for c in commands] == ["certificates", "check"]
    for command in commands:
        args = parser().parse_args(shlex.split(command)[3:])
        assert args.mchid == MCHID and args.serial_no == SERIAL
