#!/usr/bin/env python3
"""Writes docs/benchmarks.md from criterion's estimates and `openssl speed`.

Run by `make bench` after `cargo bench`; reads target/criterion/*/new/estimates.json.
"""
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRITERION = ROOT / "target" / "criterion"
OUT = ROOT / "docs" / "benchmarks.md"


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def criterion_results():
    rows = []
    for estimates in sorted(CRITERION.glob("**/new/estimates.json")):
        bench = json.loads((estimates.parent / "benchmark.json").read_text())
        mean = json.loads(estimates.read_text())["mean"]
        rows.append((bench["full_id"], mean["point_estimate"], mean["confidence_interval"]))
    return rows


def openssl_rsa2048():
    """Sign and verify operations per second of `openssl speed rsa2048` (one core)."""
    out = sh("openssl", "speed", "-seconds", "3", "rsa2048")
    m = re.search(r"rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out)
    # ops/s columns are more precise than the rounded seconds-per-op columns.
    return (1 / float(m.group(1)), 1 / float(m.group(2))) if m else None


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main():
    rows = criterion_results()
    if not rows:
        sys.exit("no criterion results: run `cargo bench -p wxpay-terminate` first")
    limit = openssl_rsa2048()
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (criterion for the Rust core, `openssl speed rsa2048` as the limit);"
        " numbers are single-threaded means. Re-run it after any change to signing or parsing.",
        "",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- Toolchain: {sh('rustc', '--version')}; {sh('openssl', 'version')}",
        "- Command: `make bench`",
        "",
        "| benchmark | mean | 95% interval |",
        "|---|---|---|",
    ]
    for name, mean, ci in rows:
        lines.append(f"| Rust core: {name} | {fmt(mean)} | {fmt(ci['lower_bound'])} – {fmt(ci['upper_bound'])} |")
    if limit:
        sign_s, verify_s = limit
        lines.append(f"| OpenSSL limit: RSA-2048 sign | {fmt(sign_s * 1e9)} | – |")
        lines.append(f"| OpenSSL limit: RSA-2048 verify | {fmt(verify_s * 1e9)} | – |")
        sign = next((m for n, m, _ in rows if n.startswith("prepare_sign")), None)
        if sign:
            lines += ["", f"Build + sign one request is **{sign / (sign_s * 1e9):.1f}×** the OpenSSL signing limit"
                      " with the portable `rsa` backend (see issue: a native backend)."]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
