"""Terminate many contracts and know the final state of every one: the engine behind
``python -m wxpay_terminate bulk``.

Each row of the input CSV is one contract: an ``operation`` column (a termination id such as
``terminate_papay_contract``) and one column per field of that operation, by its API name;
``query.<name>`` columns add what the confirming query needs and the termination does not take
(face pay ``query.out_user_id``, WeBizPay ``query.user_id``, edu-papay ``query.appid``). An
optional ``id`` column names the row in the report (default: its row number). Empty cells are
absent fields.

Every contract is driven by the core's terminate-and-confirm machine
(:class:`wxpay_terminate.confirm.Termination`). The **journal** (SQLite, standard library)
records each machine before a request is sent and again after its answer, in committed
transactions, so the process can be killed at any moment (``kill -9`` included) and the same
command resumes:

- a contract whose outcome is in the journal is never touched again, so no termination is sent
  after it was confirmed;
- a contract whose request was in flight when the process died resumes as "answer lost": its
  query goes first, so it is neither terminated twice nor skipped;
- every other contract continues from its last recorded state.

Requests are paced to ``rate`` per second across all workers (one every ``1/rate`` s, so no
one-second window holds more than ``rate``), and the pace halves on a 429 and recovers
gradually. The report (CSV) and the summary come from the journal alone, so ``bulk report``
regenerates them at any time.
"""
from __future__ import annotations

import csv
import hashlib
import heapq
import itertools
import json
import math
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, TextIO, Tuple, Type

from . import CATALOG, Client, InvalidInputError, WxpayError
from ._http import Send, default_send, transport_errors
from .confirm import Done, SendStep, Termination, Wait

__all__ = ["BulkRun", "Journal", "OUTCOMES", "Pacer", "load_rows", "write_report"]

#: The outcome kinds, in report order.
OUTCOMES = ("terminated", "already_terminated", "not_found", "failed")
SCHEMA_VERSION = "1"
REPORT_COLUMNS = (
    "id", "row", "operation", "outcome", "reason", "evidence", "evidence_operation", "status",
    "request_id", "state", "notification_id", "terminate_sends", "query_sends", "error_kind",
    "error_code",
)


def _now_ms() -> int:
    return int(time.time() * 1000)


# ---- input ------------------------------------------------------------------------------------

_FIELD_TYPES: Dict[str, Dict[str, str]] = {
    op["id"]: {f["name"]: f["type"] for f in op["fields"]} for op in CATALOG["operations"]
}


@dataclass
class Row:
    """One contract of the input."""

    row: int
    key: str
    operation: str
    params: Dict[str, Any]
    query_params: Dict[str, Any]


def _typed(operation: str, name: str, value: str, confirm_with: Optional[str]) -> Any:
    """A CSV cell as the catalog types the field (integers as int), by the terminate's or the
    query's field table."""
    types = dict(_FIELD_TYPES.get(confirm_with or "", {}))
    types.update(_FIELD_TYPES.get(operation, {}))
    if types.get(name) == "integer" and value.isdigit():
        return int(value)
    return value


