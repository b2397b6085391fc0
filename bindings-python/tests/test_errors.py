"""Every core error kind has a class under WxpayError, with the attributes users rely on."""
from __future__ import annotations

import pytest

import wxpay_terminate as wt
from wxpay_terminate import _native, errors


def test_a_class_exists_for_every_core_kind() -> None:
    kinds = set(_native.error_kinds())
    assert kinds == set(wt.ERROR_KINDS)
    classes = {cls.kind: cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, wt.WxpayError)}
    for kind in kinds:
        assert kind in classes, f"no exception class for core kind {kind!r}"
        assert issubclass(classes[kind], wt.WxpayError)


def test_hierarchy_is_idiomatic() -> None:
    assert issubclass(wt.InvalidInputError, ValueError)
    assert issubclass(wt.InvalidKeyError, ValueError)
    for cls in (wt.UnsignedResponseError, wt.SignatureError, wt.UnknownSerialError, wt.ClockSkewError):
        assert issubclass(cls, wt.ResponseVerificationError)
    assert issubclass(wt.SignatureProbeError, wt.SignatureError)
    assert not issubclass(wt.ApiError, wt.ResponseVerificationError)


def test_api_error_carries_the_server_answer(doc_client: wt.Client) -> None:
    body = b'{"code":"PARAM_ERROR","message":"\xe5\x8f\x82\xe6\x95\xb0\xe9\x94\x99\xe8\xaf\xaf","detail":{"field":"/x","location":"body"}}'
    with pytest.raises(wt.ApiError) as info:
        doc_client.parse("terminate_papay_contract", 400, {"Request-ID": "08ABC"}, body, now=0)
    e = info.value
    assert (e.kind, e.status, e.code, e.message, e.request_id, e.retryable) == ("api", 400, "PARAM_ERROR", "参数错误", "08ABC", False)
    assert e.detail == {"field": "/x", "location": "body"}
    assert "PARAM_ERROR" in str(e) and "08ABC" in repr(e)


@pytest.mark.parametrize("status,retryable", [(429, True), (500, True), (503, True), (404, False), (401, False)])
def test_retryable_follows_status(doc_client: wt.Client, status: int, retryable: bool) -> None:
    with pytest.raises(wt.ApiError) as info:
        doc_client.parse(None, status, [], b"", now=0)
    assert info.value.retryable is retryable
    assert info.value.code is None and info.value.message is None


def test_input_errors_name_their_field(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(plan_id=12535, out_contract_code="", contract_termination_remark="x")
    assert info.value.field == "out_contract_code"
    assert info.value.message == str(info.value)
    assert isinstance(info.value, ValueError)
