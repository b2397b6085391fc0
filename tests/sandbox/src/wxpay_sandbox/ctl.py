"""`wxpay-sandbox-ctl`: drives a running sandbox through its control endpoints (/sandbox/…).

Every subcommand is one HTTP request; the JSON answer is printed (indented) on stdout and the
exit status is 0. An error answer, or a sandbox that cannot be reached, is reported on stderr
with exit status 1; a usage error exits with 2.
"""

import argparse
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, List, Optional, Tuple

from . import __version__

DEFAULT_URL = "http://127.0.0.1:8080"
SETTINGS = ("notify-url", "notify-signer", "notify-spelling", "certificate-mode", "rate-limit")


def _json_arg(text: str):
    try:
        return json.loads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not JSON: {err}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxpay-sandbox-ctl", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Drive a running wxpay-sandbox through its control endpoints (unauthenticated, loopback).",
        epilog="examples:\n"
               "  wxpay-sandbox-ctl state --ids\n"
               "  wxpay-sandbox-ctl terminate papay:12535:wxwtdk20200910100001 --mode USER_TERMINATE\n"
               "  wxpay-sandbox-ctl fault bad_signature --count 2\n"
               "  wxpay-sandbox-ctl seed papay 1900007291 --count 5000 --prefix BULK --ids\n"
               "  wxpay-sandbox-ctl chaos --seed 7 --rate reset_after=0.03 --rate ratelimit=0.05 --burst 3\n"
               "  wxpay-sandbox-ctl ledger --totals\n"
               "  wxpay-sandbox-ctl set 1900007291 notify-url http://127.0.0.1:9000/notify\n"
               "  wxpay-sandbox-ctl rotate-certificates && wxpay-sandbox-ctl activate-certificate\n"
               "The URL comes from --url, else $WXPAY_SANDBOX_URL, else $SANDBOX_URL, else " + DEFAULT_URL + ".")
    parser.add_argument("--version", action="version", version=f"wxpay-sandbox-ctl {__version__}")
    parser.add_argument("--url", help="the sandbox's base URL (the SANDBOX_URL it printed)")
    parser.add_argument("--cafile", metavar="PEM", help="trust this certificate for https (the sandbox's "
                                                         "KEYS_DIR/tls_cert.pem)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("state", help="records and their state (GET /sandbox/state)",
                       description="Print the records (GET /sandbox/state): ids, owners, states, terminations.")
    p.add_argument("--collection", help="only this product family (papay, payscore, …)")
    p.add_argument("--owner", metavar="MCHID", help="only this merchant's records")
    p.add_argument("--ids", action="store_true", help="print `ID STATE` lines instead of JSON")

    p = sub.add_parser("log", help="API requests received (GET /sandbox/log)",
                       description="Print the request log (GET /sandbox/log): method, path, mchid, operation, "
                                   "status, fault, nonce, time of every API request since start or reset.")
    p.add_argument("--operation", help="only entries of this operation (e.g. terminate_papay_contract)")

    p = sub.add_parser("terminate", help="terminate a record as the user would (POST /sandbox/contracts/terminate)",
                       description="Terminate a record the way the user, customer service or WeChat Pay would (no "
                                   "API call), which sends its notification: POST /sandbox/contracts/terminate.")
    p.add_argument("contract", metavar="CONTRACT_ID", help="an id from `state`, e.g. papay:12535:wxwtdk20200910100001")
    p.add_argument("--mode", default="USER_TERMINATE",
                   help="USER_TERMINATE (default), CUSTOMER_SERVICE_TERMINATE, SYSTEM_TERMINATE, … per product")
    p.add_argument("--remark", help="termination remark (1-256 characters)")

    p = sub.add_parser("notify", help="send a notification of your own (POST /sandbox/notifications/send)",
                       description="Send a signed, encrypted notification to a merchant's notify_url: "
                                   "POST /sandbox/notifications/send.")
    p.add_argument("mchid", metavar="MCHID")
    p.add_argument("event_type", metavar="EVENT_TYPE", help="e.g. ENTRUST.TERMINATE")
    p.add_argument("--plaintext", type=_json_arg, metavar="JSON", help='the resource before encryption '
                                                                        '(default {"mchid": MCHID})')
    p.add_argument("--summary", help="the envelope's summary")
    p.add_argument("--original-type", help="resource.original_type (also the associated data)")

    sub.add_parser("notifications", help="notification delivery log (GET /sandbox/notifications)",
                   description="Print notifications, delivery attempts and pending retries (GET /sandbox/notifications).")

    p = sub.add_parser("fault", help="arm a response fault (POST /sandbox/faults)",
                       description="Arm a response fault for the next N termination requests (POST /sandbox/faults); "
                                   "`none` disarms; no NAME prints the armed one (GET /sandbox/faults).")
    p.add_argument("name", nargs="?", metavar="NAME", help="probe, bad_signature, skew, missing_headers, "
                                                           "unknown_serial, tampered_body, truncated_body, ratelimit, "
                                                           "system_error, reset_before, reset_after, slow, or none")
    p.add_argument("--count", type=int, default=1, help="how many requests (0-1000, default 1)")
    p.add_argument("--delay-ms", type=int, help="the delay of `slow` (0-60000, default 2000)")

    p = sub.add_parser("seed", help="create N new records (POST /sandbox/seed)",
                       description="Create COUNT new effective records of a product family for a merchant, ids "
                                   "PREFIX000001…, the first TERMINATED of them already terminated by the user "
                                   "(POST /sandbox/seed); prints each id and the parameters a client needs.")
    p.add_argument("collection", metavar="COLLECTION", help="papay, payscore, transfer_authorization, …")
    p.add_argument("owner", metavar="MCHID", help="the merchant that owns them")
    p.add_argument("--count", type=int, default=1, help="how many (1-100000, default 1)")
    p.add_argument("--prefix", default="BULK", help="1-20 letters or digits the ids start with (default BULK)")
    p.add_argument("--terminated", type=int, default=0, help="how many of them start terminated (default 0)")
    p.add_argument("--ids", action="store_true", help="print `ID STATE` lines instead of JSON")

    p = sub.add_parser("chaos", help="random faults for soak runs (POST /sandbox/chaos)",
                       description="Turn chaos mode on (every API request draws a fault at random) or `off`; "
                                   "without arguments print its settings and counts (GET /sandbox/chaos).")
    p.add_argument("off", nargs="?", choices=["off"], help="turn chaos mode off")
    p.add_argument("--seed", type=int, default=0, help="seed of the random generator (default 0)")
    p.add_argument("--rate", action="append", default=[], metavar="FAULT=P",
                   help="probability of a fault per request, e.g. reset_after=0.03 (repeatable; notify_duplicate=P "
                        "for notifications)")
    p.add_argument("--delay-ms", type=int, default=2000, help="the delay of `slow` (default 2000)")
    p.add_argument("--burst", type=int, default=1, help="a drawn fault repeats for this many requests of the "
                                                        "merchant (default 1)")

    p = sub.add_parser("ledger", help="what each record went through (GET /sandbox/ledger)",
                       description="Print the ledger (GET /sandbox/ledger): per record terminate requests, "
                                   "applied, rejected_already_terminated, after_confirmed, queries; totals, rate "
                                   "limited requests and faults injected.")
    p.add_argument("--contract", metavar="ID", help="only this record")
    p.add_argument("--totals", action="store_true", help="leave out the per-record entries")

    p = sub.add_parser("notify-fault", help="arm a notification fault (POST /sandbox/notify-faults)",
                       description="Arm a notification fault for the next N notifications (POST /sandbox/notify-faults); "
                                   "`none` disarms; no NAME prints the armed one.")
    p.add_argument("name", nargs="?", metavar="NAME", help="probe, tampered_ciphertext, wrong_key, skew, reserialized, "
                                                           "duplicate, bad_signature, unknown_serial, or none")
    p.add_argument("--count", type=int, default=1, help="how many notifications (0-1000, default 1)")

    sub.add_parser("certificates", help="listed platform certificates (GET /sandbox/certificates)",
                   description="Print the listed platform certificates and the signer (GET /sandbox/certificates).")
    p = sub.add_parser("rotate-certificates", help="list a new platform certificate (POST /sandbox/certificates/rotate)",
                       description="List a new platform certificate; the old one keeps signing until "
                                   "activate-certificate (POST /sandbox/certificates/rotate).")
    p.add_argument("--expired", action="store_true", help="make the new certificate an expired one")
    p = sub.add_parser("activate-certificate", help="make a listed certificate the signer "
                                                    "(POST /sandbox/certificates/activate)",
                       description="Make a listed platform certificate the one that signs; without SERIAL the newest "
                                   "valid one (POST /sandbox/certificates/activate).")
    p.add_argument("serial", nargs="?", metavar="SERIAL")
    p = sub.add_parser("retire-certificate", help="unlist old certificates (POST /sandbox/certificates/retire)",
                       description="Unlist a platform certificate; without SERIAL every one listed before the signer "
                                   "and every expired one (POST /sandbox/certificates/retire).")
    p.add_argument("serial", nargs="?", metavar="SERIAL")

    sub.add_parser("merchants", help="merchants and their settings (GET /sandbox/merchants)",
                   description="Print each merchant's APIv3 key, notify settings, certificate mode and rate limit.")
    p = sub.add_parser("set", help="change a merchant setting (POST /sandbox/merchants/MCHID/SETTING)",
                       description="Change one merchant setting until the next reset: "
                                   "POST /sandbox/merchants/MCHID/SETTING. `none` clears notify-url and rate-limit.")
    p.add_argument("mchid", metavar="MCHID")
    p.add_argument("setting", choices=SETTINGS)
    p.add_argument("value", metavar="VALUE", help="notify-url: URL|none; notify-signer: public_key|"
                                                  "platform_certificate; notify-spelling: primary|alternate; "
                                                  "certificate-mode: certificates|public_key_only|certificates_only; "
                                                  "rate-limit: N|none")
    sub.add_parser("keys", help="public key, platform certificate, APIv3 keys (GET /sandbox/keys)",
                   description="Print the WeChat Pay public key and id, the platform certificate and each "
                               "merchant's serial and APIv3 key (GET /sandbox/keys).")
    sub.add_parser("reset", help="re-seed everything (POST /sandbox/reset)",
                   description="Re-seed the records and restore every default (POST /sandbox/reset).")
    return parser


