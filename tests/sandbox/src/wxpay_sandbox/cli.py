"""`wxpay-sandbox`: runs the sandbox until SIGTERM or Ctrl-C.

The first line on stdout is always `SANDBOX_URL=http(s)://127.0.0.1:PORT` (with `--port 0`
the port chosen), flushed at once so a parent process can read it; a summary of what to
configure (merchants, serials, key files, APIv3 keys) follows unless `--quiet`. Each request
is logged to stderr as one line.

The repository's `tests/sandbox/server.py` runs the same `main` with the committed test keys
(`repo=RepoLayout(...)`): there the default port is 0, the summary is off, and no key is
generated.
"""

import argparse
import signal
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional

from . import __version__
from .keygen import KeysDir
from .seeds import builtin_records, check_unique, load_seed_file, seeder
from .server import (MAX_RATE_LIMIT, PUBLIC_KEY_ID, ApiError, Merchant, ServerOptions, check_notify_url,
                     check_rate_limit, load_merchants_file, loopback_host, make_server, merchant_from_dict)

DEFAULT_KEYS_DIR = "wxpay-sandbox-keys"
MODE_WORDS = {"certificates": "platform certificates and WeChat Pay public key",
              "public_key_only": "WeChat Pay public key only",
              "certificates_only": "platform certificates only"}


@dataclass(frozen=True)
class RepoLayout:
    """The repository's committed test keys and merchants (tests/sandbox/keys, merchants.json)."""

    keys_dir: Path
    merchants_file: Path


EPILOG = """\
merchants:
  --merchant MCHID:SERIAL:PEM[:OPTION=VALUE,...]   accepts requests signed with your own test key pair.
  PEM is your public key or your merchant certificate (then SERIAL may be left empty: MCHID::cert.pem).
  Options: mode=both|public_key|certificate (certificate_mode: certificates, public_key_only,
  certificates_only), apiv3_key=32 ASCII characters (default: a stable test key derived from
  MCHID and SERIAL, printed at start), notify_url=http://127.0.0.1:PORT/PATH, rate_limit=N,
  notify_signer=public_key|platform_certificate. A merchant with the mchid of another replaces it.

seeds (--seed, repeatable; replaces the built-in records unless --builtin-seeds):
  JSON: {"merchants": [ ...as in merchants.json... ],
         "contracts": {"papay": [{"owner": "1900007291", "plan_id": 12535, "out_contract_code": "c1"}], ...}}
  CSV:  a header row with collection,owner[,state][,termination_mode] and the id columns, e.g.
        collection,owner,plan_id,out_contract_code,contract_id,authorization_code,service_id
  Product families and their id fields are listed in README.md (Seed files).

state (--state FILE): the records are restored from FILE when it exists (else seeded and
  written), and FILE is rewritten atomically after every change and on shutdown.

Drive a running sandbox with wxpay-sandbox-ctl (see wxpay-sandbox-ctl --help).
"""


def build_parser(repo: Optional[RepoLayout]) -> argparse.ArgumentParser:
    prog = "server.py" if repo else "wxpay-sandbox"
    parser = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="A local WeChat Pay APIv3 sandbox for the 19 contract-termination endpoints and their 19 "
                    "queries: signed requests and answers, notifications, platform certificates, faults, chaos, "
                    "a ledger for load runs. TEST keys only.")
    parser.add_argument("--version", action="version", version=f"wxpay-sandbox {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.0/8 or "
                                                            "localhost; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0 if repo else 8080,
                        help=f"TCP port; 0 picks a free one (printed) (default {0 if repo else 8080})")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with KEYS_DIR/tls_cert.pem")
    keys_default = repo.keys_dir if repo else f"./{DEFAULT_KEYS_DIR}"
    parser.add_argument("--keys-dir", metavar="DIR", help=f"the sandbox's test keys; missing ones are generated at "
                                                          f"start (default {keys_default})")
    parser.add_argument("--merchants-file", metavar="FILE",
                        help="merchants.json to load (default: KEYS_DIR/merchants.json"
                             + (f"; here {repo.merchants_file})" if repo else ")"))
    parser.add_argument("--merchant", action="append", default=[], metavar="MCHID:SERIAL:PEM[:OPTS]",
                        help="also accept this merchant, with your own test key pair (repeatable; see below)")
    parser.add_argument("--seed", action="append", default=[], metavar="FILE",
                        help="seed records (and merchants) from FILE.json or FILE.csv (repeatable)")
    parser.add_argument("--builtin-seeds", action="store_true",
                        help="keep the built-in records as well as those of --seed")
    parser.add_argument("--state", metavar="FILE", help="persist the records in FILE (JSON) across restarts")
    parser.add_argument("--notify-url", metavar="URL",
                        help="notify_url of every merchant that has none (http:// on a loopback host)")
    parser.add_argument("--rate-limit", type=int, metavar="N",
                        help="answer 429 RATELIMIT_EXCEEDED past N requests per second per merchant "
                             "(default off; a merchant's own rate_limit wins)")
    parser.add_argument("--notify-time-scale", type=float, default=1.0, metavar="F",
                        help="multiplies every notification retry delay (tests: e.g. 0.001) (default 1.0)")
    parser.add_argument("--notify-timeout", type=float, default=5.0, metavar="SECONDS",
                        help="a notify_url reply slower than this is a failed delivery (WeChat Pay: 5) (default 5)")
    parser.add_argument("--quiet", action=argparse.BooleanOptionalAction, default=bool(repo),
                        help="print only the SANDBOX_URL line" + (" (default here)" if repo else ""))
    return parser


