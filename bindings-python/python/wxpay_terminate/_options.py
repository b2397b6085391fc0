"""The client options, as the core's ``ClientConfig`` defines them.

``_native.config_options()`` reads the option names and shapes from ``ClientConfig`` itself,
so the ``Client`` signature (and the generated stub) follow the core: a new option there is a
new keyword argument here with no edit. Only what Python adds is written down here: the
package fills ``user_agent_platform`` itself, and options that take text or bytes (keys) also
take a path, read as bytes. The core's option docs are not exposed to Python; they are in the
``ClientConfig`` rustdoc and the README.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Mapping, Tuple

from . import _native
from .errors import InvalidInputError, InvalidKeyError

#: Options the package sets itself rather than taking from the caller.
PACKAGE_OPTIONS: Dict[str, Any] = {"user_agent_platform": f"python/{sys.version_info[0]}.{sys.version_info[1]}"}

#: Every option of the core as ``(name, shape)``: ``str``, ``int``, ``bool``, ``float``,
#: ``text_or_bytes``, ``Optional[…]``, ``List[…]``.
CORE_OPTIONS: Tuple[Tuple[str, str], ...] = tuple((name, shape) for name, shape in _native.config_options())

#: The options a caller passes to ``Client``, with their shapes.
OPTIONS: Dict[str, str] = {name: shape for name, shape in CORE_OPTIONS if name not in PACKAGE_OPTIONS}

_SCALARS = {"str": "str", "int": "int", "bool": "bool", "float": "float", "text_or_bytes": "_KeySource"}


def annotation(shape: str) -> str:
    """The type annotation of a shape, as written in the stub (``_KeySource`` = str, bytes or a path)."""
    if shape.startswith("Optional[") and shape.endswith("]"):
        return f"Optional[{annotation(shape[9:-1])}]"
    if shape.startswith("List[") and shape.endswith("]"):
        return f"Sequence[{annotation(shape[5:-1])}]"
    return _SCALARS[shape]


def required(shape: str) -> bool:
    """A plain ``str``/``int`` option (``mchid``, ``serial_no``) has no default."""
    return not shape.startswith(("Optional[", "List["))


def default(shape: str) -> Any:
    return () if shape.startswith("List[") else None


def _key(value: Any, name: str) -> Any:
    """Text or bytes as given; a path is read as bytes, exactly (a trailing newline included)."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, os.PathLike):
        with open(value, "rb") as handle:
            return handle.read()
    raise InvalidKeyError(
        f"`{name}` must be text (str), bytes or a path, not {type(value).__name__}", field=name
    )


def _convert(value: Any, shape: str, name: str) -> Any:
    if value is None:
        return None
    if shape.startswith("Optional["):
        return _convert(value, shape[9:-1], name)
    if shape.startswith("List["):
        if isinstance(value, (str, bytes, bytearray, os.PathLike)) or not isinstance(value, (list, tuple)):
            error = InvalidKeyError if "text_or_bytes" in shape else InvalidInputError
            raise error(f"`{name}` must be a list", field=name)
        return [_convert(item, shape[5:-1], name) for item in value]
    if shape == "text_or_bytes":
        return _key(value, name)
    return value


def client_config(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The config dict for the core: keys read, ``None`` left for the core to treat as unset.
    Unknown names pass through, and the core refuses them by name."""
    for name in PACKAGE_OPTIONS:
        if name in options:
            raise InvalidInputError(f"`{name}` is set by the package; use user_agent_suffix", field=name)
    config = {name: _convert(value, OPTIONS.get(name, ""), name) for name, value in options.items()}
    config.update(PACKAGE_OPTIONS)
    return config

