"""``python -m wxpay_terminate``: download platform certificates, check a merchant's key files,
terminate contracts in bulk and report on a bulk run.

Secrets come from files or the environment only (``--apiv3-key-file`` or ``WXPAY_APIV3_KEY``;
the private key from its file or ``WXPAY_PRIVATE_KEY``), never from the command line, where
``ps`` and shell history would show them. Exit status: 0 ok, 1 a problem was found (or the
download failed, or a contract's end is not confirmed), 2 usage, 130 interrupted.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import Client, WxpayError

APIV3_ENV = "WXPAY_APIV3_KEY"
PRIVATE_KEY_ENV = "WXPAY_PRIVATE_KEY"
MIN_RSA_BITS = 2048

# A Client must trust some key before it can download the certificates it will trust. This
# self-signed certificate stands in: its private key was destroyed when it was made (2026-11-25),
# so it verifies nothing; the download is verified with a certificate from its own list (after
# AES-GCM under the APIv3 key authenticated that list).
_PLACEHOLDER_CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIC+DCCAeCgAwIBAgIUfwAAAAAAAAAAAAAAAAAAAAAAAAEwDQYJKoZIhvcNAQEL
BQAwNTEzMDEGA1UEAwwqd3hwYXktdGVybWluYXRlIHBsYWNlaG9sZGVyLCBrZXkg
ZGVzdHJveWVkMCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAwWjA1MTMw
MQYDVQQDDCp3eHBheS10ZXJtaW5hdGUgcGxhY2Vob2xkZXIsIGtleSBkZXN0cm95
ZWQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCc9C5V1rpwnAGNEse2
wrQPgmajybs+OEieB4lR/SiE3foPVwk/Ie/sRHkwUZlBOTQTlCqE36ZheyNWHJU7
yPAj8V9UJOEBwVhy0i/fq7czm7NYdY8VX10avZXTU7v77/eI9CE9EGIYGub4HNX9
JHJKPYOItKocKjfdCjRY5hkMGVj77OvQWllKVJU/SweCKqvPPrc8Woj+CHCg4bcE
XfEV+NTi2KYQ0NzDw9Fil71bIGqKJVj9f85nZ6c91GjMaYFl6ZFyOxyVGFkzK6VB
4GLMKy1XZ4XRST3QqtlCTSqdjbVUCkmptZujaI3Yhjp1LLjC731bYTqTQx7tLS/+
tSkbAgMBAAEwDQYJKoZIhvcNAQELBQADggEBAEUoUAQY/BWd6g7TwU7iNuVLpi6X
bRBx3fqJBSoFgYgLE4zK7lliEFinO7A65c252vXegmlOZPaSPrtISXmAgF3kPYJK
UcQke2m6gw8Qh/9i97X2Ctxc7lIQrePfsKyFm+4zE/idu98tIxqKsOo1PyWDtEFE
PcHak/HMpmJugIaM5gwjFp1oPYo4m+v5P3RDMkze4bG7Qn5lmntF2bfFBkkzaCXh
JTYXtGTvh2qVCzLVbIYH6Rdn3Tr6LXcsonTzzO4+rbWxzpyO6dRbjbixZaQ5jaIt
2l0zi91P/zHHFGhwbawt7sZArh/X25KXpjWmLBbRzyzNO9FVv956cmQU87g=
-----END CERTIFICATE-----
"""


class UsageError(Exception):
    """Exit status 2."""


# ---- a little DER, to compare keys without a crypto dependency ----------------------------------


def _pem_blocks(data: bytes) -> List[Tuple[str, bytes]]:
    text = data.decode("ascii", "replace")
    return [
        (label, base64.b64decode("".join(body.split())))
        for label, body in re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", text, re.S)
    ]