def parse_merchant_spec(spec: str) -> Merchant:
    """`MCHID:SERIAL:PEM[:OPT=VAL,...]` (relative PEM paths from the current folder)."""
    parts = spec.split(":", 3)
    if len(parts) < 3 or not parts[0] or not parts[2]:
        raise SystemExit(f"--merchant {spec!r}: expected MCHID:SERIAL:PEM[:OPTION=VALUE,...]")
    doc: Dict[str, object] = {"mchid": parts[0], "public_key": parts[2]}
    if parts[1]:
        doc["serial_no"] = parts[1]
    if len(parts) == 4 and parts[3]:
        for item in parts[3].split(","):
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or not name:
                raise SystemExit(f"--merchant {spec!r}: option {item!r} is not NAME=VALUE")
            if name == "mode":
                name = "certificate_mode"
            if name not in ("certificate_mode", "apiv3_key", "notify_url", "rate_limit", "notify_signer"):
                raise SystemExit(f"--merchant {spec!r}: unknown option {name!r}")
            if name == "rate_limit":
                if not value.isdigit():
                    raise SystemExit(f"--merchant {spec!r}: rate_limit must be a number")
                doc[name] = int(value)
            elif name == "notify_url" and value.lower() in ("", "none", "null"):
                doc[name] = None
            else:
                doc[name] = value
    return merchant_from_dict(doc, Path.cwd(), f"--merchant {parts[0]}")


def merge_merchants(*groups: List[Merchant]) -> List[Merchant]:
    """Later groups replace earlier merchants with the same mchid; order of first appearance kept."""
    merged: Dict[str, Merchant] = {}
    for group in groups:
        for m in group:
            merged[m.mchid] = m
    return list(merged.values())


def check_args(parser: argparse.ArgumentParser, args) -> None:
    if not args.notify_time_scale >= 0 or args.notify_time_scale == float("inf"):
        parser.error("--notify-time-scale must be a finite number >= 0")
    if not 0 < args.notify_timeout <= 600:
        parser.error("--notify-timeout must be in (0, 600]")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be in 0..65535")
    if args.rate_limit is not None:
        try:
            check_rate_limit(args.rate_limit)
        except ValueError:
            parser.error(f"--rate-limit must be from 1 to {MAX_RATE_LIMIT}")
    if args.notify_url is not None:
        try:
            check_notify_url(args.notify_url)
        except ApiError as err:
            parser.error(f"--notify-url: {err.message}")


