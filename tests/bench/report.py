#!/usr/bin/env python3
"""Writes docs/benchmarks.md from one `make bench` run: criterion (Rust, both backends),
target/bench/{python,node,kotlin}.json and `openssl speed rsa2048`, with each figure as a ratio
to the fastest peer SDK and to the OpenSSL limit, and the targets of the performance issue."""
import json
import os
import platform
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRITERION = ROOT / "target" / "criterion"
RESULTS = ROOT / "target" / "bench"
OUT = ROOT / "docs" / "benchmarks.md"


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def criterion() -> dict:
    out = {}
    for estimates in CRITERION.glob("**/new/estimates.json"):
        name = json.loads((estimates.parent / "benchmark.json").read_text())["full_id"]
        out[name] = json.loads(estimates.read_text())["mean"]["point_estimate"] / 1000  # ns → µs
    return out


def openssl_limit() -> tuple:
    """µs per RSA-2048 sign and verify on one core (from the ops/s columns, more precise)."""
    text = sh("openssl", "speed", "-seconds", "5", "rsa2048")
    m = re.search(r"rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", text)
    return (1e6 / float(m.group(1)), 1e6 / float(m.group(2))) if m else (None, None)


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def package_sizes() -> list:
    """The npm tarball and .wasm sizes `make test-js` records (target/npm/sizes.json)."""
    path = ROOT / "target" / "npm" / "sizes.json"
    if not path.exists():
        return []
    sizes = json.loads(path.read_text())
    kb = lambda n: f"{n / 1024:,.0f} KiB"  # noqa: E731
    return ["", "## Package sizes (npm)", "", "| file | raw | gzip |", "|---|---:|---:|",
            f"| tarball `{sizes['tarball']['file']}` | {kb(sizes['tarball']['raw'])} (tar) | {kb(sizes['tarball']['gzip'])} (.tgz) |",
            f"| `{sizes['wasm']['file']}` | {kb(sizes['wasm']['raw'])} | {kb(sizes['wasm']['gzip'])} |"]


