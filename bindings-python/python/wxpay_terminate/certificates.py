"""Keeping a client's platform certificates current: the host side of the certificate download.

The core decides *when* (:meth:`Client.certificates_refresh_due`) and does the cryptography
(:meth:`Client.parse_certificates`, :meth:`Client.update_certificates`); this module sends the
download with an HTTP client and re-verifies an answer whose ``Wechatpay-Serial`` was new::

    from wxpay_terminate.certificates import CertificateKeeper

    keeper = CertificateKeeper(client)          # requests, else httpx, else urllib
    keeper.refresh_if_due()                     # at start and from a timer (or keeper.start())
    result = keeper.parse(req, r.status_code, r.headers, r.content)
    n = keeper.parse_notification(request.headers, request.get_data())

An :class:`~wxpay_terminate.UnknownSerialError` from :meth:`CertificateKeeper.parse` (or any
callable given to :meth:`CertificateKeeper.verify_with_refresh`) makes the keeper download once
and verify **the same bytes** again: the request is never sent twice. A forged serial cannot make
it hammer the endpoint: downloads caused by unknown serials are at most one per ``min_interval``
seconds (60) unless the serial turned up meanwhile (another thread's download).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, Tuple, TypeVar

from . import Client
from ._http import Send, default_send
from ._model import CertificateSet, Parsed, Request
from .errors import UnknownSerialError

T = TypeVar("T")

class CertificateKeeper:
    """Downloads platform certificates for ``client`` and re-verifies answers after a rotation.

    ``send`` sends a :class:`Request` and returns ``(status, headers, body)`` (default:
    :func:`default_send`). ``host`` is ``"api"`` or ``"global"`` (``apihk``, cross-border).
    ``on_update`` is called with each new :class:`CertificateSet` (to store the PEMs for the next
    process start). Safe to share between threads: one download at a time.
    """

    def __init__(
        self,
        client: Client,
        send: Optional[Send] = None,
        *,
        host: str = "api",
        min_interval: float = 60,
        on_update: Optional[Callable[[CertificateSet], None]] = None,
    ) -> None:
        self.client = client
        self.send: Send = send or default_send()
        self.host = host
        self.min_interval = min_interval
        self.on_update = on_update
        #: Downloads made by this keeper (for logs and tests).
        self.downloads = 0
        self._lock = threading.Lock()
        self._last_unknown_refresh: Optional[float] = None
        self._timer: Optional[threading.Thread] = None
        self._stop = threading.Event()

    # ---- downloading -------------------------------------------------------------------------

    def refresh(self, *, now: Optional[int] = None) -> CertificateSet:
        """Downloads, verifies and installs the certificates now, whatever the policy says."""
        with self._lock:
            return self._refresh(now)

    def _refresh(self, now: Optional[int]) -> CertificateSet:
        req = self.client.certificates_request(self.host)  # type: ignore[arg-type]
        status, headers, body = self.send(req)
        self.downloads += 1
        certificates = self.client.parse_certificates(status, headers, body, now=now)
        self.client.update_certificates(certificates, now=now)
        if self.on_update is not None:
            self.on_update(certificates)
        return certificates

    def refresh_if_due(self, *, now: Optional[int] = None) -> bool:
        """Downloads when :meth:`Client.certificates_refresh_due` says so; True if it did."""
        with self._lock:
            if not self.client.certificates_refresh_due(now=now):
                return False
            self._refresh(now)
            return True

    def start(self, interval: float = 60.0) -> "CertificateKeeper":
        """Asks :meth:`refresh_if_due` every ``interval`` seconds in a daemon thread until
        :meth:`stop`. A failed download is retried at the next tick."""
        if self._timer is not None:
            return self
        self._stop.clear()

        def loop() -> None:
            while True:
                try:
                    self.refresh_if_due()
                except Exception:  # noqa: BLE001 - a network error must not end the timer
                    pass
                if self._stop.wait(interval):
                    return

        self._timer = threading.Thread(target=loop, name="wxpay-certificates", daemon=True)
        self._timer.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(10)
            self._timer = None

    # ---- verifying ---------------------------------------------------------------------------

    def verify_with_refresh(self, verify: Callable[[], T], *, now: Optional[int] = None) -> T:
        """``verify()`` (which verifies bytes already received, e.g. ``lambda: client.parse(…)``);
        on :class:`UnknownSerialError` downloads the certificates once and calls it again. The
        second error, if any, is raised; nothing is ever sent again but the download."""
        try:
            return verify()
        except UnknownSerialError as error:
            if not self._refresh_for(error.serial, now):
                raise
        return verify()

    def _refresh_for(self, serial: Optional[str], now: Optional[int]) -> bool:
        """Whether the serial may be known now: downloaded, or already there (another thread)."""
        with self._lock:
            if serial and serial.upper() in (s.upper() for s in self.client.verification_serials):
                return True
            moment = time.monotonic()
            if self._last_unknown_refresh is not None and moment - self._last_unknown_refresh < self.min_interval:
                return False
            self._last_unknown_refresh = moment
            self._refresh(now)
            return True

    def parse(
        self, request: Any, status: int, headers: Any, body: Optional[bytes], *, now: Optional[int] = None
    ) -> Parsed[Any]:
        """:meth:`Client.parse`, downloading once if the answer names a new certificate."""
        return self.verify_with_refresh(lambda: self.client.parse(request, status, headers, body, now=now), now=now)

    def parse_notification(self, headers: Any, body: bytes, *, now: Optional[int] = None) -> Any:
        """:meth:`Client.parse_notification`, downloading once if it names a new certificate."""
        return self.verify_with_refresh(lambda: self.client.parse_notification(headers, body, now=now), now=now)


__all__ = ["CertificateKeeper", "Send", "default_send"]

