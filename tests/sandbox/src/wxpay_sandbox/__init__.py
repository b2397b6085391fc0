"""wxpay-sandbox: a local WeChat Pay APIv3 sandbox for the contract-termination endpoints and
their queries.

`wxpay-sandbox` (wxpay_sandbox.cli) runs it; `wxpay-sandbox-ctl` (wxpay_sandbox.ctl) drives its
control endpoints; `wxpay_sandbox.server.make_server` builds one in-process. Pure Python:
the standard library and `cryptography`. Every key it uses or makes is a TEST key.
"""

import re
from pathlib import Path

__all__ = ["__version__"]


def _version() -> str:
    # In a source tree (src/wxpay_sandbox next to pyproject.toml) the version written there;
    # installed, the distribution's metadata (which setuptools took from the same line).
    here = Path(__file__).resolve().parent
    if here.parent.name == "src":
        pyproject = here.parent.parent / "pyproject.toml"
        try:
            text = pyproject.read_text(encoding="utf-8")
        except OSError:
            text = ""
        if re.search(r'(?m)^name\s*=\s*"wxpay-sandbox"\s*$', text):
            found = re.search(r'(?m)^version\s*=\s*"([^"]+)"\s*$', text)
            if found:
                return found.group(1)
    # Installed: the METADATA of the dist-info beside the package (read directly: importing
    # importlib.metadata would double the start-up time of wxpay-sandbox-ctl).
    for metadata in sorted(here.parent.glob("wxpay_sandbox-*.dist-info/METADATA")):
        try:
            found = re.search(r"(?m)^Version: *(\S+)\s*$", metadata.read_text(encoding="utf-8"))
        except OSError:
            continue
        if found:
            return found.group(1)
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "0+unknown"
    try:
        return version("wxpay-sandbox")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
