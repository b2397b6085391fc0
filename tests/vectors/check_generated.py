"""Fails when the committed vectors differ from a fresh run of generate.py.

Usage: check_generated.py FRESH_DIR. Cases are compared as JSON; `source` may differ only in the
oracle's library versions (the machine's cryptography/OpenSSL), never in anything else.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSIONS = re.compile(r"oracle: python cryptography \S+ / OpenSSL .*")


def load(root: Path) -> dict[str, object]:
    files = {p.relative_to(root).as_posix(): p for p in root.glob("cases/**/*.json")}
    files["clients.json"] = root / "clients.json"
    out = {}
    for rel, path in files.items():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            data["source"] = VERSIONS.sub("oracle: <versions>", data["source"])
        out[rel] = data
    return out


def main() -> int:
    fresh, committed = load(Path(sys.argv[1])), load(HERE)
    problems = [f"missing from the commit: {r}" for r in sorted(fresh.keys() - committed.keys())]
    problems += [f"not produced by generate.py: {r}" for r in sorted(committed.keys() - fresh.keys())]
    problems += [f"differs: {r}" for r in sorted(fresh.keys() & committed.keys()) if fresh[r] != committed[r]]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print("tests/vectors is stale: run `make gen`", file=sys.stderr)
        return 1
    print(f"vectors: {len(committed)} files match a fresh oracle run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
