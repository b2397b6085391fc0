"""The .pyi stubs are current with the catalog, match the runtime, and type real usage."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_generated_stub_is_current() -> None:
    result = run(str(HERE.parent / "gen_stubs.py"), "--check", cwd=HERE)
    assert result.returncode == 0, result.stderr


def test_stubtest_finds_no_drift(tmp_path: Path) -> None:
    # From a scratch directory, so the installed package (not the source tree) is checked.
    result = run("-m", "mypy.stubtest", "wxpay_terminate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_stubs_type_check_user_code(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(
        '''
from typing import Optional
from typing_extensions import assert_type
import wxpay_terminate as wt

client = wt.Client(mchid="1", serial_no="AB", private_key="...", wechatpay_public_key_id="PUB_KEY_ID_1", wechatpay_public_key="...")
req = client.terminate_papay_contract(plan_id=1, out_contract_code="c", contract_termination_remark="r")
assert_type(req, wt.Request[wt.PapayContract])
result = client.parse(req, 200, {}, b"")
assert_type(result.data["contract_state"], str)
assert_type(result.data.get("out_user_code"), Optional[str])
empty = client.parse(client.terminate_eduschoolpay_contract(contract_id="1"), 204, {}, b"")
assert_type(empty.data, None)
unsigned = client.unsigned.terminate_credit_repayment_contract(out_contract_code="1", contract_termination_remark="r")
assert_type(unsigned.complete("c2ln"), wt.Request[wt.CreditRepaymentTermination])
client.terminate_papay_contract(plan_id="1", out_contract_code="c", contract_termination_remark="r")  # E: wrong type
'''
    )
    result = run("-m", "mypy", "--strict", "--no-incremental", str(usage), cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Exactly the one deliberate mistake is reported, on the last line.
    assert len(lines) == 1, result.stdout
    assert "plan_id" in lines[0] and '"str"' in lines[0], lines[0]
