"""make demo: Python, Node and Kotlin each terminate the four seed contracts (campus pay,
password-exempt, papay, credit repayment) on the local WeChat Pay sandbox over real HTTP and show
a tampered response being rejected. Run under tests/sandbox/with_sandbox.py, which starts the
sandbox and sets SANDBOX_URL."""
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

LANGUAGES = [
    ("Python · requests", [sys.executable, str(ROOT / "examples/demo_python.py")], ROOT),
    ("Node · fetch", ["node", str(ROOT / "examples/demo_node.mjs")], ROOT),
    ("Kotlin · java.net.http", ["mvn", "-B", "-q", "--no-transfer-progress", "-Dstyle.color=never", "test-compile", "exec:java"],
     ROOT / "bindings-uniffi/kotlin"),
]


def main() -> int:
    url = os.environ.get("SANDBOX_URL")
    if not url:
        print("run me with tests/sandbox/with_sandbox.py (it starts the sandbox)", file=sys.stderr)
        return 2
    print(f"Local WeChat Pay sandbox at {url} (verifies every request signature, signs every answer)\n")
    failed = []
    for name, command, cwd in LANGUAGES:
        # Each language terminates the same seeded contracts, so start from fresh state.
        urllib.request.urlopen(urllib.request.Request(url + "/sandbox/reset", method="POST"), timeout=10).read()
        print(f"── {name} " + "─" * (60 - len(name)), flush=True)
        result = subprocess.run(command, cwd=cwd, timeout=600, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Maven 3.8 writes colour resets even in batch mode; the report is plain text.
        print(ANSI.sub("", result.stdout).rstrip("\n"), flush=True)
        if result.returncode != 0:
            failed.append(name)
        print(flush=True)
    if failed:
        print(f"demo failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("Every language terminated the four seed contracts, rejected the tampered response and acknowledged\n"
          "the notification of a contract the user ended inside WeChat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