def load_rows(path: Path) -> Tuple[List[Row], str]:
    """The rows of ``path`` and the SHA-256 of its bytes. Structural problems (no header, no
    ``operation`` column, duplicate ids) raise :class:`InvalidInputError`; per-row field
    problems are left for the core to report per row."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "operation" not in reader.fieldnames:
        raise InvalidInputError(f"{path}: the first line must be a header with an `operation` column", field="input")
    confirm = {op["id"]: op.get("confirm_with") for op in CATALOG["operations"]}
    rows: List[Row] = []
    seen: Dict[str, int] = {}
    for number, record in enumerate(reader, start=1):
        operation = (record.get("operation") or "").strip()
        key = (record.get("id") or "").strip() or str(number)
        if key in seen:
            raise InvalidInputError(f"{path}: id {key!r} is on rows {seen[key]} and {number}", field="id")
        seen[key] = number
        params: Dict[str, Any] = {}
        query: Dict[str, Any] = {}
        for column, value in record.items():
            if column in (None, "operation", "id") or value is None or value == "":
                continue
            if column.startswith("query."):
                name = column[len("query."):]
                query[name] = _typed(confirm.get(operation) or "", name, value, None)
            else:
                params[column] = _typed(operation, column, value, confirm.get(operation))
        rows.append(Row(number, key, operation, params, query))
    return rows, digest


# ---- journal ----------------------------------------------------------------------------------


class Journal:
    """The run's durable record (SQLite): one row per contract with its machine, and every step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Every commit reaches the disk before the request it describes is sent.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS contracts (
                row INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, operation TEXT NOT NULL,
                params TEXT NOT NULL, state TEXT, outcome TEXT, reason TEXT, evidence TEXT,
                error TEXT, terminate_sends INTEGER NOT NULL DEFAULT 0,
                query_sends INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS steps (
                id INTEGER PRIMARY KEY, row INTEGER NOT NULL, at_ms INTEGER NOT NULL,
                event TEXT NOT NULL, purpose TEXT, attempt INTEGER, status INTEGER,
                request_id TEXT, detail TEXT);
            """
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def meta(self) -> Dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def create(self, input_path: Path, digest: str, rows: Iterable[Tuple[Row, Optional[str], Optional[str]]]) -> None:
        """Records the input once: each row with its machine (or its input error)."""
        now = _now_ms()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for key, value in (("schema", SCHEMA_VERSION), ("input", str(input_path)), ("input_sha256", digest),
                                   ("created_ms", str(now))):
                    self._db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
                for row, state, error in rows:
                    params = json.dumps({"params": row.params, "query_params": row.query_params}, ensure_ascii=False)
                    if error is None:
                        self._db.execute(
                            "INSERT INTO contracts (row, key, operation, params, state, updated_ms) VALUES (?,?,?,?,?,?)",
                            (row.row, row.key, row.operation, params, state, now),
                        )
                    else:
                        self._db.execute(
                            "INSERT INTO contracts (row, key, operation, params, outcome, reason, updated_ms)"
                            " VALUES (?,?,?,?,?,?,?)",
                            (row.row, row.key, row.operation, params, "failed", f"invalid input: {error}", now),
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def open_contracts(self) -> List[Tuple[int, str]]:
        """``(row, machine JSON)`` of every contract without an outcome."""
        with self._lock:
            return self._db.execute("SELECT row, state FROM contracts WHERE outcome IS NULL ORDER BY row").fetchall()

    def counts(self) -> Dict[str, int]:
        with self._lock:
            found = dict(self._db.execute(
                "SELECT COALESCE(outcome, 'open'), COUNT(*) FROM contracts GROUP BY 1").fetchall())
        return {kind: found.get(kind, 0) for kind in (*OUTCOMES, "open")}

    def record(self, row: int, machine: Termination, event: str, *, purpose: Optional[str] = None,
               attempt: Optional[int] = None, status: Optional[int] = None, request_id: Optional[str] = None,
               detail: Optional[str] = None) -> None:
        """Saves ``machine`` and one step, committed before this returns."""
        now = _now_ms()
        outcome = machine.outcome
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if outcome is None:
                    self._db.execute("UPDATE contracts SET state=?, updated_ms=? WHERE row=?",
                                     (machine.to_json(), now, row))
                else:
                    evidence = None if outcome.evidence is None else json.dumps(outcome.evidence.__dict__)
                    error = None
                    if outcome.error is not None:
                        error = json.dumps({"kind": outcome.error.kind, "code": outcome.error.code,
                                            "message": str(outcome.error)}, ensure_ascii=False)
                    self._db.execute(
                        "UPDATE contracts SET state=?, outcome=?, reason=?, evidence=?, error=?, terminate_sends=?,"
                        " query_sends=?, updated_ms=? WHERE row=?",
                        (machine.to_json(), outcome.kind, outcome.reason, evidence, error, outcome.terminate_sends,
                         outcome.query_sends, now, row),
                    )
                self._db.execute(
                    "INSERT INTO steps (row, at_ms, event, purpose, attempt, status, request_id, detail)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (row, now, event, purpose, attempt, status, request_id, detail),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def report_rows(self) -> List[Dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(
                "SELECT key, row, operation, outcome, reason, evidence, error, terminate_sends, query_sends"
                " FROM contracts ORDER BY row")
            rows = cursor.fetchall()
        out = []
        for key, row, operation, outcome, reason, evidence, error, t_sends, q_sends in rows:
            ev = json.loads(evidence) if evidence else {}
            err = json.loads(error) if error else {}
            out.append({
                "id": key, "row": row, "operation": operation, "outcome": outcome or "open",
                "reason": reason or "", "evidence": ev.get("source") or "",
                "evidence_operation": ev.get("operation") or "", "status": ev.get("status") or "",
                "request_id": ev.get("request_id") or "", "state": ev.get("state") or "",
                "notification_id": ev.get("notification_id") or "", "terminate_sends": t_sends,
                "query_sends": q_sends, "error_kind": err.get("kind") or "", "error_code": err.get("code") or "",
            })
        return out


def write_report(journal: Journal, out: Path) -> Dict[str, int]:
    """Writes the report CSV from the journal alone; returns the counts per outcome."""
    rows = journal.report_rows()
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    return journal.counts()


def summary_text(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    parts = [f"{counts.get(kind, 0)} {kind.replace('_', ' ')}" for kind in OUTCOMES]
    text = f"{total} contracts: " + ", ".join(parts)
    if counts.get("open"):
        text += f", {counts['open']} not finished (run the same command again to resume)"
    return text


# ---- pacing -----------------------------------------------------------------------------------


class Pacer:
    """At most ``rate`` requests per second across threads: one slot every ``1/rate`` seconds
    (kept in integer nanoseconds, so rounding never squeezes an extra request into a second).
    A 429 halves the pace (at most once a second, down to a tenth, so a burst of 429s is one
    signal); each success gives back 2 % of the full rate."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not rate > 0:
            raise InvalidInputError("rate must be a positive number of requests per second", field="rate")
        self.rate = float(rate)
        self._factor = 1.0
        self._next_ns = 0
        self._slowed_at = -1.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def acquire(self) -> None:
        with self._lock:
            now_ns = int(self._clock() * 1e9)
            slot_ns = max(now_ns, self._next_ns)
            self._next_ns = slot_ns + math.ceil(1_000_000_000 / (self.rate * self._factor))
        if slot_ns > now_ns:
            self._sleep((slot_ns - now_ns) / 1e9)

    def rate_limited(self) -> None:
        with self._lock:
            now = self._clock()
            if self._slowed_at < 0 or now - self._slowed_at >= 1.0:
                self._slowed_at = now
                self._factor = max(0.1, self._factor / 2)

    def succeeded(self) -> None:
        with self._lock:
            self._factor = min(1.0, self._factor + 0.02)

    @property
    def current_rate(self) -> float:
        return self.rate * self._factor


