"""The interleaving harness of the Python-side benchmarks (the same scheme as tests/bench/rust,
node_bench.mjs and Bench.kt).

A figure is a set of variants: ours and its references. Each variant first runs alone for
WARMUP_S to estimate its calls per slice (SLICE seconds); then WARMUP_ROUNDS rounds are run and
discarded (JIT tiers, caches), and calls per slice are set once from them. Then ROUNDS rounds: a
round alternates the variants slice by slice (A B C A B C …, the order rotating every slice and
every round) until each variant has run BATCH seconds, and records per variant µs per call over
the round, as wall time and as CPU time of the process (every thread). Ratios are taken per round, so both sides of
a ratio always saw the same machine; report.py takes their median and min–max.
"""
import json
import os
import statistics
import time
from pathlib import Path
from typing import Callable, Dict

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench"

ROUNDS = int(os.environ.get("WXPAY_BENCH_ROUNDS", "15"))
BATCH = float(os.environ.get("WXPAY_BENCH_BATCH_S", "0.2"))
SLICE = float(os.environ.get("WXPAY_BENCH_SLICE_S", "0.01"))
WARMUP_S = float(os.environ.get("WXPAY_BENCH_WARMUP_S", "0.1"))
WARMUP_ROUNDS = int(os.environ.get("WXPAY_BENCH_WARMUP_ROUNDS", "1"))


def _slice(fn: Callable[[], object], calls: int) -> tuple:
    cpu = time.process_time_ns()
    wall = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return time.perf_counter_ns() - wall, time.process_time_ns() - cpu


def interleave(title: str, command: str, variants: Dict[str, Callable[[], object]], warmup_rounds: int = WARMUP_ROUNDS) -> dict:
    names = list(variants)
    k = len(names)
    slices = max(1, round(BATCH / SLICE))
    per_slice = {}
    for name, fn in variants.items():  # a first estimate of calls per slice
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < WARMUP_S or n < 3:
            fn()
            n += 1
        per_slice[name] = max(1, round(SLICE / ((time.perf_counter() - start) / n)))

    def round_(r: int) -> tuple:
        wall = dict.fromkeys(names, 0)
        cpu = dict.fromkeys(names, 0)
        for j in range(slices):
            for i in range(k):
                name = names[(i + r + j) % k]
                w, c = _slice(variants[name], per_slice[name])
                wall[name] += w
                cpu[name] += c
        return wall, cpu

    # Warm-up rounds, discarded: the same interleaving, then calls per slice from their timings.
    for r in range(warmup_rounds):
        wall, _ = round_(r)
        if r == warmup_rounds - 1:
            per_slice = {n: max(1, round(SLICE * 1e9 / (wall[n] / (per_slice[n] * slices)))) for n in names}
    wall_us = {n: [] for n in names}
    cpu_us = {n: [] for n in names}
    first = []
    for r in range(ROUNDS):
        wall, cpu = round_(r)
        for name in names:
            calls = per_slice[name] * slices
            wall_us[name].append(wall[name] / calls / 1000)
            cpu_us[name].append(cpu[name] / calls / 1000)
        first.append(names[r % k])
    summary = ", ".join(f"{n} {statistics.median(cpu_us[n]):.2f} µs" for n in names)
    print(f"{title}: {summary} (CPU, median)", flush=True)
    return {
        "title": title,
        "command": command,
        "variants": {n: {"calls_per_slice": per_slice[n], "slices": slices, "us": wall_us[n], "cpu_us": cpu_us[n]}
                     for n in names},
        "first": first,
    }


def save(name: str, figures: dict, **extra: object) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    doc = {"language": name, "rounds": ROUNDS, "batch_seconds": BATCH, "slice_seconds": SLICE,
           "warmup_rounds": WARMUP_ROUNDS, **extra,
           "figures": figures}
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
