"""Terminate with certainty: end one contract and know its final state.

A terminate call whose answer is lost (timeout, reset, 5xx, an answer that does not verify)
leaves you not knowing whether the contract ended. :func:`terminate_and_confirm` follows the
core's recipe instead of guessing: it retries 429 and 5xx with back-off (resending the same
signed request while it is fresh), asks the family's **query** after a lost answer, lets the
query explain a refusal, and stops only when the state is confirmed — or says plainly that it
is not::

    from wxpay_terminate.confirm import terminate_and_confirm

    outcome = terminate_and_confirm(client, "terminate_papay_contract", {
        "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000",
        "contract_termination_remark": "用户解约"})
    outcome.kind        # "terminated", "already_terminated", "not_found" or "failed"
    outcome.evidence    # which answer (or notification) proved it, with its Request-ID

:class:`Termination` is the same machine step by step, for hosts that drive their own I/O (the
``bulk`` command keeps one per contract in its journal). The async variant is
:func:`terminate_and_confirm_async` (httpx.AsyncClient by default).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple, Type, Union

from . import Client, _native
from ._http import Send, default_send, transport_errors
from ._model import Request, _body_bytes, _header_pairs, generate_nonce
from .errors import InvalidInputError, WxpayError, _from_native

__all__ = [
    "Done",
    "Evidence",
    "Outcome",
    "Send",
    "SendStep",
    "Termination",
    "Wait",
    "terminate_and_confirm",
    "terminate_and_confirm_async",
]

#: ``async send(request) -> (status, headers, body)``.
AsyncSend = Callable[[Request[Any]], Awaitable[Tuple[int, Any, bytes]]]


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Evidence:
    """The answer or notification that proved an outcome."""

    #: ``"terminate_response"``, ``"query_response"`` or ``"notification"``.
    source: str
    #: The operation id, or the notification's event type.
    operation: str
    status: Optional[int]
    #: ``Request-ID`` of the answer, for support tickets.
    request_id: Optional[str]
    notification_id: Optional[str]
    #: The state as WeChat Pay wrote it (``contract_state TERMINATED``, …) or a 404's code.
    state: Optional[str]
    #: When it was received, Unix milliseconds.
    at_ms: int


@dataclass(frozen=True)
class Outcome:
    """The final state of one contract and how it is known."""

    #: ``"terminated"``, ``"already_terminated"``, ``"not_found"`` or ``"failed"``.
    kind: str
    #: One line for a report.
    reason: str
    evidence: Optional[Evidence]
    #: The error behind a failure (or the refusal before ``already_terminated``).
    error: Optional[WxpayError]
    terminate_sends: int
    query_sends: int

    @property
    def confirmed(self) -> bool:
        """Whether the final state is known (everything but ``failed``)."""
        return self.kind != "failed"

    @classmethod
    def _from_record(cls, record: Mapping[str, Any]) -> "Outcome":
        evidence = record.get("evidence")
        error = record.get("error")
        return cls(
            kind=record["kind"],
            reason=record["reason"],
            evidence=Evidence(**{k: evidence.get(k) for k in Evidence.__dataclass_fields__}) if evidence else None,
            error=_from_native(**error) if error else None,
            terminate_sends=record["terminate_sends"],
            query_sends=record["query_sends"],
        )


@dataclass(frozen=True)
class SendStep:
    """Send ``request`` and report the answer (or its absence)."""

    request: Request[Any]
    #: ``"terminate"`` or ``"query"``.
    purpose: str
    attempt: int


@dataclass(frozen=True)
class Wait:
    """Call :meth:`Termination.next` again at ``until_ms`` (Unix milliseconds)."""

    until_ms: int


@dataclass(frozen=True)
class Done:
    outcome: Outcome


Step = Union[SendStep, Wait, Done]



def _native_client(client: Client) -> Any:
    """The client's native half. Through getattr: the public stub of `Client` (what a type
    checker sees in the installed package) keeps this private attribute out."""
    return getattr(client, "_native")

class Termination:
    """One contract's terminate-and-confirm machine (sans-IO; the Rust core's ``Termination``).

    ``operation`` is a termination id (``terminate_papay_contract``, …); ``params`` its fields.
    The query that confirms it takes its params from ``params`` by name; ``query_params`` adds
    what the termination does not carry (face pay: ``out_user_id``; WeBizPay: ``user_id``;
    edu-papay: ``appid``). ``policy`` changes fields of the core's ``ConfirmPolicy``
    (``max_terminate_sends``, ``backoff_initial_ms``, …). Bad input raises
    :class:`~wxpay_terminate.InvalidInputError` here, before anything is signed.
    """

    def __init__(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        query_params: Optional[Mapping[str, Any]] = None,
        policy: Optional[Mapping[str, Any]] = None,
    ) -> None:
        if not isinstance(operation, str):
            raise InvalidInputError("operation must be a catalog id (str)", field="operation")
        for name, value in (("params", params), ("query_params", query_params), ("policy", policy)):
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInputError(f"{name} must be a mapping", field=name)
        self._native = _native.NativeTermination(
            operation,
            dict(params),
            None if query_params is None else dict(query_params),
            None if policy is None else dict(policy),
        )

    @classmethod
    def from_json(cls, state: str) -> "Termination":
        """Restores :meth:`to_json`. A request that was in flight counts as lost: the query comes first."""
        machine = cls.__new__(cls)
        machine._native = _native.NativeTermination.from_json(state)
        return machine

    def to_json(self) -> str:
        """The machine as JSON for a journal: params and counters, never a signature."""
        return str(self._native.to_json())

    @property
    def operation(self) -> str:
        return str(self._native.operation)

    @property
    def query_operation(self) -> str:
        return str(self._native.query_operation)

    @property
    def outcome(self) -> Optional[Outcome]:
        record = self._native.outcome
        return None if record is None else Outcome._from_record(record)

    @property
    def last_error(self) -> Optional[WxpayError]:
        record = self._native.last_error
        return None if record is None else _from_native(**record)

    def next(self, client: Client, *, now_ms: Optional[int] = None, nonce: Optional[str] = None) -> Step:
        """What to do now: :class:`SendStep`, :class:`Wait` or :class:`Done`."""
        step = self._native.next(_native_client(client), _now_ms() if now_ms is None else now_ms, nonce or generate_nonce())
        if step[0] == "send":
            return SendStep(request=step[1], purpose=step[2], attempt=step[3])
        if step[0] == "wait":
            return Wait(until_ms=step[1])
        return Done(Outcome._from_record(step[1]))

    def on_response(self, client: Client, status: int, headers: Any, body: bytes, *, now_ms: Optional[int] = None) -> None:
        """Verifies the answer to the request in flight with ``client`` and reports it."""
        self._native.on_response(
            _native_client(client),
            status,
            _header_pairs(headers),
            _body_bytes(body, "requests/httpx: r.content"),
            _now_ms() if now_ms is None else now_ms,
        )

    def on_transport_error(self, *, now_ms: Optional[int] = None) -> None:
        """No answer arrived (timeout, reset, DNS, TLS): the request may or may not have landed."""
        self._native.on_transport_error(_now_ms() if now_ms is None else now_ms)

    def on_notification(self, notification: Mapping[str, Any], *, now_ms: Optional[int] = None) -> bool:
        """Offers a parsed notification; ``True`` when it reports this contract's end."""
        return bool(self._native.on_notification(notification, _now_ms() if now_ms is None else now_ms))


