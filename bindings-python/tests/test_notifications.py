"""Notifications: the raw-bytes rule, the APIv3 key, and the replies (every vector runs in test_vectors.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

import wxpay_terminate as wt

from conftest import CLIENTS, VECTORS, client_kwargs, make_client

CASE = json.loads((VECTORS / "cases" / "notification" / "entrust_terminate_partner_pubkey.json").read_text(encoding="utf-8"))


def received() -> Dict[str, Any]:
    sent = CASE["notification"]
    return {"headers": dict(sent["headers"]), "body": sent["body"].encode("utf-8"), "now": CASE["now"]}


def test_a_notification_comes_back_as_the_documented_dict() -> None:
    client = make_client(CASE["client"])
    notification = client.parse_notification(**received())
    assert notification == CASE["expect"]["ok"]
    assert notification["event_type"] in wt.EVENT_TYPES


def test_text_body_is_refused() -> None:
    client = make_client(CASE["client"])
    r = received()
    with pytest.raises(wt.InvalidInputError) as info:
        client.parse_notification(r["headers"], r["body"].decode("utf-8"), now=r["now"])  # type: ignore[arg-type]
    assert info.value.field == "body"
    assert "exact bytes" in str(info.value) and "request.get_data()" in str(info.value)


def test_bytearray_and_memoryview_bodies_are_bytes() -> None:
    client = make_client(CASE["client"])
    r = received()
    for body in (bytearray(r["body"]), memoryview(r["body"])):
        assert client.parse_notification(r["headers"], body, now=r["now"]) == CASE["expect"]["ok"]  # type: ignore[arg-type]


def test_missing_apiv3_key_is_a_key_error() -> None:
    kwargs = client_kwargs(CLIENTS[CASE["client"]])
    del kwargs["apiv3_key"]
    client = wt.Client(**kwargs)
    with pytest.raises(wt.InvalidKeyError) as info:
        client.parse_notification(**received())
    assert info.value.field == "apiv3_key"
    assert str(info.value) == info.value.message


@pytest.mark.parametrize("as_given", ["str", "bytes", "path"])
def test_apiv3_key_as_str_bytes_or_path(tmp_path: Path, as_given: str) -> None:
    kwargs = client_kwargs(CLIENTS[CASE["client"]])
    key: str = kwargs["apiv3_key"]
    if as_given == "bytes":
        kwargs["apiv3_key"] = key.encode()
    elif as_given == "path":
        (tmp_path / "apiv3.key").write_bytes(key.encode())
        kwargs["apiv3_key"] = tmp_path / "apiv3.key"
    assert wt.Client(**kwargs).parse_notification(**received()) == CASE["expect"]["ok"]


def test_apiv3_key_file_is_read_exactly(tmp_path: Path) -> None:
    kwargs = client_kwargs(CLIENTS[CASE["client"]])
    (tmp_path / "apiv3.key").write_bytes(kwargs["apiv3_key"].encode() + b"\n")
    with pytest.raises(wt.InvalidKeyError) as info:
        wt.Client(**{**kwargs, "apiv3_key": tmp_path / "apiv3.key"})
    assert info.value.field == "apiv3_key" and "33 bytes" in str(info.value)


def test_ack() -> None:
    reply = wt.notification_ack()
    assert isinstance(reply, wt.NotificationReply)
    assert reply.status == 200
    assert reply.headers == {"Content-Type": "application/json"}
    assert reply.body == '{"code":"SUCCESS","message":"成功"}'.encode("utf-8")
    with pytest.raises(AttributeError):
        reply.status = 500  # type: ignore[misc]


@pytest.mark.parametrize("message", ["x", "验签失败", "m" * 64])
def test_nack(message: str) -> None:
    reply = wt.notification_nack(message)
    assert reply.status == 500
    assert reply.headers == {"Content-Type": "application/json"}
    assert reply.body == json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("message", ["", "m" * 65, "line\nbreak", b"bytes", None])
def test_nack_message_is_checked(message: Any) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        wt.notification_nack(message)
    assert info.value.field == "message"
