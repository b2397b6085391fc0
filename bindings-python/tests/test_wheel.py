"""The built wheel and sdist (``make python-wheel``): manylinux2014 (glibc ≥ 2.17, built with zig),
complete metadata, and the wheel working in fresh virtualenvs — with no other packages, and on
every CPython 3.9–3.13 pyenv has here."""
from __future__ import annotations

import email
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / "target" / "wheels"
MAX_GLIBC = (2, 17)


def wheel() -> Path:
    wheels = sorted(WHEELS.glob("wxpay_terminate-*.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected one wheel in target/wheels, found {wheels}: run `make python-wheel`")
    return wheels[0]


def sdist() -> Path:
    sdists = sorted(WHEELS.glob("wxpay_terminate-*.tar.gz"))
    if len(sdists) != 1:
        pytest.fail(f"expected one sdist in target/wheels, found {sdists}: run `make python-wheel`")
    return sdists[0]


def test_wheel_is_abi3_manylinux2014() -> None:
    name = wheel().name
    assert "-cp39-abi3-" in name and "manylinux2014_x86_64" in name, name
    show = subprocess.run([sys.executable, "-m", "auditwheel", "show", str(wheel())], capture_output=True, text=True, timeout=120)
    assert show.returncode == 0, show.stderr
    text = " ".join(show.stdout.split())
    assert 'consistent with the following platform tag: "manylinux_2_17_x86_64"' in text, show.stdout


def test_no_symbol_needs_glibc_newer_than_2_17(tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel()) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith(".so")]
        library = Path(archive.extract(member, tmp_path))
    dynamic = subprocess.run(["objdump", "-T", str(library)], capture_output=True, text=True, timeout=60, check=True).stdout
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"\bGLIBC_([0-9]+(?:\.[0-9]+)+)\b", dynamic)}
    assert versions, "no GLIBC_ symbol versions found"
    newest = max(versions)
    assert newest[:2] <= MAX_GLIBC, f"needs GLIBC_{'.'.join(map(str, newest))}"
    needed = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, timeout=60, check=True).stdout
    libraries = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed))
    assert not any(lib.startswith("libpython") for lib in libraries), libraries  # abi3: no libpython link
    assert libraries <= {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libgcc_s.so.1", "ld-linux-x86-64.so.2"}, libraries


def test_wheel_metadata_is_complete() -> None:
    with zipfile.ZipFile(wheel()) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_string(archive.read(metadata_name).decode("utf-8"))
    for path in ("wxpay_terminate/py.typed", "wxpay_terminate/__init__.pyi", "wxpay_terminate/certificates.py",
                 "wxpay_terminate/__main__.py", "wxpay_terminate/_cli.py"):
        assert path in names, path
    assert {n.rsplit("/", 1)[1] for n in names if "/licenses/" in n} >= {"LICENSE-MIT", "LICENSE-APACHE"}, names
    assert metadata["License-Expression"] == "MIT OR Apache-2.0"
    assert set(metadata.get_all("License-File")) == {"LICENSE-MIT", "LICENSE-APACHE"}
    assert metadata["Requires-Python"] == ">=3.9"
    # No runtime dependency: every Requires-Dist belongs to the test extra.
    assert all("extra ==" in r for r in metadata.get_all("Requires-Dist", []))
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}
    classifiers = metadata.get_all("Classifier")
    for minor in range(9, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert metadata.get_content_type() == "text/plain" and "wxpay-terminate for Python" in metadata.get_payload()


def test_sdist_holds_what_a_build_needs() -> None:
    with tarfile.open(sdist()) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    for needed in ("pyproject.toml", "PKG-INFO", "bindings-python/Cargo.toml", "bindings-python/src/lib.rs",
                   "python/wxpay_terminate/py.typed", "python/wxpay_terminate/__init__.pyi", "python/wxpay_terminate/certificates.py",
                   "core/src/lib.rs"):
        assert any(n == needed or n.endswith("/" + needed) for n in names), (needed, names[:40])
    assert any(n.endswith("LICENSE-MIT") for n in names) and any(n.endswith("LICENSE-APACHE") for n in names)


def fresh_venv(python: str, tmp_path: Path) -> Path:
    env = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(env)], check=True, capture_output=True, timeout=300)
    install = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--no-index", "--quiet", str(wheel())],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return env / "bin" / "python"


def test_wheel_works_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    python = fresh_venv(sys.executable, tmp_path)
    env = tmp_path / "venv"
    key = ROOT / "tests" / "vectors" / "keys" / "merchant_doc_pkcs8.pem"
    pub = ROOT / "tests" / "sandbox" / "keys" / "wechatpay_public_key.pem"
    script = f"""
import pathlib, wxpay_terminate as wt
c = wt.Client(mchid="1900007291", serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
              private_key=pathlib.Path({str(key)!r}),
              wechatpay_public_key_id="PUB_KEY_ID_0119000072912025112400000000000099",
              wechatpay_public_key=pathlib.Path({str(pub)!r}))
r = c.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000", contract_termination_remark="用户解约")
assert r.headers["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")
import wxpay_terminate.certificates  # no requests/httpx here: the keeper falls back to urllib
assert "urllib" in wxpay_terminate.certificates.default_send().__name__
print(wt.__file__)
"""
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert str(env) in run.stdout
    cli = subprocess.run([str(python), "-m", "wxpay_terminate", "--help"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and "certificates" in cli.stdout


def pyenv_pythons() -> List[Tuple[str, str]]:
    """(version, interpreter) of the newest CPython 3.9–3.13 of each minor pyenv holds."""
    found = {}
    for path in sorted((Path.home() / ".pyenv" / "versions").glob("3.*")):
        match = re.fullmatch(r"3\.(9|1[0-3])\.(\d+)", path.name)
        if match and (path / "bin" / "python").exists():
            found[int(match.group(1))] = (path.name, str(path / "bin" / "python"))
    return [found[minor] for minor in sorted(found)]


PYTHONS = pyenv_pythons()


def test_pyenv_has_pythons_to_smoke() -> None:
    assert PYTHONS, "no CPython 3.9–3.13 under ~/.pyenv/versions"


@pytest.mark.parametrize("version,python", PYTHONS, ids=[v for v, _ in PYTHONS])
def test_smoke_on_each_cpython(version: str, python: str, tmp_path: Path) -> None:
    env_python = fresh_venv(python, tmp_path)
    run = subprocess.run([str(env_python), str(Path(__file__).with_name("smoke.py")), str(ROOT)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"smoke ok: python {version},") and str(tmp_path) in run.stdout, run.stdout


def test_musllinux_wheel_when_built(tmp_path: Path) -> None:
    """Built by `make python-wheel` only where rustup has x86_64-unknown-linux-musl. Not run here
    (no musl CPython on this machine), and auditwheel cannot analyse it on a glibc host (it
    resolves musl's `libc.so` to glibc's linker script): the tag and what it links are checked."""
    wheels = sorted((WHEELS / "musllinux").glob("wxpay_terminate-*.whl"))
    if not wheels:
        pytest.skip("no musllinux wheel: rustup has no x86_64-unknown-linux-musl target")
    (musl,) = wheels
    assert musl.name.endswith("-cp39-abi3-musllinux_1_2_x86_64.whl"), musl.name
    with zipfile.ZipFile(musl) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith(".so")]
        library = Path(archive.extract(member, tmp_path))
        assert "wxpay_terminate/py.typed" in archive.namelist()
    needed = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed) == ["libc.so"], needed  # musl's libc
    dynamic = subprocess.run(["objdump", "-T", str(library)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "GLIBC_" not in dynamic