def _tlv(der: bytes, pos: int) -> Tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at ``pos``."""
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[pos:pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _children(der: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    out = []
    while start < end:
        tag, value_start, value_end = _tlv(der, start)
        out.append((tag, value_start, value_end))
        start = value_end
    return out


def _int(der: bytes, element: Tuple[int, int, int]) -> int:
    return int.from_bytes(der[element[1]:element[2]], "big")


def _rsa_from_sequence(der: bytes, start: int, end: int, offset: int) -> Tuple[int, int]:
    items = _children(der, start, end)
    return _int(der, items[offset]), _int(der, items[offset + 1])


def _rsa_from_spki(der: bytes, start: int, end: int) -> Tuple[int, int]:
    _, bits = _children(der, start, end)[:2]
    _, seq_start, seq_end = _tlv(der, bits[1] + 1)  # skip the unused-bits byte
    return _rsa_from_sequence(der, seq_start, seq_end, 0)


def _time(der: bytes, element: Tuple[int, int, int]) -> int:
    text = der[element[1]:element[2]].decode("ascii").rstrip("Z")
    fmt = "%y%m%d%H%M%S" if element[0] == 0x17 else "%Y%m%d%H%M%S"
    return int(datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp())


class Certificate(NamedTuple):
    serial: str
    not_before: int
    not_after: int
    public_key: Tuple[int, int]


def parse_certificate(pem: bytes) -> Certificate:
    blocks = [der for label, der in _pem_blocks(pem) if label == "CERTIFICATE"]
    if not blocks:
        raise ValueError("no -----BEGIN CERTIFICATE----- block")
    der = blocks[0]
    _, start, end = _tlv(der, 0)
    _, tbs_start, tbs_end = _children(der, start, end)[0]
    tbs = _children(der, tbs_start, tbs_end)
    if tbs[0][0] == 0xA0:  # explicit version
        tbs = tbs[1:]
    serial = format(_int(der, tbs[0]), "X")
    validity = _children(der, tbs[3][1], tbs[3][2])
    return Certificate(serial, _time(der, validity[0]), _time(der, validity[1]), _rsa_from_spki(der, tbs[5][1], tbs[5][2]))


def rsa_public_numbers(pem: bytes) -> Tuple[int, int]:
    """(n, e) of an RSA private key (PKCS#8 or PKCS#1) or public key (SPKI or PKCS#1) PEM."""
    for label, der in _pem_blocks(pem):
        _, start, end = _tlv(der, 0)
        if label == "PRIVATE KEY":
            key = _children(der, start, end)[2]
            _, key_start, key_end = _tlv(der, key[1])
            return _rsa_from_sequence(der, key_start, key_end, 1)
        if label == "RSA PRIVATE KEY":
            return _rsa_from_sequence(der, start, end, 1)
        if label == "PUBLIC KEY":
            return _rsa_from_spki(der, start, end)
        if label == "RSA PUBLIC KEY":
            return _rsa_from_sequence(der, start, end, 0)
        if label == "ENCRYPTED PRIVATE KEY":
            raise ValueError("the private key is encrypted: export it without a passphrase")
    raise ValueError("no RSA key PEM block")


# ---- inputs ---------------------------------------------------------------------------------------


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {what} {path!r}: {e.strerror or e}") from None


def _apiv3_key(args: argparse.Namespace, required: bool) -> Optional[bytes]:
    if args.apiv3_key_file:
        return _read(args.apiv3_key_file, "--apiv3-key-file")
    value = os.environ.get(APIV3_ENV)
    if value is not None:
        return value.encode("utf-8")
    if required:
        raise UsageError(f"the APIv3 key is needed: --apiv3-key-file FILE or the environment variable {APIV3_ENV}")
    return None


def _date(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _apiv3_problem(key: bytes) -> Optional[str]:
    if len(key) == 32:
        return None
    hint = " (it ends in a newline: save the file without one)" if key.endswith(b"\n") else ""
    return f"the APIv3 key is {len(key)} bytes, not 32{hint}"


# ---- commands -------------------------------------------------------------------------------------


def cmd_certificates(args: argparse.Namespace) -> int:
    private_key = _read(args.private_key, "--private-key")
    apiv3_key = _apiv3_key(args, required=True)
    assert apiv3_key is not None
    problem = _apiv3_problem(apiv3_key)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    options: Dict[str, Any] = dict(
        mchid=args.mchid, serial_no=args.serial_no, private_key=private_key,
        platform_certificates=[_PLACEHOLDER_CERTIFICATE], apiv3_key=apiv3_key,
    )
    if args.base_url:
        options.update(base_url=args.base_url, global_base_url=args.base_url)
    from .certificates import default_send

    try:
        client = Client(**options)
        req = client.certificates_request("global" if args.use_global else "api")
        status, headers, body = default_send(args.timeout)(req)
        certificates = client.parse_certificates(status, headers, body)
    except WxpayError as e:
        print(f"error: {e.__class__.__name__}: {e}" + (f" ({e.api_message})" if e.api_message else ""), file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: the download failed: {e}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for c in certificates["certificates"]:
        path = out / f"{c['serial_no']}.pem"
        path.write_text(c["pem"], encoding="ascii")
        print(f"{c['serial_no']}  valid {_date(c['not_before'])} .. {_date(c['not_after'])}  {path}")
    if not certificates["certificates"]:
        print("no certificate valid now was listed", file=sys.stderr)
        return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    problems: List[str] = []
    ok: List[str] = []
    now = int(time.time())

    def problem(text: str) -> None:
        problems.append(text)

    private_key = _read(args.private_key, "--private-key")
    numbers: Optional[Tuple[int, int]] = None
    try:
        numbers = rsa_public_numbers(private_key)
    except (ValueError, IndexError) as e:
        problem(f"private key {args.private_key}: not an RSA key the library can use ({e})")
    if numbers is not None:
        bits = numbers[0].bit_length()
        if bits < MIN_RSA_BITS:
            problem(f"private key {args.private_key}: RSA {bits} bits; WeChat Pay needs at least {MIN_RSA_BITS}")
        try:
            Client(mchid=args.mchid, serial_no=args.serial_no, private_key=private_key,
                   platform_certificates=[_PLACEHOLDER_CERTIFICATE])
        except WxpayError as e:
            if bits >= MIN_RSA_BITS:
                problem(f"private key {args.private_key}: {e}")
        else:
            ok.append(f"private key {args.private_key}: RSA {bits} bits, loads")

    if args.merchant_cert:
        try:
            cert = parse_certificate(_read(args.merchant_cert, "--merchant-cert"))
        except (ValueError, IndexError) as e:
            problem(f"merchant certificate {args.merchant_cert}: not an X.509 certificate ({e})")
        else:
            if cert.serial.lstrip("0") != args.serial_no.upper().lstrip("0"):
                problem(f"--serial-no {args.serial_no} is not the merchant certificate's serial {cert.serial}")
            else:
                ok.append(f"merchant certificate serial {cert.serial} matches --serial-no")
            if numbers is not None and cert.public_key != numbers:
                problem(f"the private key does not match the merchant certificate {args.merchant_cert} (another key pair)")
            elif numbers is not None:
                ok.append("the private key matches the merchant certificate")
            if cert.not_after < now:
                problem(f"merchant certificate {args.merchant_cert} expired on {_date(cert.not_after)}")

    apiv3_key = _apiv3_key(args, required=False)
    if apiv3_key is not None:
        text = _apiv3_problem(apiv3_key)
        if text:
            problem(text)
        else:
            ok.append("APIv3 key: 32 bytes")

    if bool(args.wechatpay_public_key) != bool(args.wechatpay_public_key_id):
        raise UsageError("--wechatpay-public-key and --wechatpay-public-key-id go together")
    verification: Dict[str, Any] = {}
    if args.wechatpay_public_key:
        pem = _read(args.wechatpay_public_key, "--wechatpay-public-key")
        try:
            bits = rsa_public_numbers(pem)[0].bit_length()
        except (ValueError, IndexError) as e:
            problem(f"WeChat Pay public key {args.wechatpay_public_key}: not an RSA public key ({e})")
        else:
            if not args.wechatpay_public_key_id.startswith("PUB_KEY_ID_"):
                problem(f"--wechatpay-public-key-id {args.wechatpay_public_key_id!r} does not start with PUB_KEY_ID_")
            try:
                Client(mchid=args.mchid, serial_no=args.serial_no,
                       wechatpay_public_key_id=args.wechatpay_public_key_id, wechatpay_public_key=pem)
            except WxpayError as e:
                problem(f"WeChat Pay public key {args.wechatpay_public_key}: {e}")
            else:
                ok.append(f"WeChat Pay public key {args.wechatpay_public_key_id}: RSA {bits} bits, loads")
                verification.update(wechatpay_public_key_id=args.wechatpay_public_key_id, wechatpay_public_key=pem)
    for path in args.platform_certificate or []:
        try:
            cert = parse_certificate(_read(path, "--platform-certificate"))
        except (ValueError, IndexError) as e:
            problem(f"platform certificate {path}: not an X.509 certificate ({e})")
            continue
        if cert.not_after < now:
            problem(f"platform certificate {path} (serial {cert.serial}) expired on {_date(cert.not_after)}: download the current ones")
        elif cert.not_before > now:
            problem(f"platform certificate {path} (serial {cert.serial}) is not valid before {_date(cert.not_before)}")
        else:
            ok.append(f"platform certificate {cert.serial}: valid until {_date(cert.not_after)}")

    for line in ok:
        print(f"ok       {line}")
    for line in problems:
        print(f"PROBLEM  {line}")
    print(f"{len(problems)} problem(s)" if problems else "everything checked is fine")
    return 1 if problems else 0


def _bulk_client(args: argparse.Namespace) -> Client:
    """The client of a bulk run: identity from arguments (or WXPAY_MCHID / WXPAY_SERIAL_NO),
    keys from files (or WXPAY_PRIVATE_KEY)."""
    mchid = args.mchid or os.environ.get("WXPAY_MCHID")
    serial_no = args.serial_no or os.environ.get("WXPAY_SERIAL_NO")
    if not mchid or not serial_no:
        raise UsageError("--mchid and --serial-no (or WXPAY_MCHID and WXPAY_SERIAL_NO) are needed")
    if args.private_key:
        private_key = _read(args.private_key, "--private-key")
    elif os.environ.get(PRIVATE_KEY_ENV):
        private_key = os.environ[PRIVATE_KEY_ENV].encode("utf-8")
    else:
        raise UsageError(f"the merchant private key is needed: --private-key FILE or ${PRIVATE_KEY_ENV}")
    if bool(args.wechatpay_public_key) != bool(args.wechatpay_public_key_id):
        raise UsageError("--wechatpay-public-key and --wechatpay-public-key-id go together")
    options: Dict[str, Any] = dict(mchid=mchid, serial_no=serial_no, private_key=private_key)
    if args.wechatpay_public_key:
        options.update(wechatpay_public_key_id=args.wechatpay_public_key_id,
                       wechatpay_public_key=_read(args.wechatpay_public_key, "--wechatpay-public-key"))
    if args.platform_certificate:
        options["platform_certificates"] = [_read(p, "--platform-certificate") for p in args.platform_certificate]
    if not args.wechatpay_public_key and not args.platform_certificate:
        raise UsageError("a verification key is needed: --wechatpay-public-key with its id, or --platform-certificate")
    if args.base_url:
        options.update(base_url=args.base_url, global_base_url=args.base_url)
    try:
        return Client(**options)
    except WxpayError as e:
        raise UsageError(f"the client configuration is refused: {e}") from None


def _report_path(args: argparse.Namespace) -> Path:
    journal = Path(args.journal)
    return Path(args.report) if args.report else journal.with_name(journal.stem + ".report.csv")


def cmd_bulk(args: argparse.Namespace) -> int:
    from . import bulk

    input_path = Path(args.input)
    if not input_path.is_file():
        raise UsageError(f"--input {args.input!r} is not a file")
    policy = {"max_terminate_sends": args.max_sends} if args.max_sends else None
    if args.dry_run:
        try:
            rows, _ = bulk.load_rows(input_path)
        except WxpayError as e:
            raise UsageError(str(e)) from None
        per_operation: Dict[str, int] = {}
        invalid = 0
        for row in rows:
            try:
                from .confirm import Termination

                machine = Termination(row.operation, row.params, query_params=row.query_params or None, policy=policy)
                key = f"{machine.operation} (confirmed by {machine.query_operation})"
                per_operation[key] = per_operation.get(key, 0) + 1
            except WxpayError as e:
                invalid += 1
                print(f"row {row.row} (id {row.key}): {e}")
        for name, count in sorted(per_operation.items()):
            print(f"{count:8d}  {name}")
        print(f"dry run: {len(rows)} rows, {len(rows) - invalid} would be terminated, {invalid} invalid; nothing was sent")
        return 1 if invalid else 0

    client = _bulk_client(args)
    journal = bulk.Journal(Path(args.journal))
    try:
        try:
            total, invalid = bulk.prepare_journal(journal, input_path, policy)
        except WxpayError as e:
            raise UsageError(str(e)) from None
        run = bulk.BulkRun(client, journal, rate=args.rate, concurrency=args.concurrency, timeout=args.timeout,
                           policy=policy)
        import signal

        previous = signal.signal(signal.SIGTERM, lambda *_: run.stop())
        try:
            run.run()
        finally:
            signal.signal(signal.SIGTERM, previous)
        counts = bulk.write_report(journal, _report_path(args))
        print(bulk.summary_text(counts))
        print(f"report: {_report_path(args)}")
        if run.interrupted:
            return 130
        return 0 if counts["failed"] == 0 and counts["open"] == 0 else 1
    finally:
        journal.close()


def cmd_report(args: argparse.Namespace) -> int:
    from . import bulk

    if not Path(args.journal).is_file():
        raise UsageError(f"--journal {args.journal!r} does not exist")
    journal = bulk.Journal(Path(args.journal))
    try:
        counts = bulk.write_report(journal, _report_path(args))
    finally:
        journal.close()
    print(bulk.summary_text(counts))
    print(f"report: {_report_path(args)}")
    return 0 if counts["failed"] == 0 and counts["open"] == 0 else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m wxpay_terminate",
        allow_abbrev=False,
        description="WeChat Pay merchant tools. Secrets are read from files or the environment "
        f"({APIV3_ENV}), never from arguments. Exit status: 0 ok, 1 problems, 2 usage.",
    )
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def merchant(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mchid", required=True, help="merchant id (商户号)")
        p.add_argument("--serial-no", required=True, help="serial of the merchant API certificate")
        p.add_argument("--private-key", required=True, metavar="FILE", help="the merchant API private key (apiclient_key.pem)")
        p.add_argument("--apiv3-key-file", metavar="FILE",
                       help=f"file holding the 32-byte APIv3 key, no trailing newline (else ${APIV3_ENV})")

    download = commands.add_parser(
        "certificates", allow_abbrev=False, help="download, verify and save the platform certificates",
        description="Downloads the platform certificates (GET /v3/certificates), decrypts them with the "
        "APIv3 key, verifies the answer and writes each as OUT/<serial>.pem; prints serial and validity.",
    )
    merchant(download)
    download.add_argument("--base-url", help="API base URL (default https://api.mch.weixin.qq.com)")
    download.add_argument("--global", dest="use_global", action="store_true",
                          help="the cross-border download (GET /v3/global/certificates on apihk)")
    download.add_argument("--out", required=True, metavar="DIR", help="directory for the <serial>.pem files")
    download.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout in seconds (10)")
    download.set_defaults(run=cmd_certificates)

    check = commands.add_parser(
        "check", allow_abbrev=False, help="load the key files and say plainly what is wrong",
        description="Checks, offline: the private key loads and is RSA >= 2048 bits; with --merchant-cert, "
        "that it is the certificate's key pair and that --serial-no is its serial; the APIv3 key is 32 bytes; "
        "the WeChat Pay public key loads; platform certificates are valid now.",
    )
    merchant(check)
    check.add_argument("--merchant-cert", metavar="FILE", help="the merchant API certificate (apiclient_cert.pem)")
    check.add_argument("--wechatpay-public-key", metavar="FILE", help="the WeChat Pay public key (pub_key.pem)")
    check.add_argument("--wechatpay-public-key-id", metavar="ID", help="its id, PUB_KEY_ID_…")
    check.add_argument("--platform-certificate", metavar="FILE", action="append", help="a platform certificate (repeatable)")
    check.set_defaults(run=cmd_check)

    bulk = commands.add_parser(
        "bulk", allow_abbrev=False, help="terminate the contracts of a CSV file and confirm each one's end",
        description="Terminates every contract listed in --input (CSV: an `operation` column, one column per "
        "field, `query.<field>` for what the confirming query needs, optional `id`), confirming each final "
        "state by the answer, the family's query or a notification. The journal records every step before "
        "and after it is sent: kill the process at any moment and run the same command to resume; nothing "
        "confirmed is sent again and nothing is skipped. Writes a report CSV and prints a summary.",
    )
    bulk.add_argument("--input", required=True, metavar="CSV", help="the contracts to terminate")
    bulk.add_argument("--journal", required=True, metavar="FILE", help="the run's SQLite journal (created if missing)")
    bulk.add_argument("--report", metavar="CSV", help="where to write the report (default JOURNAL.report.csv)")
    bulk.add_argument("--rate", type=float, default=50.0, help="requests per second at most (50)")
    bulk.add_argument("--concurrency", type=int, default=8, help="requests in flight at most (8)")
    bulk.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout in seconds (10)")
    bulk.add_argument("--max-sends", type=int, metavar="N", help="terminate requests per contract at most (6)")
    bulk.add_argument("--dry-run", action="store_true", help="check every row and print the plan; send nothing")
    bulk.add_argument("--mchid", help="merchant id (or WXPAY_MCHID)")
    bulk.add_argument("--serial-no", help="serial of the merchant API certificate (or WXPAY_SERIAL_NO)")
    bulk.add_argument("--private-key", metavar="FILE", help=f"the merchant API private key (or ${PRIVATE_KEY_ENV})")
    bulk.add_argument("--wechatpay-public-key", metavar="FILE", help="the WeChat Pay public key (pub_key.pem)")
    bulk.add_argument("--wechatpay-public-key-id", metavar="ID", help="its id, PUB_KEY_ID_…")
    bulk.add_argument("--platform-certificate", metavar="FILE", action="append", help="a platform certificate (repeatable)")
    bulk.add_argument("--base-url", help="API base URL for every host (default WeChat Pay's; a sandbox URL for tests)")
    bulk.set_defaults(run=cmd_bulk)

    report = commands.add_parser(
        "report", allow_abbrev=False, help="write the report of a bulk run from its journal",
        description="Regenerates the report CSV and the summary of a bulk run from its journal alone.",
    )
    report.add_argument("--journal", required=True, metavar="FILE")
    report.add_argument("--report", metavar="CSV", help="where to write it (default JOURNAL.report.csv)")
    report.set_defaults(run=cmd_report)
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    return 2  # pragma: no cover


__all__ = ["main", "parser", "parse_certificate", "rsa_public_numbers"]
