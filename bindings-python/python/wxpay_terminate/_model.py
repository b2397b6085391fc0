"""The hand-written part of the package: the value classes, the notification replies, the
clock and nonce defaults and the input helpers. Typed inline (the generated ``__init__.pyi``
re-exports these names); the catalog-driven ``Client`` is in ``__init__.py``.
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any, Dict, Generic, Iterable, List, Mapping, Optional, Tuple, TypedDict, TypeVar, Union

from . import _native
from .errors import InvalidInputError

T = TypeVar("T")

__all__ = [
    "CertificateSet",
    "DownloadedCertificate",
    "NotificationReply",
    "Parsed",
    "Request",
    "UnsignedRequest",
    "generate_nonce",
    "notification_ack",
    "notification_nack",
]


@dataclass(frozen=True)
class Request(Generic[T]):
    """A signed request. Send exactly this: ``body`` is the byte string that was signed."""

    operation: Optional[str]
    method: str
    url: str
    headers: Dict[str, str]
    body: Optional[bytes]


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A verified success. ``data`` is the typed result, or ``None`` for 204 endpoints."""

    status: int
    request_id: Optional[str]
    data: T


@dataclass(frozen=True)
class NotificationReply:
    """The HTTP answer to a notification: send this status, these headers and exactly these bytes."""

    status: int
    headers: Dict[str, str]
    body: bytes


class DownloadedCertificate(TypedDict):
    """One downloaded, decrypted platform certificate."""

    #: The serial, as ``Wechatpay-Serial`` carries it.
    serial_no: str
    #: X.509 notBefore, Unix seconds.
    not_before: int
    #: X.509 notAfter, Unix seconds.
    not_after: int
    #: The certificate PEM, to store or hand to another client.
    pem: str


class CertificateSet(TypedDict):
    """A verified certificate download: the certificates valid at the host's clock, in the
    order WeChat Pay listed them. Pass it to ``Client.update_certificates``."""

    certificates: List[DownloadedCertificate]


class UnsignedRequest(Generic[T]):
    """A request for a key you keep elsewhere (KMS, HSM): sign :attr:`string_to_sign` with
    RSASSA-PKCS1-v1_5 / SHA-256 and pass the signature to :meth:`complete`."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    @property
    def string_to_sign(self) -> bytes:
        """``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` as UTF-8 bytes."""
        value: bytes = self._native.string_to_sign
        return value

    @property
    def operation(self) -> Optional[str]:
        value: Optional[str] = self._native.operation
        return value

    def complete(self, signature: Union[str, bytes]) -> Request[T]:
        """Finishes the request from a base64 signature (str) or the raw signature (bytes)."""
        if isinstance(signature, (bytes, bytearray)):
            signature = base64.b64encode(signature).decode("ascii")
        request: Request[T] = self._native.complete(signature)
        return request

    def __repr__(self) -> str:
        return f"UnsignedRequest(operation={self.operation!r})"


def generate_nonce() -> str:
    """32 upper-case hex characters from the OS RNG: the core's nonce, the same in every language."""
    return _native.generate_nonce()


def notification_ack() -> NotificationReply:
    """Acknowledges a notification: 200, ``{"code":"SUCCESS","message":"成功"}``. Send it within
    5 seconds, then process the event (de-duplicated on its ``id``)."""
    reply: NotificationReply = _native.notification_ack()
    return reply


def notification_nack(message: str) -> NotificationReply:
    """Refuses a notification so WeChat Pay retries it: 500, ``{"code":"FAIL","message":…}``.
    ``message`` is 1–64 characters without control characters (else :class:`InvalidInputError`)."""
    reply: NotificationReply = _native.notification_nack(message)
    return reply


# ---- the host's clock and RNG: the only place defaults are filled --------------------------


def _now(value: Optional[int]) -> int:
    return int(time.time()) if value is None else value


def _stamp(timestamp: Optional[int], nonce: Optional[str]) -> Tuple[int, str]:
    return _now(timestamp), generate_nonce() if nonce is None else nonce


# ---- inputs ----------------------------------------------------------------------------------


def _header_pairs(headers: Any) -> List[Tuple[str, str]]:
    """requests', httpx's, Flask's and Django's header objects, plain dicts, or (name, value) pairs."""
    if headers is None:
        return []
    items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) or hasattr(headers, "items") else headers
    pairs = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise InvalidInputError("headers must be a mapping or (name, value) pairs", field="headers") from None
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidInputError("header names and values must be str or bytes", field="headers")
        pairs.append((name, value))
    return pairs


def _body_bytes(body: Any, how: str) -> bytes:
    """The raw body; decoded text is refused, since the signature covers the exact bytes."""
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        raise InvalidInputError(
            f"pass the raw body bytes ({how}), not decoded text: the signature covers the exact bytes",
            field="body",
        )
    raise InvalidInputError(f"body must be bytes, not {type(body).__name__}", field="body")
