# Two commands do everything on a fresh machine: `make test` and `make demo`.
# Bindings add their own test-* targets to `test` as they land.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

VENV := .venv
PY := $(VENV)/bin/python
PY_DEPS := "maturin>=1.9,<2" "pytest>=8" "mypy>=1.10" "cryptography>=42" "requests>=2.31" "httpx>=0.27" "typing_extensions>=4.12"

UNIFFI_LIB := target/release/libwxpay_terminate_uniffi.so
KOTLIN_GEN := bindings-uniffi/kotlin/target/generated-sources/uniffi
MVN := mvn -B --no-transfer-progress

.PHONY: help test test-rust test-python test-sandbox test-kotlin test-swift python-wheel python-stubs uniffi-lib kotlin-bindings swift-bindings demo sandbox bench vectors

help:
	@echo "make test    - every test suite (installs what it needs)"
	@echo "make demo    - the main job: signed seed requests and verified responses"
	@echo "make bench   - benchmarks, written to docs/benchmarks.md"
	@echo "make sandbox - run the local WeChat Pay sandbox (prints SANDBOX_URL)"
	@echo "make vectors - regenerate tests/vectors/cases with the OpenSSL oracle (needs python3 cryptography)"

test: test-rust test-sandbox test-python test-kotlin test-swift

# `cargo test` at the root builds only core and the vector runner (default-members).
test-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) test -p wxpay-terminate --no-default-features --lib

# A virtualenv with the build and test tools; recreated when this Makefile changes.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(PY_DEPS)
	touch $@

# The wheel as users get it (release, abi3), installed into the virtualenv.
python-wheel: $(VENV)/.installed
	rm -f target/wheels/wxpay_terminate-*.whl
	$(VENV)/bin/maturin build --quiet --release -m bindings-python/Cargo.toml -o target/wheels
	$(PY) -m pip install --quiet --force-reinstall --no-deps target/wheels/wxpay_terminate-*.whl

# Regenerate the .pyi stubs after a catalog change, then rebuild so the wheel ships them.
python-stubs: python-wheel
	$(PY) bindings-python/gen_stubs.py
	$(MAKE) python-wheel

test-python: python-wheel
	$(CARGO) clippy -p wxpay-terminate-python --all-targets -- -D warnings
	cd bindings-python && ../$(PY) -m pytest tests -q

test-sandbox: $(VENV)/.installed
	$(PY) -m pytest tests/sandbox -q

# The native library (release, as shipped) and the uniffi-bindgen pinned to the same uniffi
# (a debug build: it only reads the library's metadata).
uniffi-lib:
	$(CARGO) build --release -p wxpay-terminate-uniffi --lib
	$(CARGO) build -p wxpay-terminate-uniffi --features cli --bin uniffi-bindgen

kotlin-bindings: uniffi-lib
	rm -rf $(KOTLIN_GEN)
	target/debug/uniffi-bindgen generate --library $(UNIFFI_LIB) --language kotlin --no-format --out-dir $(KOTLIN_GEN)

# Swift: generated and committed; no Swift toolchain here, so the check is that generation
# succeeds and the committed sources are current.
swift-bindings: uniffi-lib
	bindings-uniffi/swift/generate.sh

test-swift: uniffi-lib
	rm -rf target/swift-check && mkdir -p target/swift-check
	bindings-uniffi/swift/generate.sh target/swift-check
	diff -r target/swift-check/Sources bindings-uniffi/swift/Sources
	@echo "swift: generated sources are current (not compiled: no Swift toolchain on this machine)"

# JVM suite: Maven fetches Kotlin, JNA and JUnit; the sandbox runs on the virtualenv's Python.
test-kotlin: kotlin-bindings $(VENV)/.installed
	$(CARGO) clippy -p wxpay-terminate-uniffi --all-targets -- -D warnings
	cd bindings-uniffi/kotlin && $(MVN) test -Dsandbox.python=$(abspath $(PY))

sandbox: $(VENV)/.installed
	$(PY) tests/sandbox/server.py --port 8080

demo:
	$(CARGO) run --quiet -p wxpay-terminate --example demo

bench:
	$(CARGO) bench -p wxpay-terminate --bench core
	python3 tests/bench/report.py

vectors:
	python3 tests/vectors/generate.py