def terminate_and_confirm(
    client: Client,
    operation: str,
    params: Mapping[str, Any],
    *,
    query_params: Optional[Mapping[str, Any]] = None,
    policy: Optional[Mapping[str, Any]] = None,
    send: Optional[Send] = None,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    transport: Optional[Tuple[Type[BaseException], ...]] = None,
) -> Outcome:
    """Terminates one contract and returns its confirmed final state (see the module docs).

    ``send(request) -> (status, headers, body)`` sends a request exactly (default: requests,
    else httpx, else urllib, with ``timeout``). An exception of a ``transport`` class (default:
    the installed HTTP libraries' connection and timeout errors, and ``OSError``) counts as a
    lost answer; any other exception propagates.
    """
    machine = Termination(operation, params, query_params=query_params, policy=policy)
    send = send or default_send(timeout)
    lost = transport or transport_errors()
    while True:
        step = machine.next(client)
        if isinstance(step, Done):
            return step.outcome
        if isinstance(step, Wait):
            sleep(max(0.0, (step.until_ms - _now_ms()) / 1000))
            continue
        try:
            status, headers, body = send(step.request)
        except lost:
            machine.on_transport_error()
            continue
        machine.on_response(client, status, headers, body)


async def terminate_and_confirm_async(
    client: Client,
    operation: str,
    params: Mapping[str, Any],
    *,
    query_params: Optional[Mapping[str, Any]] = None,
    policy: Optional[Mapping[str, Any]] = None,
    send: Optional[AsyncSend] = None,
    timeout: float = 10.0,
    transport: Optional[Tuple[Type[BaseException], ...]] = None,
) -> Outcome:
    """:func:`terminate_and_confirm` for asyncio. ``send`` is ``async (request) -> (status,
    headers, body)``; by default one ``httpx.AsyncClient`` for the whole run. RSA work runs in
    a thread so the event loop keeps going."""
    machine = Termination(operation, params, query_params=query_params, policy=policy)
    lost = transport or transport_errors()
    owned = None
    if send is None:
        import httpx

        owned = httpx.AsyncClient(timeout=timeout)

        async def send_httpx(req: Request[Any]) -> Tuple[int, Any, bytes]:
            r = await owned.request(req.method, req.url, headers=req.headers, content=req.body)
            return r.status_code, r.headers, r.content

        send = send_httpx
    try:
        while True:
            step = await asyncio.to_thread(machine.next, client)
            if isinstance(step, Done):
                return step.outcome
            if isinstance(step, Wait):
                await asyncio.sleep(max(0.0, (step.until_ms - _now_ms()) / 1000))
                continue
            try:
                status, headers, body = await send(step.request)
            except lost:
                machine.on_transport_error()
                continue
            await asyncio.to_thread(machine.on_response, client, status, headers, body)
    finally:
        if owned is not None:
            await owned.aclose()

