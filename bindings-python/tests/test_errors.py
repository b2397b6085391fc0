"""Every core error kind has a class under WxpayError, with the attributes users rely on."""
from __future__ import annotations

import pytest

import wxpay_terminate as wt
from wxpay_terminate import _native, errors


#: The core's ErrorRecord fields, which every error carries under the same names.
RECORD_FIELDS = ("kind", "message", "field", "serial", "status", "code", "api_message", "detail", "request_id", "retryable")


def test_a_class_exists_for_every_core_kind() -> None:
    kinds = set(_native.error_kinds())
    assert kinds == set(wt.ERROR_KINDS)
    # The kind → class table is built from the classes' own `kind`; it must cover the core.
    assert kinds <= set(errors._BY_KIND), sorted(kinds - set(errors._BY_KIND))
    for kind, cls in errors._BY_KIND.items():
        assert cls.kind == kind and issubclass(cls, wt.WxpayError)
        assert cls.__name__ in errors.__all__ and getattr(wt, cls.__name__) is cls


def test_hierarchy_is_idiomatic() -> None:
    assert issubclass(wt.InvalidInputError, ValueError)
    assert issubclass(wt.InvalidKeyError, ValueError)
    for cls in (wt.UnsignedResponseError, wt.SignatureError, wt.UnknownSerialError, wt.ClockSkewError):
        assert issubclass(cls, wt.ResponseVerificationError)
    assert issubclass(wt.SignatureProbeError, wt.SignatureError)
    assert not issubclass(wt.ApiError, wt.ResponseVerificationError)
    # Decryption follows a verified signature: a configuration problem, not a forgery.
    assert not issubclass(wt.DecryptionError, wt.ResponseVerificationError)
    assert not issubclass(wt.DecryptionError, wt.DecodeError)
    assert issubclass(wt.InternalError, RuntimeError)


def test_api_error_carries_the_server_answer(doc_client: wt.Client) -> None:
    body = b'{"code":"PARAM_ERROR","message":"\xe5\x8f\x82\xe6\x95\xb0\xe9\x94\x99\xe8\xaf\xaf","detail":{"field":"/x","location":"body"}}'
    with pytest.raises(wt.ApiError) as info:
        doc_client.parse("terminate_papay_contract", 400, {"Request-ID": "08ABC"}, body, now=0)
    e = info.value
    assert (e.kind, e.status, e.code, e.api_message, e.request_id, e.retryable) == ("api", 400, "PARAM_ERROR", "参数错误", "08ABC", False)
    # `message` is the library's message (also str(e)); WeChat Pay's own text is `api_message`.
    assert e.message == str(e) == "HTTP 400 PARAM_ERROR: 参数错误"
    assert e.detail == {"field": "/x", "location": "body"}
    assert "PARAM_ERROR" in str(e) and "08ABC" in repr(e)


def test_every_error_has_the_record_attributes(doc_client: wt.Client) -> None:
    with pytest.raises(wt.WxpayError) as info:
        doc_client.parse(None, 200, {}, b"{}", now=0)
    for name in RECORD_FIELDS:
        assert hasattr(info.value, name), name
    assert str(info.value) == info.value.message


def test_factory_takes_the_record_as_keyword_arguments() -> None:
    record = dict(kind="decryption", message="m", field=None, serial=None, status=None, code=None,
                  api_message=None, detail=None, request_id=None, retryable=False)
    error = errors._from_native(**record)
    assert type(error) is wt.DecryptionError and str(error) == error.message == "m"
    # A field of a newer core needs no change here: it becomes an attribute of that name.
    error = errors._from_native(**{**record, "kind": "api", "detail": '{"a":[1]}', "future_field": 7})
    assert type(error) is wt.ApiError and error.detail == {"a": [1]} and getattr(error, "future_field") == 7
    # A kind this version does not know: the base class, with the kind kept.
    error = errors._from_native(**{**record, "kind": "brand_new"})
    assert type(error) is wt.WxpayError and error.kind == "brand_new"


@pytest.mark.parametrize("status,retryable", [(429, True), (500, True), (503, True), (404, False), (401, False)])
def test_retryable_follows_status(doc_client: wt.Client, status: int, retryable: bool) -> None:
    with pytest.raises(wt.ApiError) as info:
        doc_client.parse(None, status, [], b"", now=0)
    assert info.value.retryable is retryable
    assert info.value.code is None and info.value.api_message is None
    assert info.value.message == f"HTTP {status}"


def test_input_errors_name_their_field(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(plan_id=12535, out_contract_code="", contract_termination_remark="x")
    assert info.value.field == "out_contract_code"
    assert info.value.message == str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_panic_inside_the_core_is_an_internal_error_and_the_client_stays_usable(doc_client: wt.Client) -> None:
    """No panic crosses the FFI boundary: the core's test hook panics, and Python sees the
    package's base class (InternalError is a WxpayError), not a PanicException (a BaseException
    that `except Exception` would miss) and not an abort of the interpreter."""
    for _ in range(3):
        with pytest.raises(wt.WxpayError) as info:
            doc_client._native._panic_for_test()
        assert type(info.value) is wt.InternalError and info.value.kind == "internal"
        assert isinstance(info.value, Exception)
        assert "panicked" in str(info.value) and "report this as a bug" in str(info.value)
    # The same client still signs and verifies.
    req = doc_client.terminate_edu_papay_contract(contract_id="204009101000000000000001", timestamp=1_700_000_000,
                                                  nonce="593BEC0C930BF1AFEB40B4A08C8FB242")
    assert req.headers["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")
    with pytest.raises(wt.ApiError):
        doc_client.parse(req, 500, {}, b'{"code":"SYSTEM_ERROR","message":"x"}')