def configure(args, repo: Optional[RepoLayout]):
    """(ServerOptions, facts for the banner) from the parsed arguments."""
    generated: List[str] = []
    if args.keys_dir is not None:
        keys_dir = Path(args.keys_dir).resolve()
    elif repo is not None:
        keys_dir = repo.keys_dir
    else:
        keys_dir = Path(DEFAULT_KEYS_DIR).resolve()
    if repo is None or keys_dir != repo.keys_dir.resolve():  # the committed keys are never added to
        generated = KeysDir(keys_dir).ensure()
    if args.merchants_file is not None:
        merchants_file = Path(args.merchants_file).resolve()
    elif repo is not None and keys_dir == repo.keys_dir.resolve():
        merchants_file = repo.merchants_file
    else:
        merchants_file = keys_dir / "merchants.json"
    base = load_merchants_file(merchants_file)

    records: List[dict] = []
    seeded_merchants: List[Merchant] = []
    for name in args.seed:
        found, merchants = load_seed_file(Path(name).resolve())
        records += found
        seeded_merchants += merchants
    if not args.seed or args.builtin_seeds:
        records = builtin_records() + records
    check_unique(records, "seeds")
    merchants = merge_merchants(base, seeded_merchants, [parse_merchant_spec(s) for s in args.merchant])
    merchants = [replace(m, notify_url=m.notify_url if m.notify_url is not None else args.notify_url,
                         rate_limit=m.rate_limit if m.rate_limit is not None else args.rate_limit)
                 for m in merchants]
    known = {m.mchid for m in merchants}
    strangers = sorted({r["owner"] for r in records} - known)
    if strangers:
        raise SystemExit(f"seed records are owned by merchants the sandbox does not know: {', '.join(strangers)} "
                         "(add them with --merchant or a seed file's \"merchants\")")
    state_file = Path(args.state).resolve() if args.state else None
    if state_file is not None and not state_file.parent.is_dir():
        raise SystemExit(f"--state {state_file}: the folder {state_file.parent} does not exist")
    options = ServerOptions(keys_dir=keys_dir, merchants=merchants, seeder=seeder(records),
                            host=loopback_host(args.host), port=args.port, tls=args.tls,
                            notify_time_scale=args.notify_time_scale, notify_timeout=args.notify_timeout,
                            state_file=state_file)
    facts = {"generated": generated, "merchants_file": merchants_file,
             "seeds": [str(Path(s).resolve()) for s in args.seed], "builtin": not args.seed or args.builtin_seeds}
    return options, facts


def banner(server, options: ServerOptions, facts: dict) -> str:
    keys = server.keys
    d = options.keys_dir
    lines = [
        f"wxpay-sandbox {__version__}: a local WeChat Pay APIv3 sandbox. TEST KEYS ONLY - nothing here signs "
        "for anything real.",
        "",
        f"  Base URL               {server.url}   (for api.mch.weixin.qq.com and apihk.mch.weixin.qq.com)",
        f"  Keys folder            {d}"
        + (f"   ({len(facts['generated'])} test files generated now)" if facts["generated"] else "   (reused)"),
        f"  WeChat Pay public key  id {PUBLIC_KEY_ID}",
        f"                         {d / 'wechatpay_public_key.pem'}",
        f"  Platform certificate   serial {keys.platform_serial}",
        f"                         {d / 'platform_cert.pem'}",
    ]
    if options.tls:
        lines.append(f"  TLS certificate        {d / 'tls_cert.pem'}   (trust it: self-signed, 127.0.0.1/localhost)")
    source = ", ".join(facts["seeds"]) if facts["seeds"] else "built-in seeds"
    if facts["seeds"] and facts["builtin"]:
        source = "built-in seeds and " + source
    if options.state_file is not None:
        how = "restored from it" if server.state.restored else f"seeded from {source}"
        lines.append(f"  State file             {options.state_file}   ({len(server.state.records)} records, {how})")
    else:
        lines.append(f"  Records                {len(server.state.records)} from {source} (GET /sandbox/state)")
    lines += ["", "Merchants (configure one of them in your SDK):"]
    for m in keys.merchant_list:
        lines.append(f"  {m.mchid}   certificate_mode {m.certificate_mode} ({MODE_WORDS[m.certificate_mode]})")
        lines.append(f"    serial_no      {m.serial_no}")
        if m.private_key_file:
            lines.append(f"    private key    {m.private_key_file}")
        else:
            lines.append(f"    private key    your own (its public half: {m.public_key_file})")
        if m.certificate_file:
            lines.append(f"    certificate    {m.certificate_file}")
        lines.append(f"    APIv3 key      {m.apiv3_key}")
        lines.append(f"    notify_url     {m.notify_url or '-'}")
        lines.append(f"    rate limit     {str(m.rate_limit) + ' requests/s' if m.rate_limit else 'off'}")
    lines += ["", f"Control it: wxpay-sandbox-ctl --url {server.url} state | log | terminate ID | ... (--help)",
              "Stop: Ctrl-C or SIGTERM."]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None, repo: Optional[RepoLayout] = None) -> int:
    parser = build_parser(repo)
    args = parser.parse_args(argv)
    check_args(parser, args)
    options, facts = configure(args, repo)
    try:
        server = make_server(options)
    except OSError as err:
        print(f"wxpay-sandbox: cannot listen on {options.host}:{options.port}: {err}", file=sys.stderr)
        return 1

    def stop(signum, _frame):
        # shutdown() waits for serve_forever() to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"SANDBOX_URL={server.url}", flush=True)
    if not args.quiet:
        print(banner(server, options, facts), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.state.persist()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
