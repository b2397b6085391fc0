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
Notifications WeChat Pay POSTs to your ``notify_url``: :meth:`Client.parse_notification`, then
reply with :func:`notification_ack` (or :func:`notification_nack`). Platform certificates:
:class:`wxpay_terminate.certificates.CertificateKeeper` downloads them when due and after a
rotation; ``python -m wxpay_terminate certificates|check`` downloads them or checks key files.
"""
from __future__ import annotations

import inspect
import json as _json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, TypedDict, TypeVar, Union

from . import _native, _options
from ._model import (
    CertificateSet,
    DownloadedCertificate,
    NotificationReply,
    Parsed,
    Request,
    UnsignedRequest,
    _body_bytes,
    _header_pairs,
    _now,
    _stamp,
    generate_nonce,
    notification_ack,
    notification_nack,
)
from .errors import (
    ApiError,
    ClockSkewError,
    DecodeError,
    DecryptionError,
    InternalError,
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

#: The catalog of the Rust core: every operation with its fields and result schema, and the
#: notification events with their resource schemas.
CATALOG: Dict[str, Any] = _json.loads(_native.catalog_json())
#: Operation ids, in catalog order.
OPERATIONS: Tuple[str, ...] = tuple(op["id"] for op in CATALOG["operations"])
#: The termination event types the core types (any other event type comes back generic).
EVENT_TYPES: Tuple[str, ...] = tuple(event["event_type"] for event in CATALOG["events"])
#: Every error kind of the core; each maps to one exception class.
ERROR_KINDS: Tuple[str, ...] = tuple(_native.error_kinds())


class _Calls:
    """The operation methods: :class:`Client` signs what they build, ``client.unsigned`` hands
    it back as an :class:`UnsignedRequest`."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def _finish(self, unsigned: Any) -> Any:
        raise NotImplementedError

    def _prepare(self, operation: str, params: Dict[str, Any], timestamp: Optional[int], nonce: Optional[str]) -> Any:
        return self._finish(self._native.unsigned(operation, params, *_stamp(timestamp, nonce)))

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
        allow_any_host: bool = False,
        timestamp: Optional[int] = None,
        nonce: Optional[str] = None,
    ) -> Any:
        """Any APIv3 endpoint by URI template, like ``chain('v3/…/{var}')``: path parameters are
        percent-encoded, ``json`` is sent compactly in the key order given. An absolute URL may
        only name WeChat Pay's hosts or the configured base URLs unless ``allow_any_host``."""
        if path_params is not None and not isinstance(path_params, Mapping):
            raise InvalidInputError("path_params must be a mapping of names to str", field="path_params")
        call = {
            "method": method,
            "template": template,
            "path_params": list((path_params or {}).items()),
            "query": list(query.items()) if isinstance(query, Mapping) else list(query or []),
            "json": json,
            "allow_any_host": allow_any_host,
        }
        return self._finish(self._native.unsigned_call(call, *_stamp(timestamp, nonce)))

    def certificates_request(
        self, host: str = "api", *, timestamp: Optional[int] = None, nonce: Optional[str] = None
    ) -> Any:
        """The platform-certificate download: ``GET /v3/certificates?algorithm_type=RSA`` on the
        main host (``host="api"``) or ``GET /v3/global/certificates`` (``host="global"``). Send
        it, then pass the answer to :meth:`Client.parse_certificates`."""
        return self._finish(self._native.unsigned_certificates(host, *_stamp(timestamp, nonce)))


class _UnsignedCalls(_Calls):
    """``client.unsigned.<operation>(…)`` returns an :class:`UnsignedRequest`."""

    def _finish(self, unsigned: Any) -> Any:
        return UnsignedRequest(unsigned)


