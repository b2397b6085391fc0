"""The vector manifest: every file of the vector set with its SHA-256.

    python3 tests/vectors/manifest.py           # (re)write manifest.json from the files on disk
    python3 tests/vectors/manifest.py --check   # exit 1 when manifest.json and the files differ

Every language's vector runner reads manifest.json and fails unless the case files on disk are
exactly the listed ones, each with the listed hash, and it ran every listed case: a deleted,
added or edited vector fails every suite, not only the one that happened to load it.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"


def files() -> dict[str, str]:
    paths = sorted([*HERE.glob("cases/**/*.json"), HERE / "clients.json", *HERE.glob("keys/*.pem")])
    return {p.relative_to(HERE).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def render(listed: dict[str, str]) -> str:
    cases = sum(1 for name in listed if name.startswith("cases/"))
    return json.dumps({"cases": cases, "files": listed}, indent=1, sort_keys=True) + "\n"


def main() -> int:
    text = render(files())
    if sys.argv[1:] == ["--check"]:
        if not MANIFEST.exists() or MANIFEST.read_text(encoding="utf-8") != text:
            print("tests/vectors/manifest.json does not match the vector files: run `make gen`", file=sys.stderr)
            return 1
        print(f"manifest: {json.loads(text)['cases']} cases, every hash matches")
        return 0
    MANIFEST.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