def request(args, method: str, path: str, payload: Any = None) -> Tuple[int, Any]:
    base = (args.url or os.environ.get("WXPAY_SANDBOX_URL") or os.environ.get("SANDBOX_URL") or DEFAULT_URL)
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(req, timeout=args.timeout) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        with e:
            status, body = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        raise SystemExit(f"wxpay-sandbox-ctl: cannot reach {base}: {getattr(e, 'reason', e)}") from None
    try:
        return status, json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        return status, body.decode("utf-8", "replace")


def _optional(name: Optional[str], key: str) -> dict:
    return {} if name is None else {key: name}


def _setting_value(setting: str, value: str):
    if setting in ("notify-url", "rate-limit") and value.lower() in ("none", "null", "off", ""):
        return None
    if setting == "rate-limit":
        return int(value) if value.isdigit() else value  # the sandbox explains a bad one
    return value


def _rate(text: str) -> Tuple[str, Any]:
    name, sep, value = text.partition("=")
    try:
        return name, float(value) if sep else value
    except ValueError:
        return name, value  # the sandbox explains a bad one


def call(args) -> Tuple[str, str, Any]:
    """(method, path, payload) of the subcommand."""
    c = args.command
    if c == "state":
        query = urllib.parse.urlencode({k: v for k, v in (("collection", args.collection), ("owner", args.owner))
                                        if v is not None})
        return "GET", "/sandbox/state" + ("?" + query if query else ""), None
    if c == "log":
        return "GET", "/sandbox/log", None
    if c == "terminate":
        return "POST", "/sandbox/contracts/terminate", {"contract": args.contract, "mode": args.mode,
                                                        **_optional(args.remark, "remark")}
    if c == "notify":
        payload = {"mchid": args.mchid, "event_type": args.event_type}
        payload.update(_optional(args.summary, "summary"))
        payload.update(_optional(args.original_type, "original_type"))
        if args.plaintext is not None:
            payload["plaintext"] = args.plaintext
        return "POST", "/sandbox/notifications/send", payload
    if c == "notifications":
        return "GET", "/sandbox/notifications", None
    if c in ("fault", "notify-fault"):
        path = "/sandbox/faults" if c == "fault" else "/sandbox/notify-faults"
        if args.name is None:
            return "GET", path, None
        payload = {"fault": None if args.name.lower() == "none" else args.name, "count": args.count}
        if getattr(args, "delay_ms", None) is not None:
            payload["delay_ms"] = args.delay_ms
        return "POST", path, payload
    if c == "seed":
        return "POST", "/sandbox/seed", {"collection": args.collection, "owner": args.owner, "count": args.count,
                                         "prefix": args.prefix, "terminated": args.terminated}
    if c == "chaos":
        if args.off:
            return "POST", "/sandbox/chaos", {}
        if not args.rate:
            return "GET", "/sandbox/chaos", None
        return "POST", "/sandbox/chaos", {"seed": args.seed, "rates": dict(_rate(r) for r in args.rate),
                                          "delay_ms": args.delay_ms, "burst": args.burst}
    if c == "ledger":
        return "GET", "/sandbox/ledger", None
    if c == "certificates":
        return "GET", "/sandbox/certificates", None
    if c == "rotate-certificates":
        return "POST", "/sandbox/certificates/rotate", {"expired": args.expired}
    if c == "activate-certificate":
        return "POST", "/sandbox/certificates/activate", _optional(args.serial, "serial_no")
    if c == "retire-certificate":
        return "POST", "/sandbox/certificates/retire", _optional(args.serial, "serial_no")
    if c == "merchants":
        return "GET", "/sandbox/merchants", None
    if c == "set":
        name = args.setting.replace("-", "_")
        return "POST", f"/sandbox/merchants/{args.mchid}/{args.setting}", {name: _setting_value(args.setting, args.value)}
    if c == "keys":
        return "GET", "/sandbox/keys", None
    if c == "reset":
        return "POST", "/sandbox/reset", None
    raise AssertionError(c)


