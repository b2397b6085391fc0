#!/usr/bin/env python3
"""Writes the fuzz seeds: corpus/<target>/ from tests/vectors (cases, keys, clients.json).

Each seed is in the framing its target reads (see src/lib.rs and the fuzz_targets/ headers):
  response      [client][mode] "STATUS NOW OPERATION\\n" headers "\\n\\n" body
  notification  [client][mode] "NOW\\n" headers "\\n\\n" body       (modes 0 full, 1 RSA bypass, 2 plaintext)
  certificates  [client][mode] "STATUS NOW\\n" headers "\\n\\n" body (modes 0 full, 1 plaintext PEMs)
  keys          [mode] bytes   (0 private key, 1 public key, 2 certificate, 3 config JSON)
  template      [flags] "TEMPLATE\\nname\\tvalue…\\n\\nname\\tvalue…\\n\\nJSON"
  params        JSON

The plaintext seeds (decrypted notification resources and certificate PEMs) need Python
`cryptography`; without it they are skipped with a note. Usage: seed.py [OUT_DIR] (default
corpus/ beside this script). The corpus is generated: it is in .gitignore, never committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent.parent / "tests" / "vectors"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # pragma: no cover - depends on the machine
    AESGCM = None


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def cases(kind: str):
    for path in sorted((VECTORS / "cases" / kind).glob("*.json")):
        yield path.stem, load(path)


def body_bytes(message: dict) -> bytes:
    if "body_base64" in message:
        return base64.b64decode(message["body_base64"])
    return (message.get("body") or "").encode("utf-8")


def head(first_line: str, headers) -> bytes:
    lines = [first_line] + [f"{name}: {value}" for name, value in headers]
    return "\n".join(lines).encode("utf-8")


class Writer:
    def __init__(self, out: Path):
        self.out = out
        self.counts: dict[str, int] = {}

    def add(self, target: str, data: bytes) -> None:
        folder = self.out / target
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        path = folder / name
        if not path.exists():
            path.write_bytes(data)
            self.counts[target] = self.counts.get(target, 0) + 1


def decrypt(key: bytes, nonce: str, aad: str | None, ciphertext_b64: str) -> bytes | None:
    if AESGCM is None:
        return None
    try:
        return AESGCM(key).decrypt(
            nonce.encode(), base64.b64decode(ciphertext_b64), (aad or "").encode()
        )
    except Exception:  # tampered or wrong-key cases have no plaintext
        return None


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
    w = Writer(out)
    clients = load(VECTORS / "clients.json")
    names = sorted(clients)
    index = {name: i for i, name in enumerate(names)}
    apiv3 = {name: clients[name]["apiv3_key"].encode() for name in names}
    keys_dir = VECTORS / "keys"

    # response: every case as given, and the same body through the RSA bypass.
    for _, case in cases("response"):
        r = case["response"]
        op = case.get("operation") or "-"
        first = f"{r['status']} {case['now']} {op}"
        data = head(first, r["headers"]) + b"\n\n" + body_bytes(r)
        c = index[case["client"]]
        w.add("response", bytes([c, 0]) + data)
        w.add("response", bytes([c, 0x80]) + data)

    # notification: as given, RSA bypass, and the decrypted resource as plaintext.
    for _, case in cases("notification"):
        n = case["notification"]
        c = index[case["client"]]
        body = body_bytes(n)
        data = head(str(case["now"]), n["headers"]) + b"\n\n" + body
        w.add("notification", bytes([c, 0]) + data)
        w.add("notification", bytes([c, 1]) + data)
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            plaintext = decrypt(
                apiv3[case["client"]],
                resource["nonce"],
                resource.get("associated_data"),
                resource["ciphertext"],
            )
        except (ValueError, KeyError, TypeError):
            plaintext = None
        if plaintext is not None:
            pseudo = [
                ("event_type", envelope.get("event_type", "")),
                ("nonce", resource["nonce"]),
                ("id", envelope.get("id", "")),
                ("create_time", envelope.get("create_time", "")),
            ]
            if resource.get("associated_data") is not None:
                pseudo.append(("associated_data", resource["associated_data"]))
            for field in ("summary",):
                if envelope.get(field) is not None:
                    pseudo.append((field, envelope[field]))
            if resource.get("original_type") is not None:
                pseudo.append(("original_type", resource["original_type"]))
            w.add("notification", bytes([c, 2]) + head(str(case["now"]), pseudo) + b"\n\n" + plaintext)

    # certificates: as given, and the decrypted PEMs (plus every PEM in keys/) as plaintexts.
    for _, case in cases("certificates"):
        r = case["response"]
        c = index[case["client"]]
        body = body_bytes(r)
        first = f"{r['status']} {case['now']}"
        w.add("certificates", bytes([c, 0]) + head(first, r["headers"]) + b"\n\n" + body)
        try:
            listing = json.loads(body)["data"]
        except (ValueError, KeyError, TypeError):
            continue
        pems = []
        for entry in listing if isinstance(listing, list) else []:
            sealed = entry.get("encrypt_certificate", {})
            try:
                pem = decrypt(
                    apiv3[case["client"]],
                    sealed["nonce"],
                    sealed.get("associated_data"),
                    sealed["ciphertext"],
                )
            except (KeyError, TypeError):
                pem = None
            if pem is not None:
                pems.append(pem)
        if pems:
            w.add("certificates", bytes([c, 1]) + f"200 {case['now']}".encode() + b"\n\n" + b"\0\0".join(pems))
    for pem_file in sorted(keys_dir.glob("*.pem")):
        pem = pem_file.read_bytes()
        for c in range(len(names)):
            w.add("certificates", bytes([c, 1]) + b"200 1732500000\n\n" + pem)

    # keys: every PEM in every parser, and configurations as JSON.
    for pem_file in sorted(keys_dir.glob("*.pem")):
        pem = pem_file.read_bytes()
        for mode in range(3):
            w.add("keys", bytes([mode]) + pem)

    def inline(config: dict) -> dict:
        config = dict(config)
        if "private_key_text" in config:
            config["private_key"] = config.pop("private_key_text")
        for field in ("private_key", "wechatpay_public_key"):
            value = config.get(field)
            if isinstance(value, str) and (keys_dir / value).is_file():
                config[field] = (keys_dir / value).read_text(encoding="utf-8")
        certs = config.get("platform_certificates")
        if isinstance(certs, list):
            config["platform_certificates"] = [(keys_dir / f).read_text(encoding="utf-8") for f in certs]
        return config

    for name in names:
        w.add("keys", bytes([3]) + json.dumps(inline(clients[name]), ensure_ascii=False).encode())
    for _, case in cases("client_error"):
        w.add("keys", bytes([3]) + json.dumps(inline(case["config"]), ensure_ascii=False).encode())

    # template: the generic calls, good and bad.
    def template_seed(case: dict, allow_any_host: bool = False) -> bytes:
        method = METHODS.index(case["method"].upper())
        flags = method | (0x08 if allow_any_host else 0) | (index[case["client"]] << 5)
        first = case["template"]
        for k, v in case.get("path_params", {}).items():
            first += f"\n{k}\t{v}"
        query = "\n".join(f"{k}\t{v}" for k, v in case.get("query", []))
        text = first + "\n\n" + query + "\n\n"
        if "json" in case:
            text += json.dumps(case["json"], ensure_ascii=False, separators=(",", ":"))
        return bytes([flags]) + text.encode("utf-8")

    for kind in ("request_generic", "request_error"):
        for _, case in cases(kind):
            if "template" in case:
                w.add("template", template_seed(case))
                w.add("template", template_seed(case, allow_any_host=True))

    # params: every typed operation's params, good and bad.
    for kind in ("request", "request_error"):
        for _, case in cases(kind):
            if "params" in case:
                w.add("params", json.dumps(case["params"], ensure_ascii=False).encode())

    # confirm: event scripts over a papay termination (mode 1), with the vectors' query and
    # terminate bodies as verified answers, and journals (mode 0) in each phase.
    bodies = [body_bytes(case["response"]) for _, case in cases("response")
              if case.get("operation", "") and "papay" in (case.get("operation") or "")]
    NEXT, VERIFIED, ERROR, LOST, NOTIFY, SAVE = 0, 1, 2, 3, 4, 5
    scripts = [
        [NEXT, 0, VERIFIED, 0],
        [NEXT, 0, LOST, 0, NEXT, 0, VERIFIED, 0],
        [NEXT, 0, ERROR, 4 + 8 * 4, NEXT, 2, ERROR, 5 * 8, NEXT, 2, LOST, 0, NEXT, 0],
        [NEXT, 0, ERROR, 0, NEXT, 0, VERIFIED, 0, NEXT, 0],
        [NEXT, 0, SAVE, 0, NEXT, 0, LOST, 0, NEXT, 0, ERROR, 3 * 8],
        [NEXT, 0, ERROR, 1, NEXT, 0, ERROR, 6, NEXT, 0, NEXT, 0],
    ]
    for script in scripts:
        w.add("confirm", bytes([1, *script]))
    for body in bodies[:12]:
        chunk = body[:255]
        w.add("confirm", bytes([1, NEXT, 0, LOST, 0, NEXT, 0, VERIFIED, len(chunk)]) + chunk + bytes([NEXT, 0]))
    notification = json.dumps({"id": "EV-1", "create_time": "2026-01-01T00:00:00+08:00", "event_type": "ENTRUST.TERMINATE",
                               "resource_type": "encrypt-resource", "resource": {
                                   "contract_id": "C", "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
                                   "contract_state": "TERMINATED"}}, separators=(",", ":")).encode()
    w.add("confirm", bytes([1, NEXT, 0, NOTIFY, len(notification)]) + notification + bytes([NEXT, 0]))
    journal = {
        "terminate": {"operation": "terminate_papay_contract",
                      "params": {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
                                 "contract_termination_remark": "r"}},
        "query": {"operation": "query_papay_contract",
                  "params": {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000"}},
        "identity": [["plan_id", "12535"], ["out_contract_code", "wxwtdk20200910100000"]],
        "policy": {"max_terminate_sends": 6, "max_query_sends": 10, "max_pending_polls": 20,
                   "backoff_initial_ms": 1000, "backoff_max_ms": 60000, "pending_poll_ms": 30000,
                   "reuse_window_secs": 240},
        "phase": "terminate", "terminate_sends": 0, "query_sends": 0, "pending_polls": 0, "retries": 0,
        "may_have_applied": False, "refusal": None, "last_error": None, "not_before_ms": 0, "in_flight": None,
        "jitter_seed": 0, "outcome": None,
    }
    for phase, in_flight in (("terminate", None), ("terminate", "terminate"), ("query", "query"), ("query", None)):
        text = json.dumps({**journal, "phase": phase, "in_flight": in_flight}, separators=(",", ":")).encode()
        w.add("confirm", bytes([0]) + text + bytes([0, NEXT, 0, VERIFIED, 0]))

    for target in ("response", "notification", "certificates", "keys", "template", "params", "confirm"):
        print(f"{target}: {w.counts.get(target, 0)} seeds in {out / target}")
    if AESGCM is None:
        print("note: Python `cryptography` is missing, so no plaintext seeds were written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
