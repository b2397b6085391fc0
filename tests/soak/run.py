#!/usr/bin/env python3
"""`make soak`: load with faults, nothing lost. For each language in turn, thousands of sandbox
contracts are terminated concurrently through the language's terminate-and-confirm helper while
the sandbox injects faults at random (connection resets before and after the termination is
applied, answers slower than the client's timeout, 429 and 500 bursts, signature probes and bad
signatures) and delivers every termination notification, some twice. Then everything is counted
from the sandbox, never from the client's say-so:

- every contract was terminated exactly once (the ledger's `applied`), none was terminated again
  after an answer had confirmed it (`after_confirmed`), and its state is TERMINATED;
- the client knows every contract's final state, and that state is the sandbox's;
- every answer a client took as evidence is, by its Request-ID in the sandbox's log, an answer
  the sandbox sent intact (no probe, bad signature or tampered body was accepted);
- the client's resident memory is flat from the first tenth of the run to its end.

    tests/soak/run.py [--contracts N] [--concurrency C] [--languages python,node,kotlin] [--out FILE]

Each client is a program of its own (tests/soak/client.py, client.mjs, the Kotlin `SoakKt`) that
reads its contracts and settings from the environment (see `client_env`) and writes a summary
JSON. Exit status 0 when every check passes for every language.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "sandbox" / "server.py"
MCHID = "1900007291"
#: Faults after which the answer must not be trusted; an accepted answer with one is a failure.
SPOILED = {"probe", "bad_signature", "tampered_body", "truncated_body", "unknown_serial", "skew", "missing_headers"}
CHAOS = {
    "reset_before": 0.02, "reset_after": 0.03, "slow": 0.005, "ratelimit": 0.03, "system_error": 0.03,
    "probe": 0.01, "bad_signature": 0.01, "tampered_body": 0.005, "notify_duplicate": 0.2,
}
ALREADY = 20  # per language, seeded as already terminated by the user
# The clients allow 12 terminate sends per contract: with these rates and bursts of 3, about a
# quarter of requests fail without being applied, so 8 in a row happen about once in 30,000
# contracts (a `failed` outcome — honest, but counted as lost here); 12 in a row, never.

CLIENTS = {
    "python": [sys.executable, str(ROOT / "tests" / "soak" / "client.py")],
    "node": ["node", "--expose-gc", str(ROOT / "target" / "soak" / "node" / "client.mjs")],
    "kotlin": ["mvn", "-B", "-q", "--no-transfer-progress", "-Dkotlin.compiler.daemon=false",
               "-f", str(ROOT / "bindings-uniffi" / "kotlin" / "pom.xml"), "exec:java",
               "-Dexec.classpathScope=test", "-Dexec.mainClass=com.wxpayterminate.SoakKt"],
}


def control(url: str, method: str, path: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


def run_language(url: str, language: str, contracts: int, concurrency: int, work: Path) -> Dict[str, Any]:
    seeded = control(url, "POST", "/sandbox/seed", {"collection": "papay", "owner": MCHID, "count": contracts,
                                                     "prefix": f"SOAK{language.upper()[:2]}", "terminated": ALREADY})
    records = seeded["records"]
    contracts_file = work / f"{language}.contracts.json"
    contracts_file.write_text(json.dumps([
        {"id": r["id"], "operation": "terminate_papay_contract",
         "params": {**r["params"], "contract_termination_remark": "压力测试解约"}} for r in records
    ], ensure_ascii=False), encoding="utf-8")
    summary_file = work / f"{language}.summary.json"
    keys = control(url, "GET", "/sandbox/keys")
    env = {
        **os.environ,
        "SANDBOX_URL": url,
        "SOAK_CONTRACTS": str(contracts_file),
        "SOAK_CONCURRENCY": str(concurrency),
        "SOAK_OUT": str(summary_file),
        "SOAK_TIMEOUT_MS": "1000",
        "SOAK_MCHID": MCHID,
        "SOAK_SERIAL_NO": "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        "SOAK_PRIVATE_KEY_FILE": str(ROOT / "tests" / "vectors" / "keys" / "merchant_doc_pkcs8.pem"),
        "SOAK_PUBLIC_KEY_ID": keys["wechatpay_public_key_id"],
        "SOAK_PUBLIC_KEY": keys["wechatpay_public_key"],
        "SOAK_APIV3_KEY": next(m["apiv3_key"] for m in keys["merchants"] if m["mchid"] == MCHID),
    }
    control(url, "POST", "/sandbox/chaos", {"seed": 20261202, "burst": 3, "delay_ms": 1500, "rates": CHAOS})
    started = time.monotonic()
    done = subprocess.run(CLIENTS[language], env=env, timeout=3600)
    elapsed = time.monotonic() - started
    chaos = control(url, "GET", "/sandbox/chaos")
    control(url, "POST", "/sandbox/chaos", {})
    if done.returncode != 0:
        return {"language": language, "problems": [f"client exited {done.returncode}"]}
    # The last notifications may still be on their way: give the sandbox a moment to finish them.
    time.sleep(2)
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    return check(url, language, records, summary, chaos, elapsed)


def check(url: str, language: str, records: List[Dict[str, Any]], summary: Dict[str, Any],
          chaos: Dict[str, Any], elapsed: float) -> Dict[str, Any]:
    problems: List[str] = []
    ledger = control(url, "GET", "/sandbox/ledger")["contracts"]
    state = {r["id"]: r for r in control(url, "GET", "/sandbox/state?collection=papay&owner=" + MCHID)["records"]}
    log = {e["request_id"]: e for e in control(url, "GET", "/sandbox/log")["requests"]}
    outcomes = {o["id"]: o for o in summary["outcomes"]}
    double = lost = unverified = wrong = 0
    for record in records:
        rid = record["id"]
        entry = ledger.get(rid, {})
        effective = record["state"] == "EFFECTIVE"
        if entry.get("applied", 0) != (1 if effective else 0) or entry.get("after_confirmed", 0):
            double += 1
            problems.append(f"{rid}: ledger {entry}")
        if state[rid]["state"] != "TERMINATED":
            problems.append(f"{rid}: the sandbox has it {state[rid]['state']}")
        outcome = outcomes.get(rid)
        if outcome is None or outcome["kind"] == "failed":
            lost += 1
            problems.append(f"{rid}: the client does not know its end ({outcome})")
            continue
        expected = "terminated" if effective else "already_terminated"
        if outcome["kind"] != expected:
            wrong += 1
            problems.append(f"{rid}: the client believes {outcome['kind']}, the sandbox says {expected}")
        evidence_id = outcome.get("request_id")
        if evidence_id:
            sent = log.get(evidence_id)
            if sent is None or sent.get("fault") in SPOILED:
                unverified += 1
                problems.append(f"{rid}: evidence {evidence_id} is an answer the sandbox spoiled ({sent})")
    rss = summary["rss_kb"]
    growth = rss["end"] - rss["start"]
    if growth > max(0.25 * rss["start"], 30_000):
        problems.append(f"resident memory grew from {rss['start']} kB to {rss['end']} kB")
    notes = summary.get("notifications", {})
    return {
        "language": language,
        "contracts": len(records),
        "seconds": round(elapsed, 1),
        "requests": summary.get("requests"),
        "faults_injected": sum(chaos.get("counts", {}).values()),
        "faults": chaos.get("counts", {}),
        "outcomes": _count(o["kind"] for o in summary["outcomes"]),
        "evidence": _count(o.get("source") or "-" for o in summary["outcomes"]),
        "notifications": notes,
        "lost": lost,
        "double_terminated": double,
        "unverified_accepted": unverified,
        "wrong_belief": wrong,
        "rss_kb": {"start": rss["start"], "end": rss["end"], "max": rss["max"]},
        "problems": problems[:20],
    }


def _count(items: Any) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--contracts", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--languages", default="python,node,kotlin")
    p.add_argument("--out", type=Path, default=ROOT / "target" / "soak" / "soak.json")
    args = p.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", "0", "--quiet", "--notify-time-scale", "0.001", "--notify-timeout", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    results = []
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().split("=", 1)[1]
        with tempfile.TemporaryDirectory() as tmp:
            for language in args.languages.split(","):
                print(f"soak: {language}, {args.contracts} contracts, {args.concurrency} concurrent", flush=True)
                result = run_language(url, language, args.contracts, args.concurrency, Path(tmp))
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "problems"}, ensure_ascii=False), flush=True)
                for problem in result.get("problems", []):
                    print(f"  PROBLEM {problem}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"soak: written {args.out}")
    failed = [r["language"] for r in results if r.get("problems")]
    if failed:
        print(f"soak: FAILED for {', '.join(failed)}", file=sys.stderr)
        return 1
    print("soak: every contract terminated exactly once and known to its client; no unverified answer accepted; memory flat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
