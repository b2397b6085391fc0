"""wxpay_terminate: end WeChat Pay (微信支付) contracts and authorizations.

Build a signed request, send it with the HTTP client you already use, then verify and parse
the response::

    import requests, wxpay_terminate as wt

    client = wt.Client(mchid="1900000109", serial_no="...", private_key=key_pem,
                       wechatpay_public_key_id="PUB_KEY_ID_...", wechatpay_public_key=pub_pem)
    req = client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000",
                                          contract_termination_remark="用户解约")
    r = requests.request(req.method, req.url, headers=req.headers, data=req.body)
    result = client.parse(req, r.status_code, r.headers, r.content)

Every operation of the Rust core's catalog is a method of :class:`Client` (and of
``client.unsigned`` for keys kept in a KMS); the methods are made from the catalog at import.
"""
from __future__ import annotations

import base64
import inspect
import json as _json
import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, Generic, Iterable, List, Mapping, Optional, Sequence, Tuple, TypedDict, TypeVar, Union

from . import _native
from .errors import (
    ApiError,
    ClockSkewError,
    DecodeError,
    InvalidInputError,
    InvalidKeyError,
    ResponseVerificationError,
    SignatureError,
    SignatureProbeError,
    UnknownSerialError,
    UnsignedResponseError,
    WxpayError,
)

__version__: str = _native.__version__

T = TypeVar("T")

#: The catalog of the Rust core: every operation with its fields and result schema.
CATALOG: Dict[str, Any] = _json.loads(_native.catalog_json())
#: Operation ids, in catalog order.
OPERATIONS: Tuple[str, ...] = tuple(op["id"] for op in CATALOG["operations"])
#: Every error kind of the core; each maps to one exception class.
ERROR_KINDS: Tuple[str, ...] = tuple(_native.error_kinds())

_USER_AGENT_PLATFORM = f"python/{sys.version_info[0]}.{sys.version_info[1]}"


def generate_nonce() -> str:
    """32 upper-case hex characters from the OS RNG (the shape of WeChat Pay's examples)."""
    return secrets.token_hex(16).upper()


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


class UnsignedRequest(Generic[T]):
    """A request for a key you keep elsewhere (KMS, HSM): sign :attr:`string_to_sign` with
    RSASSA-PKCS1-v1_5 / SHA-256 and pass the signature to :meth:`complete`."""

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    @property
    def string_to_sign(self) -> bytes:
        """``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` as UTF-8 bytes."""
        return self._native.string_to_sign

    @property
    def operation(self) -> Optional[str]:
        return self._native.operation

    def complete(self, signature: Union[str, bytes]) -> Request[T]:
        """Finishes the request from a base64 signature (str) or the raw signature (bytes)."""
        if isinstance(signature, (bytes, bytearray)):
            signature = base64.b64encode(signature).decode("ascii")
        return _request(self._native.complete(signature))

    def __repr__(self) -> str:
        return f"UnsignedRequest(operation={self.operation!r})"


def _request(parts: Tuple[Any, ...]) -> Request[Any]:
    operation, method, url, headers, body = parts
    return Request(operation=operation, method=method, url=url, headers=dict(headers), body=body)


def _read_pem(value: Any, field: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, os.PathLike):
        with open(value, "rb") as handle:
            return handle.read()
    raise InvalidKeyError(f"`{field}` must be PEM text (str or bytes) or a path, not {type(value).__name__}", field=field)


