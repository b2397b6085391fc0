# Two commands do everything on a fresh machine: `make test` and `make demo`.
# Bindings add their own test-* targets to `test` as they land.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

VENV := .venv
PY := $(VENV)/bin/python
PY_DEPS := "maturin>=1.9,<2" "pytest>=8" "mypy>=1.10" "cryptography>=42" "requests>=2.31" "httpx>=0.27" "typing_extensions>=4.12"

.PHONY: help test test-rust test-python test-sandbox python-wheel python-stubs demo sandbox bench vectors

help:
	@echo "make test    - every test suite (installs what it needs)"
	@echo "make demo    - the main job: signed seed requests and verified responses"
	@echo "make bench   - benchmarks, written to docs/benchmarks.md"
	@echo "make sandbox - run the local WeChat Pay sandbox (prints SANDBOX_URL)"
	@echo "make vectors - regenerate tests/vectors/cases with the OpenSSL oracle (needs python3 cryptography)"

test: test-rust test-sandbox test-python

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

sandbox: $(VENV)/.installed
	$(PY) tests/sandbox/server.py --port 8080

demo:
	$(CARGO) run --quiet -p wxpay-terminate --example demo

bench:
	$(CARGO) bench -p wxpay-terminate --bench core
	python3 tests/bench/report.py

vectors:
	python3 tests/vectors/generate.py