class Client(_Calls):
    """A merchant (or service provider) configured to call WeChat Pay.

    Keyword arguments are the core's client options. ``private_key`` is the merchant API key
    (``apiclient_key.pem``, PKCS#8 or PKCS#1); leave it out to sign with ``client.unsigned``.
    Verification keys: the WeChat Pay public key and its id, platform certificates, or both
    during migration. ``apiv3_key`` (the 32-byte APIv3 key) is needed only for notifications.
    Keys are str or bytes as given, or a path whose file is read as bytes exactly: a file
    ending in a newline gives a 33-byte ``apiv3_key``, which is refused.
    """

    def __init__(self, **options: Any) -> None:
        native = _native.NativeClient(_options.client_config(options))
        super().__init__(native)
        #: The same operations, returning :class:`UnsignedRequest` for keys kept in a KMS or HSM.
        self.unsigned = _UnsignedCalls(native)

    def _finish(self, unsigned: Any) -> Any:
        return self._native.sign(unsigned)

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
            operation, status, _header_pairs(headers), _body_bytes(body, "requests/httpx: r.content"), _now(now)
        )
        return Parsed(status=status_code, request_id=request_id, data=data)

    def parse_notification(self, headers: Any, body: bytes, *, now: Optional[int] = None) -> Any:
        """Verifies, decrypts (with ``apiv3_key``) and types a notification WeChat Pay POSTed.

        ``headers`` as for :meth:`parse`; ``body`` the raw request bytes (Flask:
        ``request.get_data()``, Django: ``request.body``). Returns the notification as a dict
        (``docs/notifications.md``): ``id``, ``create_time``, ``event_type``,
        ``resource_type``, ``summary``/``original_type`` when sent, and ``resource`` typed by
        ``event_type`` (see :data:`EVENT_TYPES`; other events keep their plaintext JSON).
        Reply with :func:`notification_ack`, or :func:`notification_nack` when this raises.
        """
        return self._native.parse_notification(
            _header_pairs(headers), _body_bytes(body, "Flask: request.get_data(), Django: request.body"), _now(now)
        )

    def parse_certificates(self, status: int, headers: Any, body: bytes, *, now: Optional[int] = None) -> CertificateSet:
        """Decrypts (with ``apiv3_key``) and verifies a certificate download and returns the
        certificates valid at ``now``. The client is not changed: pass the set to
        :meth:`update_certificates`. A first download needs no certificate in advance."""
        certificates: CertificateSet = self._native.parse_certificates(
            status, _header_pairs(headers), _body_bytes(body, "requests/httpx: r.content"), _now(now)
        )
        return certificates

    def update_certificates(self, certificates: CertificateSet, *, now: Optional[int] = None) -> None:
        """Replaces the client's platform certificates with a set from :meth:`parse_certificates`
        (a configured WeChat Pay public key stays), safely while other threads verify."""
        self._native.update_certificates(certificates, _now(now))

    @property
    def certificates(self) -> List[Tuple[str, int]]:
        """``(serial, not_after)`` of every platform certificate the client holds."""
        return list(self._native.certificates)

    def certificates_refresh_due(self, *, now: Optional[int] = None) -> bool:
        """Whether to download certificates now (ask from a timer): never downloaded, 12 h since
        the last download, one expiring within 24 h, or an unknown serial seen (at most once a
        minute)."""
        return bool(self._native.certificates_refresh_due(_now(now)))

    def __repr__(self) -> str:
        return f"Client(verification_serials={self.verification_serials!r})"


def _client_signature() -> inspect.Signature:
    """``Client(*, mchid, serial_no, private_key=None, …)``: the core's options, keyword-only."""
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, shape in _options.OPTIONS.items():
        default = inspect.Parameter.empty if _options.required(shape) else _options.default(shape)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default))
    return inspect.Signature(parameters)


Client.__init__.__signature__ = _client_signature()  # type: ignore[attr-defined]


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

# The result and event resource types, by the core's names, so annotations like
# ``wt.PapayContract`` work at runtime too; their full field types live in the generated
# ``__init__.pyi``.
for _name, _schema in CATALOG["definitions"].items():
    globals()[_name] = TypedDict(_name, {key: Any for key in _schema.get("properties", {})}, total=False)  # type: ignore[operator, misc]
RESULT_TYPES: Tuple[str, ...] = tuple(CATALOG["definitions"])

# One notification type per typed event (``PapayTerminatedNotification``, …) and the generic
# one; ``Notification`` is their union, narrowed by ``event_type`` in the stub.
_NOTIFICATION_KEYS = ("id", "create_time", "event_type", "resource_type", "summary", "original_type", "resource")
NOTIFICATION_TYPES: Tuple[str, ...] = (*(f"{event['type']}Notification" for event in CATALOG["events"]), "GenericNotification")
for _name in NOTIFICATION_TYPES:
    globals()[_name] = TypedDict(_name, {key: Any for key in _NOTIFICATION_KEYS}, total=False)  # type: ignore[operator, misc]
Notification = Union[tuple(globals()[_name] for _name in NOTIFICATION_TYPES)]  # type: ignore[misc]
del _name, _schema


def is_event(notification: Mapping[str, Any], event_type: str) -> bool:
    """Whether ``notification`` is of ``event_type``. The same as ``notification["event_type"] ==
    event_type``, but it also narrows :data:`Notification` for mypy (which cannot narrow the
    union through the generic variant's ``str`` tag)."""
    return bool(notification.get("event_type") == event_type)

__all__ = [
    *RESULT_TYPES,
    *NOTIFICATION_TYPES,
    "ApiError",
    "CATALOG",
    "CertificateSet",
    "Client",
    "ClockSkewError",
    "DecodeError",
    "DecryptionError",
    "DownloadedCertificate",
    "ERROR_KINDS",
    "EVENT_TYPES",
    "InternalError",
    "InvalidInputError",
    "InvalidKeyError",
    "NOTIFICATION_TYPES",
    "Notification",
    "NotificationReply",
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
    "is_event",
    "notification_ack",
    "notification_nack",
]