# ---- the run ----------------------------------------------------------------------------------


@dataclass
class Progress:
    total: int
    done: Dict[str, int]
    started: float
    requests: int = 0
    #: Contracts already finished when this process started (a resumed run).
    initial: int = 0

    def line(self, now: float) -> str:
        finished = sum(self.done.values())
        elapsed = max(now - self.started, 1e-9)
        rate = self.requests / elapsed
        width = 24
        filled = int(width * finished / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        percent = 100.0 * finished / self.total if self.total else 100.0
        # The pace of this process only: a resumed run's earlier contracts took no time here.
        here = finished - self.initial
        eta = elapsed / here * (self.total - finished) if here > 0 else 0.0
        counts = " ".join(f"{kind.replace('_terminated', '')}={self.done.get(kind, 0)}" for kind in OUTCOMES)
        eta_text = f"{int(eta) // 60}m{int(eta) % 60:02d}s" if here > 0 else "--"
        return (f"[{bar}] {finished}/{self.total} {percent:5.1f}%  {counts}  "
                f"{rate:5.1f} req/s  ETA {eta_text}")


@dataclass
class BulkRun:
    """One bulk run over a journal. ``send`` as in :mod:`wxpay_terminate.confirm`."""

    client: Client
    journal: Journal
    rate: float = 50.0
    concurrency: int = 8
    send: Optional[Send] = None
    timeout: float = 10.0
    policy: Optional[Mapping[str, Any]] = None
    out: TextIO = field(default_factory=lambda: sys.stderr)
    tty: Optional[bool] = None
    transport: Optional[Tuple[Type[BaseException], ...]] = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._heap: List[Tuple[int, int, int, Termination]] = []
        self._seq = itertools.count()
        self._outstanding = 0
        self._pacer = Pacer(self.rate)
        self._lost = self.transport or transport_errors()
        self._failure: Optional[BaseException] = None
        #: Whether Ctrl-C (or SIGTERM, through :meth:`stop`) ended the run early.
        self.interrupted = False
        if self.tty is None:
            self.tty = self.out.isatty()

    def stop(self) -> None:
        """Asks the workers to stop after the step they are on (Ctrl-C)."""
        if self._outstanding:
            self.interrupted = True
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def run(self) -> Dict[str, int]:
        open_rows = self.journal.open_contracts()
        counts = self.journal.counts()
        total = sum(counts.values())
        progress = Progress(total, {k: counts[k] for k in OUTCOMES}, time.monotonic(),
                            initial=sum(counts[k] for k in OUTCOMES))
        self._progress = progress
        for row, state in open_rows:
            self._push(0, row, Termination.from_json(state))
        self._outstanding = len(open_rows)
        if self.send is None:
            import requests

            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(self.concurrency, 1))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self.send = default_send(self.timeout, session=session)
        workers = [threading.Thread(target=self._work, name=f"bulk-{i}", daemon=True)
                   for i in range(max(1, self.concurrency))]
        reporter = threading.Thread(target=self._report, name="bulk-progress", daemon=True)
        for t in workers:
            t.start()
        reporter.start()
        try:
            for t in workers:
                while t.is_alive():
                    t.join(0.2)
        except KeyboardInterrupt:
            self.interrupted = True
            self.stop()
            for t in workers:
                t.join()
        finally:
            self._stop.set()
            with self._cond:
                self._cond.notify_all()
            reporter.join()
        if self._failure is not None:
            raise self._failure
        return self.journal.counts()

    # -- scheduling --

    def _push(self, ready_ms: int, row: int, machine: Termination) -> None:
        with self._cond:
            heapq.heappush(self._heap, (ready_ms, next(self._seq), row, machine))
            self._cond.notify()

    def _pop(self) -> Optional[Tuple[int, Termination]]:
        with self._cond:
            while not self._stop.is_set():
                if not self._heap:
                    if self._outstanding == 0:
                        self._cond.notify_all()
                        return None
                    self._cond.wait(0.5)
                    continue
                ready_ms = self._heap[0][0]
                wait = (ready_ms - _now_ms()) / 1000
                if wait <= 0:
                    _, _, row, machine = heapq.heappop(self._heap)
                    return row, machine
                self._cond.wait(min(wait, 0.5))
            return None

    def _finished(self, kind: str) -> None:
        with self._cond:
            self._outstanding -= 1
            self._progress.done[kind] = self._progress.done.get(kind, 0) + 1
            self._cond.notify_all()

    # -- one contract at a time per worker --

    def _work(self) -> None:
        try:
            while True:
                item = self._pop()
                if item is None:
                    return
                self._drive(*item)
        except BaseException as e:  # a bug or a journal failure: stop everything, report it
            self._failure = e
            self.stop()

    def _drive(self, row: int, machine: Termination) -> None:
        assert self.send is not None
        while not self._stop.is_set():
            step = machine.next(self.client)
            if isinstance(step, Done):
                self.journal.record(row, machine, "done", detail=step.outcome.reason)
                self._finished(step.outcome.kind)
                return
            if isinstance(step, Wait):
                self._push(step.until_ms, row, machine)
                return
            assert isinstance(step, SendStep)
            self._pacer.acquire()
            self.journal.record(row, machine, "sending", purpose=step.purpose, attempt=step.attempt)
            with self._cond:
                self._progress.requests += 1
            try:
                status, headers, body = self.send(step.request)
            except self._lost as e:
                machine.on_transport_error()
                self.journal.record(row, machine, "lost", purpose=step.purpose, attempt=step.attempt,
                                    detail=type(e).__name__)
                continue
            machine.on_response(self.client, status, headers, body)
            if status == 429:
                self._pacer.rate_limited()
            elif 200 <= status < 300:
                self._pacer.succeeded()
            error = machine.last_error if status >= 300 or machine.outcome is None else None
            self.journal.record(row, machine, "answer", purpose=step.purpose, attempt=step.attempt, status=status,
                                request_id=_request_id(headers),
                                detail=None if error is None else f"{error.kind}: {error.code or ''}")
        # Stopped: the machine is saved as of its last step; the next run resumes it.
        self._push(0, row, machine)

    def _report(self) -> None:
        interval = 0.2 if self.tty else 5.0
        last = 0.0
        while not self._stop.is_set():
            with self._cond:
                if self._outstanding == 0:
                    break
            now = time.monotonic()
            if now - last >= interval:
                self._print(now)
                last = now
            time.sleep(0.1)
        self._print(time.monotonic(), final=True)

    def _print(self, now: float, final: bool = False) -> None:
        line = self._progress.line(now)
        if self.tty:
            self.out.write("\r" + line + ("\n" if final else ""))
        else:
            self.out.write(line + "\n")
        self.out.flush()


