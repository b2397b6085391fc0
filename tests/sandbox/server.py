#!/usr/bin/env python3
"""The repository's entry point to the WeChat Pay APIv3 sandbox (the `wxpay-sandbox` package
in src/wxpay_sandbox/, importable without installing it).

Runs the same server as the `wxpay-sandbox` command, with the committed TEST keys of keys/
and the merchants of merchants.json (the official doc test key and the wechatpay-go test key),
port 0 by default, and no start-up summary: it prints one line
`SANDBOX_URL=http(s)://127.0.0.1:<port>` and serves until SIGTERM/SIGINT.

Usage: python3 tests/sandbox/server.py [--host 127.0.0.1] [--port 0] [--tls]
                                       [--notify-time-scale 1.0] [--notify-timeout 5]
                                       [--state FILE] [--seed FILE] [--merchant SPEC] [--rate-limit N] …
(`--help` lists them all.) Requires Python >= 3.9 and `cryptography`. See README.md.
It never imports wxpay-terminate.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))

from wxpay_sandbox.cli import RepoLayout, main  # noqa: E402
from wxpay_sandbox.server import *  # noqa: E402,F401,F403 - the names this module used to define

REPO = RepoLayout(keys_dir=HERE / "keys", merchants_file=HERE / "merchants.json")

if __name__ == "__main__":
    sys.exit(main(repo=REPO))
