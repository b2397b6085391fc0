"""Exceptions raised by wxpay_terminate. Every one derives from :class:`WxpayError`.

Input and key errors also derive from :class:`ValueError`; the five ways a response or a
notification can fail verification share :class:`ResponseVerificationError`.

Every error carries the core's error record under the same names in every language:
``kind``, ``message`` (the library's message, also ``str(error)``), ``field``, ``serial``, ``status``,
``code``, ``api_message`` (WeChat Pay's own text), ``detail``, ``request_id`` and ``retryable``.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator, Optional, Type

__all__ = [
    "WxpayError",
    "InvalidInputError",
    "InvalidKeyError",
    "ResponseVerificationError",
    "UnsignedResponseError",
    "SignatureError",
    "SignatureProbeError",
    "UnknownSerialError",
    "ClockSkewError",
    "ApiError",
    "DecodeError",
    "DecryptionError",
    "InternalError",
]


class WxpayError(Exception):
    """Base class of every error this package raises (and the class of an error kind this
    version does not know, which keeps its ``kind``).

    ``message`` is the library's explanation, the same as ``str(error)``. ``field`` names the
    parameter or option at fault, ``serial`` the ``Wechatpay-Serial`` an unknown-serial error is
    about. API errors also fill
    ``status``, ``code``, ``api_message`` (WeChat Pay's text, usually Chinese), ``detail`` (the
    error body's ``detail`` as parsed JSON) and ``request_id``; ``retryable`` says whether
    sending the same request again can succeed (5xx and 429). Messages never contain keys,
    signatures or bodies.
    """

    kind: str = "wxpay"

    def __init__(
        self,
        message: str,
        *,
        field: Optional[str] = None,
        serial: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        api_message: Optional[str] = None,
        detail: Any = None,
        request_id: Optional[str] = None,
        retryable: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.field = field
        self.serial = serial
        self.status = status
        self.code = code
        self.api_message = api_message
        self.detail = detail
        self.request_id = request_id
        self.retryable = retryable
        # Record fields of a newer core than this file: kept as attributes by their names.
        for name, value in extra.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("field", "serial", "status", "code", "request_id"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class InvalidInputError(WxpayError, ValueError):
    """A parameter, nonce, timestamp or setting is missing or malformed; ``field`` names it.
    Nothing was signed."""

    kind = "invalid_input"


class InvalidKeyError(WxpayError, ValueError):
    """A key or certificate cannot be used: not PEM, not RSA, under 2048 bits, no private key,
    or no (or a wrong-length) ``apiv3_key`` where notifications need one."""

    kind = "invalid_key"


class ResponseVerificationError(WxpayError):
    """The response or notification cannot be trusted. Do not act on its body."""

    kind = "response_verification"


class UnsignedResponseError(ResponseVerificationError):
    """A 2xx response (or a notification) without the Wechatpay-* signature headers: treat it as forged."""

    kind = "unsigned_response"


class SignatureError(ResponseVerificationError):
    """The signature does not verify over the raw body."""

    kind = "invalid_signature"


class SignatureProbeError(SignatureError):
    """A ``WECHATPAY/SIGNTEST/`` probe: WeChat Pay checking that you verify. Rejecting it is right."""

    kind = "signature_probe"


class UnknownSerialError(ResponseVerificationError):
    """``Wechatpay-Serial`` names no key of this client: add the certificate or public key."""

    kind = "unknown_serial"


class ClockSkewError(ResponseVerificationError):
    """``Wechatpay-Timestamp`` is more than 300 s from the host clock."""

    kind = "clock_skew"


class ApiError(WxpayError):
    """WeChat Pay answered with a non-2xx status: ``status``, ``code``, ``api_message``,
    ``detail``, ``request_id``."""

    kind = "api"


class DecodeError(WxpayError):
    """A verified success body or notification does not match its documented shape."""

    kind = "decode"


class DecryptionError(WxpayError):
    """A notification whose signature verified does not decrypt with the APIv3 key (a failed
    AES-GCM tag, an unknown algorithm, a malformed ciphertext).

    Not a :class:`ResponseVerificationError`: decryption runs only after the signature has
    verified, so the notification did come from WeChat Pay, and the usual cause is this side's
    configuration — a wrong ``apiv3_key``, or a key reset on the merchant platform. Reply with
    a nack (WeChat Pay retries) and fix the key; an ``except ResponseVerificationError`` meant
    for forgeries does not swallow it.
    """

    kind = "decryption"


class InternalError(WxpayError, RuntimeError):
    """The library or the host failed, not the input (e.g. the OS random number generator).
    Worth reporting as a bug."""

    kind = "internal"


def _subclasses(cls: Type[WxpayError]) -> Iterator[Type[WxpayError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


#: Error kind → class, from the classes' own ``kind`` (tests check it covers ``_native.error_kinds()``).
_BY_KIND: Dict[str, Type[WxpayError]] = {cls.kind: cls for cls in _subclasses(WxpayError) if cls.__module__ == __name__}


def _from_native(*, kind: str, message: str, detail: Optional[str] = None, **record: Any) -> WxpayError:
    """Builds the exception for one core error record, given as keyword arguments."""
    # An unknown kind means a newer core than this file; the base class still carries it.
    cls = _BY_KIND.get(kind, WxpayError)
    error = cls(message, detail=None if detail is None else json.loads(detail), **record)
    error.kind = kind
    return error
