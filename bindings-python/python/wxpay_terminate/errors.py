"""Exceptions raised by wxpay_terminate. Every one derives from :class:`WxpayError`.

Input and key errors also derive from :class:`ValueError`; the five ways a response can fail
verification share :class:`ResponseVerificationError`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type

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
]


class WxpayError(Exception):
    """Base class of every error this package raises.

    ``kind`` is the core's stable error name. API errors fill ``status``, ``code``,
    ``message``, ``detail`` and ``request_id``; ``retryable`` says whether sending the same
    request again can succeed (5xx and 429). Messages never contain keys, signatures or bodies.
    """

    kind: str = "wxpay"

    def __init__(
        self,
        message: str,
        *,
        field: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        api_message: Optional[str] = None,
        detail: Any = None,
        request_id: Optional[str] = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.status = status
        self.code = code
        # For API errors `message` is WeChat Pay's own text (None when the body had none);
        # for every other error it is this package's explanation, as str(error) is.
        self.message: Optional[str] = api_message if status is not None else message
        self.detail = detail
        self.request_id = request_id
        self.retryable = retryable

    def __repr__(self) -> str:
        parts = [repr(str(self))]
        for name in ("field", "status", "code", "request_id"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class InvalidInputError(WxpayError, ValueError):
    """A parameter, nonce, timestamp or setting is missing or malformed; ``field`` names it.
    Nothing was signed."""

    kind = "invalid_input"


class InvalidKeyError(WxpayError, ValueError):
    """A key or certificate cannot be used: not PEM, not RSA, under 2048 bits, or no private key."""

    kind = "invalid_key"


class ResponseVerificationError(WxpayError):
    """The response cannot be trusted. Do not act on its body."""

    kind = "response_verification"


class UnsignedResponseError(ResponseVerificationError):
    """A 2xx response without the Wechatpay-* signature headers: treat it as forged."""

    kind = "unsigned_response"


class SignatureError(ResponseVerificationError):
    """The response signature does not verify over the raw body."""

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
    """WeChat Pay answered with a non-2xx status."""

    kind = "api"


class DecodeError(WxpayError):
    """A verified success body does not match the documented result shape."""

    kind = "decode"


_BY_KIND: Dict[str, Type[WxpayError]] = {
    cls.kind: cls
    for cls in (
        InvalidInputError,
        InvalidKeyError,
        UnsignedResponseError,
        SignatureError,
        SignatureProbeError,
        UnknownSerialError,
        ClockSkewError,
        ApiError,
        DecodeError,
    )
}


def _from_native(
    kind: str,
    message: str,
    field: Optional[str],
    status: Optional[int],
    code: Optional[str],
    api_message: Optional[str],
    detail: Any,
    request_id: Optional[str],
    retryable: bool,
) -> WxpayError:
    # An unknown kind means a newer core than this file; the base class still carries it.
    cls = _BY_KIND.get(kind, WxpayError)
    error = cls(
        message,
        field=field,
        status=status,
        code=code,
        api_message=api_message,
        detail=detail,
        request_id=request_id,
        retryable=retryable,
    )
    error.kind = kind
    return error
