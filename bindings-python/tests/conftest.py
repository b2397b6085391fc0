"""Shared helpers: the vector set lives at the repository root, found relative to this file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

import wxpay_terminate as wt

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
KEYS = VECTORS / "keys"


def key_text(name: str) -> str:
    return (KEYS / name).read_text()


def client_kwargs(config: Dict[str, Any]) -> Dict[str, Any]:
    """clients.json shape → wt.Client keyword arguments (key files read as text)."""
    kwargs: Dict[str, Any] = {"mchid": config.get("mchid"), "serial_no": config.get("serial_no")}
    if config.get("private_key"):
        kwargs["private_key"] = key_text(config["private_key"])
    elif "private_key_text" in config:
        kwargs["private_key"] = config["private_key_text"]
    if config.get("wechatpay_public_key_id"):
        kwargs["wechatpay_public_key_id"] = config["wechatpay_public_key_id"]
    if config.get("wechatpay_public_key"):
        kwargs["wechatpay_public_key"] = key_text(config["wechatpay_public_key"])
    kwargs["platform_certificates"] = [key_text(name) for name in config.get("platform_certificates") or []]
    for name in ("base_url", "global_base_url"):
        if config.get(name):
            kwargs[name] = config[name]
    return kwargs


CLIENTS = json.loads((VECTORS / "clients.json").read_text())


def make_client(name: str) -> wt.Client:
    return wt.Client(**client_kwargs(CLIENTS[name]))


@pytest.fixture
def doc_client() -> wt.Client:
    return make_client("doc_pubkey")
