# Two commands do everything on a fresh machine: `make test` and `make demo`.
# Bindings add their own test-* targets to `test` as they land.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

VENV := .venv
PY := $(VENV)/bin/python
PY_DEPS := "maturin>=1.9,<2" "pytest>=8" "mypy>=1.10" "cryptography>=42" "requests>=2.31" "httpx>=0.27" "typing_extensions>=4.12" "flask>=3" "fastapi>=0.110" "uvicorn>=0.29" "ziglang>=0.13" "auditwheel>=6" "pyyaml>=6"

UNIFFI_LIB := target/release/libwxpay_terminate_uniffi.so
KOTLIN_GEN := bindings-uniffi/kotlin/target/generated-sources/uniffi
MVN := mvn -B --no-transfer-progress -Dkotlin.compiler.daemon=false

WASM_TARGET_DIR := target/wasm
WASM_FILE := $(WASM_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/wxpay_terminate_wasm.wasm
WASM_BINDGEN_VERSION := 0.2.130
# rustup's wasm32-unknown-unknown target where it is installed (macOS, a stock Linux); otherwise
# Debian's rustc-web, which builds std from source (this project's CI machine, whose rustup
# cannot download the target).
HAVE_RUSTUP_WASM := $(shell rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && echo yes)
ifeq ($(HAVE_RUSTUP_WASM),yes)
WASM_CARGO := $(CARGO)
WASM_BUILD_STD :=
else
WASM_CARGO := PATH=/usr/bin:$$PATH RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo
WASM_BUILD_STD := -Zbuild-std=std,panic_abort
endif
NPM_DIR := target/npm

.PHONY: soak fuzz fuzz-smoke mutants gen gen-check help test test-rust test-python test-sandbox test-kotlin test-swift test-js wasm-toolchain wasm-pkg chromium python-wheel python-stubs uniffi-lib kotlin-bindings swift-bindings demo sandbox bench vectors

help:
	@echo "make test    - every test suite (installs what it needs)"
	@echo "make demo    - the main job: signed seed requests and verified responses"
	@echo "make bench   - benchmarks, written to docs/benchmarks.md"
	@echo "make sandbox - run the local WeChat Pay sandbox (prints SANDBOX_URL)"
	@echo "make soak    - thousands of concurrent terminations under faults per language, counted from the sandbox"
	@echo "make fuzz    - every fuzz target for FUZZ_SECONDS (600) each; make mutants - mutation testing of core/src"
	@echo "make gen     - regenerate every generated file (stubs, index.d.ts, Swift, README table, vectors)"
	@echo "make gen-check - fail if any generated file is stale (part of make test)"

test: gen-check test-rust fuzz-smoke test-sandbox test-python test-js test-kotlin

# Every generated artefact, one command to write them and one to check them.
gen: python-wheel wasm-pkg uniffi-lib
	$(PY) bindings-python/gen_stubs.py
	cd bindings-wasm && node scripts/gen-dts.mjs
	bindings-uniffi/swift/generate.sh
	WXPAY_UPDATE_README=1 $(CARGO) test -q -p wxpay-terminate --test readme
	$(PY) tests/vectors/generate.py
	$(PY) tests/golden/extract.py
	$(MAKE) python-wheel

gen-check: python-wheel wasm-pkg uniffi-lib
	$(PY) bindings-python/gen_stubs.py --check
	cd bindings-wasm && node scripts/gen-dts.mjs --check
	rm -rf target/swift-check && mkdir -p target/swift-check
	bindings-uniffi/swift/generate.sh target/swift-check
	diff -r target/swift-check/Sources bindings-uniffi/swift/Sources
	@echo "swift: generated sources are current (not compiled: no Swift toolchain on this machine)"
	$(CARGO) test -q -p wxpay-terminate --test readme
	rm -rf target/vectors-check
	WXPAY_VECTORS_OUT=$(CURDIR)/target/vectors-check $(PY) tests/vectors/generate.py >/dev/null
	$(PY) tests/vectors/check_generated.py target/vectors-check
	$(PY) tests/vectors/manifest.py --check
	$(PY) tests/golden/extract.py --check

# `cargo test` at the root builds only core and the vector runner (default-members).
test-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) test -p wxpay-terminate --no-default-features --lib
	$(CARGO) test -p wxpay-terminate --features schema --test edges
	$(CARGO) test -p wxpay-terminate-conformance --features aws-lc
	$(CARGO) clippy -p wxpay-terminate --features aws-lc --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps -p wxpay-terminate --all-features
	$(CARGO) publish --dry-run -q -p wxpay-terminate --allow-dirty