def _optional_str(value: Any, field: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise InvalidInputError(f"`{field}` must be a str, not {type(value).__name__}", field=field)


def _header_pairs(headers: Any) -> List[Tuple[str, str]]:
    """requests' and httpx's header objects, plain dicts, or (name, value) pairs."""
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


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        raise InvalidInputError(
            "pass the raw response bytes (requests: r.content, httpx: r.content), not decoded text: "
            "the signature covers the exact bytes",
            field="body",
        )
    raise InvalidInputError(f"body must be bytes, not {type(body).__name__}", field="body")


def _now(value: Optional[int]) -> int:
    return int(time.time()) if value is None else value


class _Calls:
    """The operation methods; :class:`Client` signs, ``client.unsigned`` leaves signing to you."""

    _sign = True

    def __init__(self, native: Any) -> None:
        self._native = native

    def _prepare(self, operation: str, params: Dict[str, Any], timestamp: Optional[int], nonce: Optional[str]) -> Any:
        prepared = self._native.prepare(
            operation, params, _now(timestamp), generate_nonce() if nonce is None else nonce, self._sign
        )
        return _request(prepared) if self._sign else UnsignedRequest(prepared)

    def prepare(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        timestamp: Optional[int] = None,
        nonce: Optional[str] = None,
    ) -> Any:
        """The operation named ``operation`` (a catalog id, see :data:`OPERATIONS`) with a mapping
        of its API field names: the same as calling the method of that name."""
        if not isinstance(operation, str):
            raise InvalidInputError("operation must be a catalog id (str)", field="operation")
        if not isinstance(params, Mapping):
            raise InvalidInputError("params must be a mapping of API field names", field="params")
        return self._prepare(operation, dict(params), timestamp, nonce)

    def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Optional[Mapping[str, str]] = None,
        query: Optional[Union[Mapping[str, str], Sequence[Tuple[str, str]]]] = None,
        json: Any = None,
        timestamp: Optional[int] = None,
        nonce: Optional[str] = None,
    ) -> Any:
        """Any APIv3 endpoint by URI template, like ``chain('v3/…/{var}')``: path parameters are
        percent-encoded, ``json`` is sent compactly in the key order given."""
        if path_params is not None and not isinstance(path_params, Mapping):
            raise InvalidInputError("path_params must be a mapping of names to str", field="path_params")
        query_pairs = list(query.items()) if isinstance(query, Mapping) else list(query or [])
        prepared = self._native.request(
            method,
            template,
            list((path_params or {}).items()),
            query_pairs,
            json,
            _now(timestamp),
            generate_nonce() if nonce is None else nonce,
            self._sign,
        )
        return _request(prepared) if self._sign else UnsignedRequest(prepared)


class _UnsignedCalls(_Calls):
    """``client.unsigned.<operation>(…)`` returns an :class:`UnsignedRequest`."""

    _sign = False


class Client(_Calls):
    """A merchant (or service provider) configured to call WeChat Pay.

    ``private_key`` is the merchant API key (``apiclient_key.pem``, PKCS#8 or PKCS#1) as str,
    bytes or a path; leave it out to sign with ``client.unsigned``. Verification keys: the WeChat
    Pay public key and its id, platform certificates, or both during migration.
    """

    def __init__(
        self,
        *,
        mchid: str,
        serial_no: str,
        private_key: Union[str, bytes, "os.PathLike[str]", None] = None,
        wechatpay_public_key_id: Optional[str] = None,
        wechatpay_public_key: Union[str, bytes, "os.PathLike[str]", None] = None,
        platform_certificates: Sequence[Union[str, bytes, "os.PathLike[str]"]] = (),
        base_url: Optional[str] = None,
        global_base_url: Optional[str] = None,
        user_agent_suffix: Optional[str] = None,
    ) -> None:
        if isinstance(platform_certificates, (str, bytes)):
            raise InvalidKeyError("platform_certificates must be a list of PEMs", field="platform_certificates")
        certificates: List[bytes] = []
        for cert in platform_certificates:
            pem = _read_pem(cert, "platform_certificates")
            if pem is not None:
                certificates.append(pem)
        native = _native.NativeClient(
            _optional_str(mchid, "mchid") or "",
            _optional_str(serial_no, "serial_no") or "",
            _read_pem(private_key, "private_key"),
            _optional_str(wechatpay_public_key_id, "wechatpay_public_key_id"),
            _read_pem(wechatpay_public_key, "wechatpay_public_key"),
            certificates,
            _optional_str(base_url, "base_url"),
            _optional_str(global_base_url, "global_base_url"),
            _USER_AGENT_PLATFORM,
            _optional_str(user_agent_suffix, "user_agent_suffix"),
        )
        super().__init__(native)
        #: The same operations, returning :class:`UnsignedRequest` for keys kept in a KMS or HSM.
        self.unsigned = _UnsignedCalls(native)

    @property
    def verification_serials(self) -> List[str]:
        """The ``Wechatpay-Serial`` values this client verifies: public key id, certificate serials."""
        return list(self._native.verification_serials)

    @property
    def user_agent(self) -> str:
        return str(self._native.user_agent)

    def parse(
        self,
        request: Union[Request[T], str, None],
        status: int,
        headers: Any,
        body: Optional[bytes],
        *,
        now: Optional[int] = None,
    ) -> Parsed[T]:
        """Verifies the response to ``request`` and returns its typed result.

        ``request`` is the :class:`Request` that was sent (or an operation id; ``None`` for a
        generic call, whose raw JSON is returned). ``headers`` may be a requests/httpx header
        object, a dict or pairs; ``body`` must be the raw bytes. Raises :class:`ApiError` for
        non-2xx answers and a :class:`ResponseVerificationError` for anything untrustworthy.
        """
        operation = request.operation if isinstance(request, Request) else request
        if operation is not None and not isinstance(operation, str):
            raise InvalidInputError("request must be a Request, an operation id or None", field="request")
        status_code, request_id, data = self._native.parse(
            operation, status, _header_pairs(headers), _body_bytes(body), _now(now)
        )
        return Parsed(status=status_code, request_id=request_id, data=data)

    def __repr__(self) -> str:
        return f"Client(verification_serials={self.verification_serials!r})"


