"""``python -m wxpay_terminate bulk``: the CSV, the journal, pacing, and the end-to-end run —
thousands of sandbox contracts under faults with two ``kill -9`` restarts, checked against the
sandbox's own ledger (each terminated exactly once, nothing sent after confirmation, no request
over the rate limit) and state (the report matches it row for row)."""
from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import wxpay_terminate as wt
from wxpay_terminate import bulk

from conftest import KEYS, Sandbox, start_sandbox

#: Contracts in the end-to-end run, and the pace (the sandbox enforces the same limit).
CONTRACTS = int(os.environ.get("WXPAY_BULK_CONTRACTS", "5000"))
RATE = 100
ALREADY = 40  # seeded as already terminated by the user
MISSING = 25  # rows naming contracts the sandbox does not have


def write_csv(path: Path, rows: List[Dict[str, Any]]) -> None:
    columns: List[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def cli(*args: str, env: Dict[str, str] | None = None, **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "wxpay_terminate", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def merchant_args(sandbox: Sandbox, tmp: Path) -> List[str]:
    public_key = tmp / "wechatpay_public_key.pem"
    public_key.write_text(sandbox.public_key)
    return ["--mchid", "1900007291", "--serial-no", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
            "--private-key", str(KEYS / "merchant_doc_pkcs8.pem"), "--wechatpay-public-key", str(public_key),
            "--wechatpay-public-key-id", sandbox.public_key_id, "--base-url", sandbox.url]


# ---- units ------------------------------------------------------------------------------------


def test_rows_take_types_from_the_catalog_and_query_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    write_csv(path, [
        {"id": "a", "operation": "terminate_papay_contract", "plan_id": "12535", "out_contract_code": "007",
         "contract_termination_remark": "r", "query.out_user_id": ""},
        {"id": "", "operation": "terminate_facepay_user_contract", "organization_id": "1000032", "user_id": "U1",
         "query.out_user_id": "student-1"},
    ])
    rows, digest = bulk.load_rows(path)
    assert len(digest) == 64
    assert rows[0].key == "a" and rows[0].params == {"plan_id": 12535, "out_contract_code": "007",
                                                     "contract_termination_remark": "r"}
    assert rows[1].key == "2" and rows[1].query_params == {"out_user_id": "student-1"}
    # organization_id is a string in the catalog: digits stay text.
    assert rows[1].params["organization_id"] == "1000032"

    write_csv(path, [{"id": "x", "operation": "terminate_edu_papay_contract"}, {"id": "x", "operation": "y"}])
    with pytest.raises(wt.InvalidInputError, match="id 'x' is on rows 1 and 2"):
        bulk.load_rows(path)
    path.write_text("plan_id,out_contract_code\n1,2\n")
    with pytest.raises(wt.InvalidInputError, match="operation"):
        bulk.load_rows(path)


def test_the_pacer_keeps_every_one_second_window_within_the_rate() -> None:
    clock = [0.0]
    sent: List[float] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    pacer = bulk.Pacer(20, clock=lambda: clock[0], sleep=sleep)
    for _ in range(100):
        pacer.acquire()
        sent.append(clock[0])
    # (the fake clock adds floats: a nanosecond of slack for its own rounding)
    assert max(sum(1 for t in sent if start <= t < start + 1 - 1e-9) for start in sent) == 20
    pacer.rate_limited()
    pacer.rate_limited()  # within the same second: one signal
    assert pacer.current_rate == 10
    before = clock[0]
    pacer.acquire()
    pacer.acquire()
    assert clock[0] - before == pytest.approx(0.05 + 0.1)
    with pytest.raises(wt.InvalidInputError):
        bulk.Pacer(0)


def test_dry_run_sends_nothing_and_names_each_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    write_csv(path, [
        {"operation": "terminate_papay_contract", "plan_id": "12535", "out_contract_code": "ok1",
         "contract_termination_remark": "r"},
        {"operation": "terminate_papay_contract", "plan_id": "12535", "out_contract_code": "x" * 33,
         "contract_termination_remark": "r"},
        {"operation": "terminate_facepay_user_contract", "organization_id": "1", "user_id": "u"},
    ])
    p = cli("bulk", "--input", str(path), "--journal", str(tmp_path / "j.db"), "--dry-run")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, err
    assert "row 2 (id 2): " in out and "out_contract_code" in out
    assert "row 3 (id 3): " in out and "out_user_id" in out
    assert "1 terminate_papay_contract (confirmed by query_papay_contract)" in " ".join(out.split())
    assert "nothing was sent" in out
    assert not (tmp_path / "j.db").exists()


def test_usage_errors_exit_2_and_secrets_never_come_from_arguments(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("operation\nterminate_edu_papay_contract\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXPAY_")}
    p = cli("bulk", "--input", str(path), "--journal", str(tmp_path / "j.db"), "--mchid", "1", "--serial-no", "2",
            env=env)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "--private-key FILE or $WXPAY_PRIVATE_KEY" in err
    help_text = cli("bulk", "--help").communicate(timeout=60)[0]
    assert "--private-key FILE" in help_text and "--private-key-text" not in help_text


# ---- end to end -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_sandbox() -> Iterator[Sandbox]:
    # WeChat Pay's own answer to a merchant over its rate: 429 RATELIMIT_EXCEEDED.
    yield from start_sandbox("--rate-limit", str(RATE))


def journal_done(path: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT COUNT(*) FROM contracts WHERE outcome IS NOT NULL").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def run_until(args: List[str], journal: Path, done_at_least: int) -> None:
    """Starts the bulk command and kills it with SIGKILL once the journal holds enough outcomes."""
    p = cli(*args)
    deadline = time.monotonic() + 600
    while journal_done(journal) < done_at_least:
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "the bulk run made no progress"
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)


def test_thousands_of_contracts_under_faults_with_two_kills(limited_sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox = limited_sandbox
    sandbox.control("POST", "/sandbox/reset")
    seeded = sandbox.control("POST", "/sandbox/seed", {"collection": "papay", "owner": "1900007291",
                                                       "count": CONTRACTS, "prefix": "BULK", "terminated": ALREADY})
    records = seeded["records"]
    rows: List[Dict[str, Any]] = []
    for record in records:
        rows.append({"id": record["id"], "operation": "terminate_papay_contract",
                     "plan_id": record["params"]["plan_id"], "out_contract_code": record["params"]["out_contract_code"],
                     "contract_termination_remark": "批量解约"})
    for i in range(MISSING):
        rows.append({"id": f"missing-{i}", "operation": "terminate_papay_contract", "plan_id": 12535,
                     "out_contract_code": f"NOSUCH{i:05d}", "contract_termination_remark": "批量解约"})
    contracts = tmp_path / "contracts.csv"
    write_csv(contracts, rows)
    journal = tmp_path / "run.db"
    sandbox.control("POST", "/sandbox/chaos", {
        "seed": 20261202, "burst": 3, "delay_ms": 1500,
        "rates": {"reset_before": 0.02, "reset_after": 0.03, "slow": 0.005, "ratelimit": 0.02,
                  "system_error": 0.02, "probe": 0.01, "bad_signature": 0.01},
    })
    args = ["bulk", "--input", str(contracts), "--journal", str(journal), "--rate", str(RATE),
            "--concurrency", "8", "--timeout", "1", *merchant_args(sandbox, tmp_path)]

    total = len(rows)
    run_until(args, journal, total // 3)
    run_until(args, journal, 2 * total // 3)
    p = cli(*args)
    out, err = p.communicate(timeout=900)
    assert p.returncode == 0, (out, err[-2000:])
    assert f"{total} contracts: {CONTRACTS - ALREADY} terminated, {ALREADY} already terminated, {MISSING} not found, 0 failed" in out

    ledger = sandbox.control("GET", "/sandbox/ledger")
    chaos = sandbox.control("GET", "/sandbox/chaos")
    assert sum(chaos["counts"].values()) > total // 20, chaos["counts"]  # faults really happened
    assert ledger["rate_limited"] == 0, "a request exceeded the merchant's rate limit"
    state = {r["id"]: r for r in sandbox.control("GET", "/sandbox/state")["records"]}
    report = {row["id"]: row for row in csv.DictReader((tmp_path / "run.report.csv").open(encoding="utf-8"))}
    assert len(report) == total
    for record in records:
        entry = ledger["contracts"][record["id"]]
        was_effective = record["state"] == "EFFECTIVE"
        assert entry["applied"] == (1 if was_effective else 0), (record["id"], entry)
        assert entry["after_confirmed"] == 0, (record["id"], entry)
        assert state[record["id"]]["state"] == "TERMINATED"
        row = report[record["id"]]
        assert row["outcome"] == ("terminated" if was_effective else "already_terminated"), row
        assert row["request_id"], row
    for i in range(MISSING):
        assert report[f"missing-{i}"]["outcome"] == "not_found"
    assert ledger["totals"]["after_confirmed"] == 0
    assert ledger["totals"]["applied"] == CONTRACTS - ALREADY

    # The report is a function of the journal alone.
    again = tmp_path / "again.csv"
    p = cli("report", "--journal", str(journal), "--report", str(again))
    out2, _ = p.communicate(timeout=60)
    assert p.returncode == 0 and again.read_text() == (tmp_path / "run.report.csv").read_text()
    assert out2.splitlines()[0] == out.splitlines()[-2]

    # The journal knows every step, and a finished run resumed sends nothing.
    db = sqlite3.connect(str(journal))
    sending = db.execute("SELECT COUNT(*) FROM steps WHERE event = 'sending'").fetchone()[0]
    db.close()
    assert sending >= total
    # Neither the journal nor the report holds a signature or key material.
    key_lines = [line for line in (KEYS / "merchant_doc_pkcs8.pem").read_text().splitlines() if len(line) >= 40]
    for path in (journal, tmp_path / "run.report.csv"):
        data = path.read_bytes()
        assert b"WECHATPAY2-SHA256-RSA2048" not in data and b'signature="' not in data, path
        assert not any(line.encode() in data for line in key_lines), path
    before = sandbox.control("GET", "/sandbox/ledger")["totals"]
    p = cli(*args)
    p.communicate(timeout=120)
    assert p.returncode == 0
    assert sandbox.control("GET", "/sandbox/ledger")["totals"] == before
    sandbox.control("POST", "/sandbox/chaos", {})


def test_a_journal_refuses_another_input(limited_sandbox: Sandbox, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    write_csv(first, [{"operation": "terminate_papay_contract", "plan_id": "12535", "out_contract_code": "NOSUCH1",
                       "contract_termination_remark": "r"}])
    journal = tmp_path / "j.db"
    args = ["--journal", str(journal), *merchant_args(limited_sandbox, tmp_path)]
    p = cli("bulk", "--input", str(first), *args)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    second = tmp_path / "b.csv"
    write_csv(second, [{"operation": "terminate_papay_contract", "plan_id": "12535", "out_contract_code": "NOSUCH2",
                        "contract_termination_remark": "r"}])
    p = cli("bulk", "--input", str(second), *args)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and "made from another input" in err
