# Two commands do everything on a fresh machine: `make test` and `make demo`.
# Bindings add their own test-* targets to `test` as they land.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help test test-rust demo bench vectors

help:
	@echo "make test    - every test suite (installs what it needs)"
	@echo "make demo    - the main job: signed seed requests and verified responses"
	@echo "make bench   - benchmarks, written to docs/benchmarks.md"
	@echo "make vectors - regenerate tests/vectors/cases with the OpenSSL oracle (needs python3 cryptography)"

test: test-rust

# `cargo test` at the root builds only core and the vector runner (default-members).
test-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) test -p wxpay-terminate --no-default-features --lib

demo:
	$(CARGO) run --quiet -p wxpay-terminate --example demo

bench:
	$(CARGO) bench -p wxpay-terminate --bench core
	python3 tests/bench/report.py

vectors:
	python3 tests/vectors/generate.py