def _request_id(headers: Any) -> Optional[str]:
    try:
        items = headers.items() if hasattr(headers, "items") else headers
        for name, value in items:
            if str(name).lower() == "request-id":
                return str(value)
    except (TypeError, ValueError):
        pass
    return None


def prepare_journal(journal: Journal, input_path: Path, policy: Optional[Mapping[str, Any]] = None) -> Tuple[int, int]:
    """Creates the journal from the input, or checks that it belongs to it. Returns
    ``(contracts, invalid rows)``."""
    rows, digest = load_rows(input_path)
    meta = journal.meta()
    if meta:
        if meta.get("input_sha256") != digest:
            raise InvalidInputError(
                f"the journal {journal.path} was made from another input (its SHA-256 differs from "
                f"{input_path}): use a new --journal for a new input", field="journal")
        counts = journal.counts()
        return sum(counts.values()), 0
    prepared: List[Tuple[Row, Optional[str], Optional[str]]] = []
    invalid = 0
    for row in rows:
        try:
            machine = Termination(row.operation, row.params, query_params=row.query_params or None, policy=policy)
            prepared.append((row, machine.to_json(), None))
        except WxpayError as e:
            invalid += 1
            prepared.append((row, None, str(e)))
    journal.create(input_path, digest, prepared)
    return len(rows), invalid
