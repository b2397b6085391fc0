"""The built wheel installs into a fresh virtualenv with no other packages and works there."""
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_works_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    wheels = sorted((ROOT / "target" / "wheels").glob("wxpay_terminate-*.whl"))
    if not wheels:
        pytest.fail("no wheel in target/wheels: run `make python-wheel`")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--quiet", str(wheels[-1])],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
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
print(wt.__file__)
"""
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert str(env) in run.stdout
