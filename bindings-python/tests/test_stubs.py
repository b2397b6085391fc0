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
from typing import Any, Dict, Optional
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
notifier = wt.Client(mchid="1", serial_no="AB", wechatpay_public_key_id="PUB_KEY_ID_1", wechatpay_public_key=b"...", apiv3_key=b"k" * 32)
n = notifier.parse_notification({"Wechatpay-Serial": "x"}, b"{}", now=1)
assert_type(n["id"], str)
if wt.is_event(n, "ENTRUST.TERMINATE"):
    assert_type(n, wt.PapayTerminatedNotification)
    assert_type(n["resource"]["contract_state"], str)
    assert_type(n["resource"].get("contract_terminate_info"), Optional[wt.TerminationInfo])
elif wt.is_event(n, "MCHTRANSFER.AUTHORIZATION.CLOSED"):
    assert_type(n["resource"]["out_authorization_no"], str)
elif wt.is_event(n, "ENTRUST.SIGN"):
    assert_type(n["resource"], Dict[str, Any])
assert_type(n.get("summary"), Optional[str])
reply: wt.NotificationReply = wt.notification_ack() if n["id"] else wt.notification_nack("retry")
assert_type(reply.body, bytes)
assert_type(reply.headers, Dict[str, str])
download = client.certificates_request()
certs = client.parse_certificates(200, {}, b"")
assert_type(certs["certificates"][0]["not_after"], int)
client.update_certificates(certs)
assert_type(client.certificates_refresh_due(), bool)
try:
    pass
except wt.DecryptionError as e:
    assert_type(e.message, str)
    assert_type(e.api_message, Optional[str])
client.terminate_papay_contract(plan_id="1", out_contract_code="c", contract_termination_remark="r")  # E: wrong type
'''
    )
    result = run("-m", "mypy", "--strict", "--no-incremental", str(usage), cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Exactly the one deliberate mistake is reported, on the last line.
    assert len(lines) == 1, result.stdout
    assert "plan_id" in lines[0] and '"str"' in lines[0], lines[0]