# A virtualenv with the build and test tools; recreated when this Makefile changes.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(PY_DEPS)
	touch $@

# The wheel as users get it (release, abi3, manylinux2014: zig links it against glibc 2.17; maturin
# finds zig, from the ziglang package, on PATH) and the sdist; the wheel is installed into the
# virtualenv. Also a musllinux_1_2 wheel (target/wheels/musllinux) where rustup has the musl target.
python-wheel: $(VENV)/.installed
	rm -rf target/wheels/wxpay_terminate-* target/wheels/musllinux
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/maturin build --quiet --release --zig --compatibility manylinux2014 -m bindings-python/Cargo.toml -o target/wheels
	$(VENV)/bin/maturin sdist -m bindings-python/Cargo.toml -o target/wheels >/dev/null
	@if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then \
	  echo "maturin build --zig --compatibility musllinux_1_2 --target x86_64-unknown-linux-musl"; \
	  PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/maturin build --quiet --release --zig --compatibility musllinux_1_2 \
	    --target x86_64-unknown-linux-musl -m bindings-python/Cargo.toml -o target/wheels/musllinux; \
	else echo "musllinux wheel skipped: rustup has no x86_64-unknown-linux-musl target"; fi
	$(PY) -m pip install --quiet --force-reinstall --no-deps target/wheels/wxpay_terminate-*.whl

# Regenerate the .pyi stubs after a catalog change, then rebuild so the wheel ships them.
python-stubs: python-wheel
	$(PY) bindings-python/gen_stubs.py
	$(MAKE) python-wheel

test-python: python-wheel
	$(CARGO) clippy -p wxpay-terminate-python --all-targets -- -D warnings
	cd bindings-python && ../$(PY) -m pytest tests -q
	$(PY) tests/soak/run.py --languages python --contracts 300 --out target/soak/python-smoke.json

test-sandbox: $(VENV)/.installed
	$(PY) -m pytest tests/sandbox -q
	$(CARGO) build --quiet -p wxpay-terminate --example sandbox_e2e
	$(PY) tests/sandbox/with_sandbox.py target/debug/examples/sandbox_e2e

# Debian's rustc-web (+ std sources, lld) and wasm-bindgen-cli pinned to the crate's version.
# (wasm-bindgen-cli is installed without --locked: its lockfile pins a webpki-roots the registry no longer serves.)
wasm-toolchain:
ifneq ($(HAVE_RUSTUP_WASM),yes)
	@dpkg -s rustc-web cargo-web rust-web-src rust-web-llvm lld-22 >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
endif
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" || \
	  $(CARGO) install wasm-bindgen-cli --version =$(WASM_BINDGEN_VERSION)

# The npm package's build output: pkg/ (wasm-bindgen, web target; the .wasm through wasm-opt -Os, which
# strips the name section and shrinks the code without slowing it) and dist/index.cjs (CommonJS).
wasm-pkg: wasm-toolchain
	$(WASM_CARGO) build --profile wasm-release -p wxpay-terminate-wasm --target wasm32-unknown-unknown $(WASM_BUILD_STD) --target-dir $(WASM_TARGET_DIR)
	rm -rf bindings-wasm/pkg
	wasm-bindgen --target web --out-dir bindings-wasm/pkg $(WASM_FILE)
	cd bindings-wasm && npm ci --no-audit --no-fund --silent
	cd bindings-wasm && npx --no-install wasm-opt -Os pkg/wxpay_terminate_wasm_bg.wasm -o pkg/wxpay_terminate_wasm_bg.wasm
	cd bindings-wasm && npm run --silent build:cjs

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The packed tarball, installed by name in a scratch project with pinned tools: publint and
# attw on it, tsc under NodeNext, Node16 and Bundler resolution, its sizes (target/npm/sizes.json),
# then the suites: Node (ESM, CommonJS, Chromium) and Deno, Bun and workerd (binaries from npm).
test-js: wasm-pkg chromium $(VENV)/.installed
	$(CARGO) clippy -p wxpay-terminate-wasm --all-targets -- -D warnings
	rm -rf $(NPM_DIR) && mkdir -p $(NPM_DIR)/scratch
	cd bindings-wasm && npm pack --silent --pack-destination ../$(NPM_DIR) >/dev/null
	cp -r bindings-wasm/tests $(NPM_DIR)/scratch/tests
	cd $(NPM_DIR)/scratch && echo '{"private": true, "type": "module"}' > package.json && \
	  npm install --no-audit --no-fund --silent ../wxpay-terminate-*.tgz playwright-core@1.64.1 typescript@5.9.3 \
	    express@5.3.0 esbuild@0.28.2 deno@2.9.6 bun@1.4.4 workerd@1.20261117.1 publint@0.3.25 @arethetypeswrong/cli@0.18.5
	cd $(NPM_DIR)/scratch && npx attw ../wxpay-terminate-*.tgz && npx publint node_modules/wxpay-terminate --pack false --strict
	cd $(NPM_DIR)/scratch && for c in tsconfig tsconfig.node16 tsconfig.bundler; do npx tsc -p tests/$$c.json || exit 1; done
	node bindings-wasm/scripts/sizes.mjs $(NPM_DIR)/wxpay-terminate-*.tgz bindings-wasm/pkg/wxpay_terminate_wasm_bg.wasm > $(NPM_DIR)/sizes.json
	cd $(NPM_DIR)/scratch && WXPAY_REPO_ROOT=$(CURDIR) SANDBOX_PYTHON=$(abspath $(PY)) node --test tests/