def render(args, answer: Any) -> str:
    if args.command == "state" and isinstance(answer, dict):
        records: List[dict] = answer.get("records", [])
        records = [r for r in records if (args.collection is None or r.get("collection") == args.collection)
                   and (args.owner is None or r.get("owner") == args.owner)]
        if args.ids:
            return "\n".join(f"{r['id']} {r['state']}" for r in records)
        answer = {**answer, "records": records}
    if args.command == "seed" and isinstance(answer, dict) and args.ids:
        return "\n".join(f"{r['id']} {r['state']}" for r in answer.get("records", []))
    if args.command == "ledger" and isinstance(answer, dict):
        if args.contract is not None:
            answer = {**answer, "contracts": {k: v for k, v in answer.get("contracts", {}).items() if k == args.contract}}
        if args.totals:
            answer = {k: v for k, v in answer.items() if k != "contracts"}
    if args.command == "log" and isinstance(answer, dict) and args.operation:
        answer = {"requests": [e for e in answer.get("requests", []) if e.get("operation") == args.operation]}
    return json.dumps(answer, ensure_ascii=False, indent=2)


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("fault", "notify-fault") and not 0 <= args.count <= 1000:
        parser.error("--count must be from 0 to 1000")
    method, path, payload = call(args)
    status, answer = request(args, method, path, payload)
    if not 200 <= status < 300:
        text = json.dumps(answer, ensure_ascii=False) if not isinstance(answer, str) else answer
        print(f"wxpay-sandbox-ctl: {method} {path} answered {status}: {text}", file=sys.stderr)
        return 1
    out = render(args, answer)
    if out:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
