"""Timing helpers shared by the Python-side benchmarks: medians of repeated batches, in µs."""
import json
import statistics
import time
from pathlib import Path
from typing import Callable, Dict

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench"


def per_call_us(fn: Callable[[], object], batch: int = 200, batches: int = 7, warmup: int = 50) -> float:
    """Median over `batches` of the mean time of one call in a batch of `batch` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(samples)


def save(name: str, results: Dict[str, float]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{name}: {key} = {value:.2f}")
