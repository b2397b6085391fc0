"""make demo: start the local WeChat Pay sandbox, let Python, Node and Kotlin each terminate the
four seed contracts (campus pay, password-exempt, papay, credit repayment) over real HTTP, show a
tampered response being rejected, and stop the sandbox. Run by `make demo` with the project venv."""
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LANGUAGES = [
    ("Python · requests", [sys.executable, str(ROOT / "examples/demo_python.py")], ROOT),
    ("Node · fetch", ["node", str(ROOT / "examples/demo_node.mjs")], ROOT),
    ("Kotlin · java.net.http", ["mvn", "-B", "-q", "--no-transfer-progress", "-Dstyle.color=never", "test-compile", "exec:java"], ROOT / "bindings-uniffi/kotlin"),
]


def main() -> int:
    server = subprocess.Popen([sys.executable, str(ROOT / "tests/sandbox/server.py"), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline().strip() if server.stdout else ""
        if not line.startswith("SANDBOX_URL="):
            print(f"sandbox did not start: {line!r}", file=sys.stderr)
            return 1
        url = line.split("=", 1)[1]
        print(f"Local WeChat Pay sandbox at {url} (verifies every request signature, signs every answer)\n")
        failed = []
        for name, command, cwd in LANGUAGES:
            # Each language terminates the same seeded contracts, so start from fresh state.
            urllib.request.urlopen(urllib.request.Request(url + "/sandbox/reset", method="POST"), timeout=10).read()
            print(f"── {name} " + "─" * (60 - len(name)))
            result = subprocess.run(command, cwd=cwd, env={**os.environ, "SANDBOX_URL": url}, timeout=600)
            if result.returncode != 0:
                failed.append(name)
            print()
        if failed:
            print(f"demo failed for: {', '.join(failed)}", file=sys.stderr)
            return 1
        print("Every language terminated the four seed contracts and rejected the tampered response.")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
