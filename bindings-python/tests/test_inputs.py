"""Bad input gets a clear, typed error, and nothing is signed or sent."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

import wxpay_terminate as wt

from conftest import CLIENTS, KEYS, client_kwargs

PAPAY: Dict[str, Any] = {"plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "contract_termination_remark": "用户解约"}


@pytest.mark.parametrize(
    "change,field",
    [
        ({"plan_id": "12535"}, "plan_id"),  # int field given as str
        ({"plan_id": True}, "plan_id"),  # bool is not an id
        ({"plan_id": -1}, "plan_id"),
        ({"plan_id": 2**64}, "plan_id"),  # out of range
        ({"plan_id": 1.0}, "plan_id"),
        ({"out_contract_code": b"wxwtdk20200910100000"}, "out_contract_code"),  # bytes vs str
        ({"out_contract_code": "a" * 33}, "out_contract_code"),
        ({"out_contract_code": "wxwtdk 2020"}, "out_contract_code"),
        ({"contract_termination_remark": "解" * 257}, "contract_termination_remark"),
        ({"contract_termination_remark": "用户😀"}, "contract_termination_remark"),
        ({"contract_termination_remark": "bad \udcff surrogate"}, "contract_termination_remark"),  # not UTF-8
        ({"contract_termination_remark": None}, "contract_termination_remark"),  # required
        ({"contract_termination_remak": "typo"}, "contract_termination_remak"),
    ],
)
def test_bad_params(doc_client: wt.Client, change: Dict[str, Any], field: str) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(**{**PAPAY, **change})
    assert info.value.field == field


def test_missing_required_field(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000")
    assert info.value.field == "contract_termination_remark"


@pytest.mark.parametrize("timestamp", [-1, "1700000000", 1.5, True, 2**63])
def test_bad_timestamp(doc_client: wt.Client, timestamp: Any) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(**PAPAY, timestamp=timestamp)
    assert info.value.field == "timestamp"


@pytest.mark.parametrize("nonce", ["", "a b", "x" * 33, 123, b"abc"])
def test_bad_nonce(doc_client: wt.Client, nonce: Any) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.terminate_papay_contract(**PAPAY, nonce=nonce)
    assert info.value.field == "nonce"


def test_optional_fields_accept_none(doc_client: wt.Client) -> None:
    req = doc_client.terminate_global_papay_contract(contract_id="C1", appid=None, termination_note="到期")
    assert req.body == '{"termination_note":"到期"}'.encode()
    assert req.url.startswith("https://apihk.mch.weixin.qq.com/")


def config(**change: Any) -> Dict[str, Any]:
    return {**client_kwargs(CLIENTS["doc_pubkey"]), **change}


@pytest.mark.parametrize(
    "change,error",
    [
        ({"private_key": 12345}, wt.InvalidKeyError),  # wrong key type
        ({"private_key": b"\xff\xfe not utf-8"}, wt.InvalidKeyError),
        ({"private_key": (KEYS / "platform_cert_a.pem").read_text()}, wt.InvalidKeyError),
        ({"private_key": (KEYS / "rsa1024_pkcs8.pem").read_bytes()}, wt.InvalidKeyError),
        ({"wechatpay_public_key": (KEYS / "merchant_doc_pkcs8.pem").read_text()}, wt.InvalidKeyError),
        ({"platform_certificates": "not a list"}, wt.InvalidKeyError),
        ({"platform_certificates": [(KEYS / "not_a_key.pem").read_text()]}, wt.InvalidKeyError),
        ({"mchid": 1900007291}, wt.InvalidInputError),
        ({"serial_no": "not-hex"}, wt.InvalidInputError),
        ({"base_url": "api.mch.weixin.qq.com"}, wt.InvalidInputError),
        ({"user_agent_suffix": "shop\nInjected: 1"}, wt.InvalidInputError),
    ],
)
def test_bad_client_config(change: Dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        wt.Client(**config(**change))


def test_keys_as_str_bytes_or_path_are_equivalent(tmp_path: Path) -> None:
    key_path = tmp_path / "apiclient_key.pem"
    key_path.write_bytes((KEYS / "merchant_doc_pkcs8.pem").read_bytes())
    requests = []
    for private_key in (key_path.read_text(), key_path.read_bytes(), key_path):
        client = wt.Client(**config(private_key=private_key))
        requests.append(client.terminate_papay_contract(**PAPAY, timestamp=1, nonce="n"))
    assert requests[0] == requests[1] == requests[2]


def test_parse_refuses_decoded_text(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.parse("terminate_papay_contract", 200, {}, "{}", now=0)  # type: ignore[arg-type]
    assert info.value.field == "body"


def test_parse_unknown_operation(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.parse("terminate_everything", 204, {}, b"", now=0)
    assert info.value.field == "operation"


def test_generic_call_rejects_bad_shapes(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError):
        doc_client.request("BREW", "v3/x")
    with pytest.raises(wt.InvalidInputError):
        doc_client.request("POST", "v3/x/{id}", path_params=[("id", "1")])  # type: ignore[arg-type]
    with pytest.raises(wt.InvalidInputError) as info:
        doc_client.request("POST", "v3/x", json={"a": b"bytes"})
    assert info.value.field == "json"


def test_absolute_urls_only_to_wechat_pay_unless_allowed(doc_client: wt.Client) -> None:
    with pytest.raises(wt.InvalidInputError):
        doc_client.request("GET", "https://example.com/v3/x")
    req = doc_client.request("GET", "https://example.com/v3/x", allow_any_host=True)
    assert req.url == "https://example.com/v3/x"
    assert doc_client.request("GET", "https://api2.mch.weixin.qq.com/v3/x").url.startswith("https://api2.")


def test_unsigned_request_completion_errors(doc_client: wt.Client) -> None:
    unsigned = doc_client.unsigned.terminate_papay_contract(**PAPAY, timestamp=1, nonce="n")
    with pytest.raises(wt.InvalidInputError) as info:
        unsigned.complete("%%% not base64")
    assert info.value.field == "signature"


def test_client_without_private_key_signs_only_through_unsigned() -> None:
    kwargs = config()
    del kwargs["private_key"]
    client = wt.Client(**kwargs)
    with pytest.raises(wt.InvalidKeyError):
        client.terminate_papay_contract(**PAPAY)
    assert client.unsigned.terminate_papay_contract(**PAPAY).string_to_sign.startswith(b"POST\n/v3/papay/")


def test_client_keywords_are_the_core_options() -> None:
    import inspect

    from wxpay_terminate import _native, _options

    core = dict(_native.config_options())
    assert {"mchid", "serial_no", "private_key", "apiv3_key", "platform_certificates"} <= set(core)
    # Every core option but the one the package fills itself is a keyword of Client.
    assert list(inspect.signature(wt.Client).parameters) == [n for n in core if n not in _options.PACKAGE_OPTIONS]


def test_unknown_and_package_owned_options_are_refused() -> None:
    with pytest.raises(wt.InvalidInputError) as info:
        wt.Client(**config(apiv3key="x" * 32))
    assert info.value.field == "apiv3key"
    with pytest.raises(wt.InvalidInputError) as info:
        wt.Client(**config(user_agent_platform="java"))
    assert info.value.field == "user_agent_platform"