# The native library (release, as shipped) and the uniffi-bindgen pinned to the same uniffi
# (a debug build: it only reads the library's metadata).
uniffi-lib:
	$(CARGO) build --release -p wxpay-terminate-uniffi --lib
	$(CARGO) build -p wxpay-terminate-uniffi --features cli --bin uniffi-bindgen

kotlin-bindings: uniffi-lib
	rm -rf $(KOTLIN_GEN)
	target/debug/uniffi-bindgen generate --library $(UNIFFI_LIB) --language kotlin --no-format --out-dir $(KOTLIN_GEN)
	bindings-uniffi/kotlin/patch-generated.sh $(KOTLIN_GEN)

# Swift: generated and committed; no Swift toolchain here, so the check is that generation
# succeeds and the committed sources are current.
swift-bindings: uniffi-lib
	bindings-uniffi/swift/generate.sh

test-swift: uniffi-lib
	$(MAKE) gen-check

# JVM suite: Maven fetches Kotlin, JNA and JUnit; the sandbox runs on the virtualenv's Python.
# `mvn install` runs the suite, then installs com.wxpayterminate:wxpay-terminate:0.1.0 (jar with the
# native library inside, sources jar, POM) into ~/.m2; consumer/ then uses it by its coordinates alone
# against the sandbox (the Kotlin quick start and a plain Java class sending all 19 operations).
test-kotlin: kotlin-bindings $(VENV)/.installed
	$(CARGO) clippy -p wxpay-terminate-uniffi --all-targets -- -D warnings
	cd bindings-uniffi/kotlin && $(MVN) install -Dsandbox.python=$(abspath $(PY))
	$(PY) tests/sandbox/with_sandbox.py $(MVN) -f bindings-uniffi/consumer/pom.xml verify

sandbox: $(VENV)/.installed
	$(PY) tests/sandbox/server.py --port 8080

# The main job: the core's signed seed descriptors (official doc test key), then Python, Node and
# Kotlin each terminating the four seed contracts on the local sandbox over real HTTP.
demo: python-wheel wasm-pkg kotlin-bindings
	$(CARGO) run --quiet -p wxpay-terminate --example demo
	@echo
	$(PY) tests/sandbox/with_sandbox.py $(PY) examples/demo.py