def main() -> None:
    rust, py, node, kt = criterion(), load("python"), load("node"), load("kotlin")
    sign_limit, verify_limit = openssl_limit()
    peers = {k: v for k, v in {"wechatpayv3 (Python)": py.get("peer_wechatpayv3_us"),
                               "wechatpay-axios-plugin (Node)": node.get("peer_axios_plugin_us")}.items() if v}
    fastest_peer = min(peers.values()) if peers else None

    def ratio(value, base):
        return f"{value / base:.2f}×" if value and base else "–"

    rows = [
        ("Rust core, aws-lc backend", rust.get("aws-lc/prepare_sign")),
        ("Rust core, portable rsa backend", rust.get("rsa/prepare_sign")),
        ("Python binding (aws-lc)", py.get("python_sign_us")),
        ("Kotlin on the JVM (aws-lc via JNA)", kt.get("kotlin_sign_us")),
        ("JS in Node, node:crypto (default)", node.get("node_node_sign_us")),
        ("JS in Node, WebCrypto", node.get("node_webcrypto_sign_us")),
        ("JS in Node, pure WASM", node.get("node_wasm_sign_us")),
        *[(f"peer: {name}", value) for name, value in peers.items()],
        ("limit: openssl speed rsa2048 (sign)", sign_limit),
    ]
    verify_rows = [
        ("Rust core, aws-lc backend", rust.get("aws-lc/parse_verify_200")),
        ("Rust core, portable rsa backend", rust.get("rsa/parse_verify_200")),
        ("Python binding", py.get("python_parse_verify_us")),
        ("Kotlin on the JVM", kt.get("kotlin_parse_verify_us")),
        ("JS in Node, node:crypto (default)", node.get("node_node_parse_verify_us")),
        ("JS in Node, WebCrypto", node.get("node_webcrypto_parse_verify_us")),
        ("JS in Node, pure WASM", node.get("node_wasm_parse_verify_us")),
        ("limit: OpenSSL verify + json.loads (Python cryptography)", py.get("limit_openssl_verify_json_us")),
        ("limit: openssl speed rsa2048 (verify only)", verify_limit),
    ]
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` in one run on one machine; single thread unless stated, µs per request",
        "(criterion means for Rust, medians of batches elsewhere). Targets come from the performance issue;",
        "they are measured here, never asserted in tests.",
        "",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- Toolchain: {sh('rustc', '--version')}; {sh('openssl', 'version')}; Python {platform.python_version()}; "
        f"Node {sh('node', '--version')}; {sh('java', '-version') or 'Java 17'}",
        "- Command: `make bench`",
        "",
        "## Build and sign one terminate request",
        "",
        "| who | µs | × fastest peer | × OpenSSL limit |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {value:.1f} | {ratio(value, fastest_peer)} | {ratio(value, sign_limit)} |"
              for name, value in rows if value]
    lines += ["", "## Parse and verify a 200 response", "", "| who | µs | × OpenSSL verify + JSON |", "|---|---:|---:|"]
    limit_vj = py.get("limit_openssl_verify_json_us")
    lines += [f"| {name} | {value:.1f} | {ratio(value, limit_vj)} |" for name, value in verify_rows if value]

    notification_rows = [
        ("Rust core, aws-lc backend", rust.get("aws-lc/parse_notification")),
        ("Rust core, portable rsa backend", rust.get("rsa/parse_notification")),
        ("Python binding", py.get("python_parse_notification_us")),
        ("limit: OpenSSL verify + AES-256-GCM + json.loads (Python cryptography)",
         py.get("limit_openssl_verify_aesgcm_json_us")),
    ]
    limit_n = py.get("limit_openssl_verify_aesgcm_json_us")
    lines += ["", "## Verify, decrypt and type a termination notification", "",
              "| who | µs | × OpenSSL verify + AES-GCM + JSON |", "|---|---:|---:|"]
    lines += [f"| {name} | {value:.1f} | {ratio(value, limit_n)} |" for name, value in notification_rows if value]

    rust_overhead = rust.get("aws-lc/prepare_unsigned")
    py_overhead = (py.get("python_prepare_unsigned_us") or 0) - (rust_overhead or 0) if py.get("python_prepare_unsigned_us") else None
    lines += [
        "",
        "## Everything but RSA",
        "",
        f"- Rust, build a request without signing: {rust_overhead:.2f} µs" if rust_overhead else "- Rust: –",
        f"- Python call overhead on top (unsigned build from Python − Rust): {py_overhead:.2f} µs" if py_overhead is not None else "- Python: –",
        f"- JS unsigned build (WASM boundary included): {node.get('node_prepare_unsigned_us', 0):.2f} µs",
        f"- Kotlin unsigned build (JNA boundary included): {kt.get('kotlin_prepare_unsigned_us', 0):.2f} µs",
        "",
        "## Python threads",
        "",
        f"- 1 thread: {py.get('python_1_thread_per_s', 0):.0f} signed requests/s; 2 threads: "
        f"{py.get('python_2_threads_per_s', 0):.0f}/s; scaling {py.get('python_2_thread_scaling', 0):.2f}× (2 cores)",
        "",
        "## Targets",
        "",
    ]

    def target(label: str, ok, detail: str) -> str:
        mark = "–" if ok is None else ("met" if ok else "**not met**")
        return f"| {label} | {detail} | {mark} |"

    def le(value, bound):
        return None if value is None or bound is None else value <= bound

    native = {"Rust (aws-lc)": rust.get("aws-lc/prepare_sign"), "Python": py.get("python_sign_us"), "Kotlin": kt.get("kotlin_sign_us")}
    lines += ["| target | measured | |", "|---|---|---|"]
    for name, value in native.items():
        lines.append(target(f"{name} sign ≤ 1.0× fastest peer", le(value, fastest_peer), ratio(value, fastest_peer)))
        lines.append(target(f"{name} sign ≤ 1.1× OpenSSL limit", le(value, 1.1 * sign_limit if sign_limit else None), ratio(value, sign_limit)))
    lines.append(target("Rust all-but-RSA ≤ 3 µs", le(rust_overhead, 3.0), f"{rust_overhead:.2f} µs" if rust_overhead else "–"))
    lines.append(target("Python overhead ≤ 3 µs", le(py_overhead, 3.0), f"{py_overhead:.2f} µs" if py_overhead is not None else "–"))
    axios = node.get("peer_axios_plugin_us")
    lines.append(target("JS in Node (default node:crypto) ≤ 1.1× axios plugin", le(node.get("node_node_sign_us"), 1.1 * axios if axios else None), ratio(node.get("node_node_sign_us"), axios)))
    lines.append(target("JS in Node with WebCrypto ≤ 1.1× axios plugin", le(node.get("node_webcrypto_sign_us"), 1.1 * axios if axios else None), ratio(node.get("node_webcrypto_sign_us"), axios)))
    lines.append(target("pure WASM ≥ 3× faster than 16,300 µs", le(node.get("node_wasm_sign_us"), 16300 / 3), f"{node.get('node_wasm_sign_us', 0):.0f} µs"))
    lines.append(target("Rust parse+verify ≤ 1.2× OpenSSL verify + JSON", le(rust.get("aws-lc/parse_verify_200"), 1.2 * limit_vj if limit_vj else None), ratio(rust.get("aws-lc/parse_verify_200"), limit_vj)))
    lines.append(target("Python 2 threads ≥ 1.8× 1 thread", None if not py.get("python_2_thread_scaling") else py["python_2_thread_scaling"] >= 1.8, f"{py.get('python_2_thread_scaling', 0):.2f}×"))
    lines.append(target("Rust notification ≤ 1.2× OpenSSL verify + AES-GCM + JSON", le(rust.get("aws-lc/parse_notification"), 1.2 * limit_n if limit_n else None), ratio(rust.get("aws-lc/parse_notification"), limit_n)))
    lines.append(target("Python notification ≤ 1.2× OpenSSL verify + AES-GCM + JSON", le(py.get("python_parse_notification_us"), 1.2 * limit_n if limit_n else None), ratio(py.get("python_parse_notification_us"), limit_n)))
    lines += package_sizes()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
