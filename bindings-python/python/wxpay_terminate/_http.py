"""The host side's HTTP: send a :class:`Request` exactly as built, with whatever client is
installed. The core never does I/O; these helpers are what the keeper, the confirm helpers and
the ``bulk`` command use when the caller does not bring its own ``send``."""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Type

from ._model import Request

__all__ = ["Send", "default_send", "transport_errors"]

#: ``send(request) -> (status, headers, body)``: sends a :class:`Request` as it is (the exact
#: method, URL, headers and body bytes) and returns the raw answer.
Send = Callable[[Request[Any]], Tuple[int, Any, bytes]]


def default_send(timeout: float = 10.0, *, session: Optional[Any] = None) -> Send:
    """A :data:`Send` over ``requests`` if installed (a ``requests.Session`` when given, which
    keeps connections alive), else ``httpx``, else ``urllib`` (standard library)."""
    try:
        import requests
    except ImportError:
        pass
    else:
        http = session if session is not None else requests

        def send_requests(req: Request[Any]) -> Tuple[int, Any, bytes]:
            r = http.request(req.method, req.url, headers=req.headers, data=req.body, timeout=timeout)
            return r.status_code, r.headers, r.content

        return send_requests
    try:
        import httpx
    except ImportError:
        pass
    else:
        def send_httpx(req: Request[Any]) -> Tuple[int, Any, bytes]:
            r = httpx.request(req.method, req.url, headers=req.headers, content=req.body, timeout=timeout)
            return r.status_code, r.headers, r.content

        return send_httpx

    import urllib.error
    import urllib.request

    def send_urllib(req: Request[Any]) -> Tuple[int, Any, bytes]:
        request = urllib.request.Request(req.url, data=req.body, headers=req.headers, method=req.method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers.items(), response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.items(), e.read()

    return send_urllib


def transport_errors() -> Tuple[Type[BaseException], ...]:
    """The exceptions that mean "no answer arrived" (timeouts, resets, refused connections) for
    the HTTP libraries installed: a request that raised one may or may not have reached WeChat
    Pay. ``OSError`` covers sockets and ``urllib``."""
    errors: Tuple[Type[BaseException], ...] = (OSError,)
    try:
        import requests
    except ImportError:
        pass
    else:
        # Not RequestException as a whole: InvalidURL, MissingSchema and the like are the
        # caller's mistakes, not lost answers.
        errors += (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
    try:
        import httpx
    except ImportError:
        pass
    else:
        errors += (httpx.TransportError,)
    try:
        import http.client

        errors += (http.client.HTTPException,)
    except ImportError:  # pragma: no cover - standard library
        pass
    return errors
