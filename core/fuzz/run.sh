#!/usr/bin/env bash
# Fuzzes every target (or the ones named) for SECONDS each, one process at a time, and prints
# per target: executions, exec/s, coverage (cov/ft from libFuzzer's final status line), corpus
# size and crashes (crash-/timeout-/oom-/leak- artifacts written by this run).
#
#   core/fuzz/run.sh SECONDS [TARGET…]     e.g. `run.sh 5` (smoke) or `run.sh 600 response`
#
# Needs cargo-fuzz (installed from crates.io when missing) and a nightly toolchain, else the
# default one with RUSTC_BOOTSTRAP=1; FUZZ_TOOLCHAIN overrides.
# Seeds come from tests/vectors through seed.py; corpus/, artifacts/ and logs/ are generated
# (`rm -rf core/fuzz/corpus` starts over from the seeds).
# Exits 1 when any target crashed; the reproducer is the artifact path printed with it:
#   core/fuzz/target/x86_64-unknown-linux-gnu/release/TARGET ARTIFACT
set -euo pipefail

SECONDS_EACH=${1:?usage: run.sh SECONDS [TARGET…]}
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_TARGETS=(response notification certificates keys template params confirm)
if (($#)); then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
# cargo-fuzz wants nightly; without one (rustup cannot download toolchains on every machine),
# the default toolchain with RUSTC_BOOTSTRAP=1 builds the same instrumented binaries.
if [[ -n "${FUZZ_TOOLCHAIN:-}" ]]; then
    TOOLCHAIN=$FUZZ_TOOLCHAIN
elif rustc +nightly -V >/dev/null 2>&1; then
    TOOLCHAIN=nightly
else
    TOOLCHAIN=$(rustup show active-toolchain | cut -d' ' -f1)
    export RUSTC_BOOTSTRAP=1
    echo "run.sh: no nightly toolchain; using $TOOLCHAIN with RUSTC_BOOTSTRAP=1" >&2
fi
TRIPLE=$(rustc "+$TOOLCHAIN" -vV | sed -n 's/^host: //p')
# The machine is shared: one compile job and one fuzzing process at a time.
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}

if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked -j "$CARGO_BUILD_JOBS" >&2
fi

cd "$HERE"
python3 seed.py >/dev/null
# Under a minute (the smoke in `make test`) each target starts from the seeds alone in a fresh
# folder, so the time is spent fuzzing, not loading a corpus grown by long runs; longer runs grow
# corpus/TARGET. FUZZ_CORPUS=seeds|corpus overrides.
if [[ "${FUZZ_CORPUS:-}" == seeds ]] || { [[ -z "${FUZZ_CORPUS:-}" ]] && ((SECONDS_EACH < 60)); }; then
    SMOKE=1
    rm -rf "$HERE/logs/seeds" && python3 seed.py "$HERE/logs/seeds" >/dev/null
else
    SMOKE=0
fi
# Release with debug assertions and overflow checks; no sanitizer: the crate forbids unsafe code,
# so ASan would mostly halve the executions (see docs/reliability.md).
cargo "+$TOOLCHAIN" fuzz build -O --debug-assertions --sanitizer none \
    >"$HERE/build.log" 2>&1 || { cat "$HERE/build.log" >&2; exit 2; }
rm -f "$HERE/build.log"

printf '%-13s %12s %8s %7s %7s %7s %8s\n' target executions exec/s cov ft corpus crashes
status=0
for target in "${TARGETS[@]}"; do
    bin="$HERE/target/$TRIPLE/release/$target"
    logs="$HERE/logs/$target"
    artifacts="$HERE/artifacts/$target"
    corpus="$HERE/corpus/$target"
    # Past findings, committed: each must still pass before new fuzzing starts.
    if compgen -G "$HERE/regressions/$target/*" >/dev/null; then
        "$bin" "$HERE/regressions/$target"/* >"$HERE/regressions.log" 2>&1 || {
            cat "$HERE/regressions.log" >&2
            echo "run.sh: a committed regression input of $target fails again" >&2
            exit 1
        }
        rm -f "$HERE/regressions.log"
    fi
    if ((SMOKE)); then corpus="$HERE/logs/seeds/$target"; fi
    mkdir -p "$logs" "$artifacts" "$corpus"
    before=$(ls "$artifacts" | sort)
    # -jobs=1 runs one worker process whose output goes to $logs/fuzz-0.log.
    (cd "$logs" && rm -f fuzz-0.log && "$bin" "$corpus" \
        -jobs=1 -workers=1 -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -dict="$HERE/wxpay.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        >"$logs/driver.log" 2>&1) || true
    log="$logs/fuzz-0.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | grep -E ' cov: ' | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    units=$(find "$corpus" -type f | wc -l)
    new=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort) | grep -E '^(crash|timeout|oom|leak)-' || true)
    crashes=$(grep -c . <<<"$new" || true)
    printf '%-13s %12s %8s %7s %7s %7s %8s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$units" "$crashes"
    if [[ -n "$new" ]]; then
        status=1
        while read -r artifact; do
            echo "  reproduce: $bin $artifacts/$artifact" >&2
        done <<<"$new"
        grep -E -A12 'panicked at|ERROR: libFuzzer' "$log" | head -30 >&2 || true
    elif [[ -z "$execs" ]]; then
        status=1
        echo "  $target did not report its stats; see $log" >&2
        tail -20 "$log" >&2 || true
    fi
done
exit "$status"