def _operation_method(op: Mapping[str, Any]) -> Any:
    """One method per catalog operation, with a real signature and docstring."""
    operation_id: str = op["id"]
    field_names = [field["name"] for field in op["fields"]]

    def method(self: _Calls, **params: Any) -> Any:
        timestamp = params.pop("timestamp", None)
        nonce = params.pop("nonce", None)
        return self._prepare(operation_id, params, timestamp, nonce)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for field in op["fields"]:
        default = inspect.Parameter.empty if field["required"] else None
        parameters.append(inspect.Parameter(field["name"], inspect.Parameter.KEYWORD_ONLY, default=default))
    for extra in ("timestamp", "nonce"):
        if extra not in field_names:
            parameters.append(inspect.Parameter(extra, inspect.Parameter.KEYWORD_ONLY, default=None))
    method.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = operation_id
    method.__doc__ = _docstring(op)
    return method


def _docstring(op: Mapping[str, Any]) -> str:
    lines = [f"{op['title']}: ``{op['method']} {op['path']}`` → {op['success_status']}.", ""]
    for field in op["fields"]:
        limits = []
        if field["max_chars"]:
            limits.append(f"at most {field['max_chars']} characters")
        if field["alnum"]:
            limits.append("letters and digits only")
        required = "required" if field["required"] else "optional"
        suffix = f" ({', '.join(limits)})" if limits else ""
        lines.append(f":param {field['name']}: {field['doc']} [{field['type']}, {field['location']}, {required}]{suffix}")
    lines.append(":param timestamp: Unix seconds; the host clock when omitted.")
    lines.append(":param nonce: 1–32 letters or digits; random when omitted.")
    lines.extend(f"\nOfficial docs: {url}" for url in op["docs"])
    return "\n".join(lines)


for _op in CATALOG["operations"]:
    _method = _operation_method(_op)
    setattr(_Calls, _op["id"], _method)
del _op, _method

# The result types, by the core's names, so annotations like ``wt.PapayContract`` work at
# runtime too; their full field types live in the generated ``__init__.pyi``.
for _name, _schema in CATALOG["definitions"].items():
    globals()[_name] = TypedDict(_name, {key: Any for key in _schema.get("properties", {})}, total=False)  # type: ignore[operator, misc]
RESULT_TYPES: Tuple[str, ...] = tuple(CATALOG["definitions"])
del _name, _schema

__all__ = [
    *RESULT_TYPES,
    "ApiError",
    "CATALOG",
    "Client",
    "ClockSkewError",
    "DecodeError",
    "ERROR_KINDS",
    "InvalidInputError",
    "InvalidKeyError",
    "OPERATIONS",
    "RESULT_TYPES",
    "Parsed",
    "Request",
    "ResponseVerificationError",
    "SignatureError",
    "SignatureProbeError",
    "UnknownSerialError",
    "UnsignedRequest",
    "UnsignedResponseError",
    "WxpayError",
    "generate_nonce",
]
