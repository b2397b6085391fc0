"""make demo: Python, Node and Kotlin each terminate the four seed contracts (campus pay,
password-exempt, papay, credit repayment) on the local WeChat Pay sandbox over real HTTP and show
a tampered response being rejected; then a bulk run of 300 contracts is killed and resumed. Run under tests/sandbox/with_sandbox.py, which starts the
sandbox and sets SANDBOX_URL."""
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

LANGUAGES = [
    ("Python · requests", [sys.executable, str(ROOT / "examples/demo_python.py")], ROOT),
    ("Node · fetch", ["node", str(ROOT / "examples/demo_node.mjs")], ROOT),
    ("Kotlin · java.net.http", ["mvn", "-B", "-q", "--no-transfer-progress", "-Dstyle.color=never", "test-compile", "exec:java"],
     ROOT / "bindings-uniffi/kotlin"),
]


def main() -> int:
    url = os.environ.get("SANDBOX_URL")
    if not url:
        print("run me with tests/sandbox/with_sandbox.py (it starts the sandbox)", file=sys.stderr)
        return 2
    print(f"Local WeChat Pay sandbox at {url} (verifies every request signature, signs every answer)\n")
    failed = []
    for name, command, cwd in LANGUAGES:
        # Each language terminates the same seeded contracts, so start from fresh state.
        urllib.request.urlopen(urllib.request.Request(url + "/sandbox/reset", method="POST"), timeout=10).read()
        print(f"── {name} " + "─" * (60 - len(name)), flush=True)
        result = subprocess.run(command, cwd=cwd, timeout=600, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Maven 3.8 writes colour resets even in batch mode; the report is plain text.
        print(ANSI.sub("", result.stdout).rstrip("\n"), flush=True)
        if result.returncode != 0:
            failed.append(name)
        print(flush=True)
    print("── Python · bulk: terminate 300 contracts and know each one's end " + "─" * 6, flush=True)
    if bulk_demo(url) != 0:
        failed.append("bulk")
    print(flush=True)
    if failed:
        print(f"demo failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("Every language terminated the four seed contracts, rejected the tampered response and acknowledged\n"
          "the notification of a contract the user ended inside WeChat; the bulk run survived a kill -9 and\n"
          "confirmed the end of every contract.")
    return 0


def control(url: str, method: str, path: str, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def bulk_demo(url: str) -> int:
    """`python -m wxpay_terminate bulk` on 300 seeded contracts with faults injected at random,
    killed with SIGKILL a third of the way and run again: it resumes, and the sandbox's ledger
    shows each contract terminated exactly once."""
    control(url, "POST", "/sandbox/reset")
    seeded = control(url, "POST", "/sandbox/seed", {"collection": "papay", "owner": "1900007291", "count": 300,
                                                    "prefix": "DEMO", "terminated": 10})["records"]
    control(url, "POST", "/sandbox/chaos", {"seed": 7, "rates": {"reset_after": 0.03, "reset_before": 0.02,
                                                                 "system_error": 0.03, "ratelimit": 0.03, "probe": 0.01}})
    keys = control(url, "GET", "/sandbox/keys")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        contracts = tmp / "contracts.csv"
        with contracts.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "operation", "plan_id", "out_contract_code", "contract_termination_remark"])
            for r in seeded:
                writer.writerow([r["id"], "terminate_papay_contract", r["params"]["plan_id"],
                                 r["params"]["out_contract_code"], "业务下线，批量解约"])
            for i in range(5):
                writer.writerow([f"unknown-{i}", "terminate_papay_contract", 12535, f"NOSUCH{i}", "业务下线，批量解约"])
        public_key = tmp / "wechatpay_public_key.pem"
        public_key.write_text(keys["wechatpay_public_key"])
        journal = tmp / "run.db"
        command = [sys.executable, "-m", "wxpay_terminate", "bulk", "--input", str(contracts), "--journal", str(journal),
                   "--rate", "100", "--concurrency", "8", "--timeout", "2",
                   "--mchid", "1900007291", "--serial-no", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
                   "--private-key", str(ROOT / "tests/vectors/keys/merchant_doc_pkcs8.pem"),
                   "--wechatpay-public-key", str(public_key), "--wechatpay-public-key-id", keys["wechatpay_public_key_id"],
                   "--base-url", url]
        print("$ python -m wxpay_terminate bulk --input contracts.csv --journal run.db --rate 100 --concurrency 8 …")
        print("  (305 rows: 300 seeded contracts, 10 of them already ended by the user, and 5 unknown ones;")
        print("   the sandbox drops, fails or rate-limits some answers at random)", flush=True)
        run = subprocess.Popen(command)
        while _done(journal) < 100 and run.poll() is None:
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait()
        print(f"\n!! killed with SIGKILL after {_done(journal)} contracts: running the same command again resumes", flush=True)
        if subprocess.run(command).returncode != 0:
            return 1
        report = list(csv.DictReader((tmp / "run.report.csv").open(encoding="utf-8")))
        print("\nrun.report.csv (one row of each outcome):")
        firsts = {}
        for row in report:
            firsts.setdefault(row["outcome"], row)
        for row in firsts.values():
            print(f"  {row['id']:<26} {row['outcome']:<19} {row['evidence']:<19} {row['request_id'][:12]}…  {row['reason'][:60]}")
    control(url, "POST", "/sandbox/chaos", {})
    totals = control(url, "GET", "/sandbox/ledger")["totals"]
    print(f"\nsandbox ledger: {totals['applied']} terminations applied (each contract once), "
          f"{totals['after_confirmed']} sent after a contract was confirmed", flush=True)
    return 0 if totals["applied"] == 290 and totals["after_confirmed"] == 0 else 1


def _done(journal: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT COUNT(*) FROM contracts WHERE outcome IS NOT NULL").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


if __name__ == "__main__":
    sys.exit(main())
