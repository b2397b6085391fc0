#!/usr/bin/env python3
"""Runs a command with the sandbox up: `with_sandbox.py CMD [ARGS…]` starts server.py on a free port,
exports SANDBOX_URL to CMD, and always stops the server afterwards. Exit status is CMD's.
Extra server flags come from SANDBOX_SERVER_ARGS, e.g. `--notify-time-scale 0.001 --notify-timeout 2`."""
import os
import shlex
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parent / "server.py"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    extra = shlex.split(os.environ.get("SANDBOX_SERVER_ARGS", ""))
    server = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", *extra], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline().strip() if server.stdout else ""
        if not line.startswith("SANDBOX_URL="):
            print(f"sandbox did not start: {line!r}", file=sys.stderr)
            return 1
        env = {**os.environ, "SANDBOX_URL": line.split("=", 1)[1]}
        return subprocess.run(sys.argv[1:], env=env, timeout=1800).returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
