"""Platform certificates beyond the vectors: replacing them at run time and the refresh policy."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest

import wxpay_terminate as wt

from conftest import VECTORS, make_client

CASE: Dict[str, Any] = json.loads((VECTORS / "cases" / "certificates" / "signed_by_trusted_cert_a.json").read_text(encoding="utf-8"))


def downloaded(client: wt.Client) -> wt.CertificateSet:
    response = CASE["response"]
    return client.parse_certificates(response["status"], response["headers"], response["body"].encode("utf-8"), now=CASE["now"])


def test_update_replaces_the_certificates_and_resets_the_refresh_policy() -> None:
    client = make_client(CASE["client"])
    certificates = downloaded(client)
    assert client.certificates_refresh_due(now=CASE["now"])  # never downloaded
    client.update_certificates(certificates, now=CASE["now"])
    assert sorted(serial for serial, _ in client.certificates) == sorted(c["serial_no"] for c in certificates["certificates"])
    assert not client.certificates_refresh_due(now=CASE["now"] + 60)
    assert client.certificates_refresh_due(now=CASE["now"] + 12 * 3600)


@pytest.mark.parametrize("bad", [{}, {"certificates": [{"serial_no": "1"}]}, [], "pem"])
def test_update_refuses_what_parse_certificates_did_not_return(bad: Any) -> None:
    client = make_client(CASE["client"])
    with pytest.raises(wt.InvalidInputError) as info:
        client.update_certificates(bad, now=CASE["now"])
    assert info.value.field == "certificates"


def test_the_download_request_names_its_host() -> None:
    client = make_client(CASE["client"])
    with pytest.raises(wt.InvalidInputError) as info:
        client.certificates_request("apihk")  # type: ignore[arg-type]
    assert info.value.field == "host"
    assert client.certificates_request("global").url.endswith("/v3/global/certificates")
    unsigned = client.unsigned.certificates_request()
    assert unsigned.string_to_sign.startswith(b"GET\n/v3/certificates?algorithm_type=RSA\n")