# One run, one machine: every figure interleaved with its references in the same process (tests/bench/common.py
# describes the scheme): Rust core vs OpenSSL and aws-lc (tests/bench/rust, its own workspace: it calls the
# system libcrypto), Python vs wechatpayv3 and cryptography, Node (node:crypto, WebCrypto, WASM) vs
# wechatpay-axios-plugin and node:crypto, Kotlin vs the JDK and OpenSSL via JNA, then cold starts as
# interleaved process launches → target/bench/*.json (every round) → docs/benchmarks.md. About 11 minutes
# on 2 cores. Other builds share the machine: run it as `flock /tmp/wxpay-build.lock make bench`.
# Each harness runs in BENCH_PROCESSES fresh processes of BENCH_ROUNDS rounds each (report.py pools them:
# a process's code and heap placement moves a ratio for its whole life, so one process is one sample).
BENCH_PROCESSES ?= 5
BENCH_ROUNDS ?= 5
# JVMs differ more from one another (each JIT-compiles its own way: the Kotlin parse ratio's process
# medians span ±7 %), so more of them, with fewer rounds each. They get a fixed young generation: G1's
# adaptive sizing left some without a young GC for 10 s and every variant of a figure about twice as slow.
BENCH_JVM_PROCESSES ?= 10
BENCH_JVM_ROUNDS ?= 3
# $(call bench_processes,command,name[,count]): run a harness that writes target/bench/name.json once per process.
bench_processes = for i in $$(seq $(or $(3),$(BENCH_PROCESSES))); do $(1) && mv $(CURDIR)/target/bench/$(2).json $(CURDIR)/target/bench/$(2).$$i.json || exit 1; done
bench: export WXPAY_BENCH_ROUNDS = $(BENCH_ROUNDS)
bench: python-wheel wasm-pkg kotlin-bindings
	rm -rf target/criterion target/bench && mkdir -p target/bench/node
	date +%s > target/bench/started && cut -d' ' -f1-3 /proc/loadavg > target/bench/loadavg-start
	cp Cargo.lock tests/bench/rust/Cargo.lock
	$(CARGO) build --quiet --release --manifest-path tests/bench/rust/Cargo.toml --target-dir target
	$(call bench_processes,target/release/wxpay-terminate-bench,rust)
	$(PY) -m pip install --quiet wechatpayv3==2.0.4
	cd tests/bench && $(call bench_processes,../../$(PY) python_bench.py,python)
	cd bindings-wasm && npm pack --silent --pack-destination ../target/bench/node >/dev/null
	cp tests/bench/node_bench.mjs target/bench/node/
	cd target/bench/node && echo '{"private": true, "type": "module"}' > package.json && \
	  npm install --no-audit --no-fund --silent ./wxpay-terminate-*.tgz wechatpay-axios-plugin@0.9.6 && \
	  $(call bench_processes,WXPAY_REPO_ROOT=$(CURDIR) taskset -c 1 node node_bench.mjs,node)
	node bindings-wasm/scripts/sizes.mjs target/bench/node/wxpay-terminate-*.tgz bindings-wasm/pkg/wxpay_terminate_wasm_bg.wasm > target/bench/sizes.json
	cd bindings-uniffi/kotlin && $(MVN) -q test-compile && \
	  $(call bench_processes,WXPAY_BENCH_ROUNDS=$(BENCH_JVM_ROUNDS) MAVEN_OPTS=-Xmn256m $(MVN) -q exec:java -Dexec.main=com.wxpayterminate.BenchKt,kotlin,$(BENCH_JVM_PROCESSES))
	cd tests/bench && ../../$(PY) cold_start.py
	$(PY) tests/bench/report.py

vectors:
	python3 tests/vectors/generate.py

# Load with faults, nothing lost (docs/reliability.md): Python, Node and Kotlin in turn, each
# terminating SOAK_CONTRACTS sandbox contracts SOAK_CONCURRENCY at a time under random faults.
SOAK_CONTRACTS ?= 3000
SOAK_CONCURRENCY ?= 16
SOAK_LANGUAGES ?= python,node,kotlin
soak: python-wheel wasm-pkg kotlin-bindings
	rm -rf target/soak/node && mkdir -p target/soak/node
	cd bindings-wasm && npm pack --silent --pack-destination ../target/soak/node >/dev/null
	cp tests/soak/client.mjs target/soak/node/
	cd target/soak/node && echo '{"private": true, "type": "module"}' > package.json && \
	  npm install --no-audit --no-fund --silent ./wxpay-terminate-*.tgz
	cd bindings-uniffi/kotlin && $(MVN) -q install -DskipTests
	$(PY) tests/soak/run.py --contracts $(SOAK_CONTRACTS) --concurrency $(SOAK_CONCURRENCY) --languages $(SOAK_LANGUAGES)

# Coverage-guided fuzzing (cargo-fuzz, libFuzzer): every target FUZZ_SECONDS, one after the other.
FUZZ_SECONDS ?= 600
fuzz: $(VENV)/.installed
	core/fuzz/run.sh $(FUZZ_SECONDS)

# A few seconds per target from the seeds alone, so the targets keep building (part of `make test`).
fuzz-smoke: $(VENV)/.installed
	CARGO_BUILD_JOBS=2 core/fuzz/run.sh 3

# Mutation testing of core/src (cargo-mutants; .cargo/mutants.toml): about 1.5 h on two cores. The
# aws-lc backend's signer and verifier are compiled only with its feature: a second, short run.
mutants:
	@cargo mutants --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-mutants@27.1.0
	$(CARGO) mutants -p wxpay-terminate -j 1
	$(CARGO) mutants -p wxpay-terminate -j 1 --features aws-lc --re 'crypto\.rs' -o target/mutants-aws-lc
