#!/usr/bin/env python3
"""Independent test-vector oracle for wxpay-terminate.

Writes tests/vectors/keys/ (only the files that are missing), clients.json and
cases/ (deleted and rewritten on every run; the output is deterministic).

Every expected value is computed here with Python's standard library and
`cryptography` (OpenSSL); nothing comes from the Rust library.  The script
self-checks: every signature it writes is verified again with the public key,
the published vectors (V1a, V1b, V2) are asserted byte for byte, every
intentionally bad signature is asserted NOT to verify, and every expected
error of a request/response case is re-derived by the small reference model
below (`build_request`, `process_response`).  Notification cases are
encrypted here with AES-256-GCM under the client's APIv3 key, signed, then run
back through `process_notification` (verify, decrypt, type with this file's
own copy of the docs/notifications.md table) and spot-checked.  Certificate-download
cases (`certificates`) encrypt the committed platform certificate PEMs the same way, sign the
response, run it back through `process_certificates` and re-open every entry independently;
`certificates_request` cases go through the same `request_expect` as `request` cases.
Query operations (`query_*`) put their `query` parameters into `?name=value&…` in declaration order,
encoded like path values, absent optional ones left out, and sign path + query; their cases are
re-checked against hand-written URLs and urllib's parse_qsl.
The library rules on URLs (dot segments refused, absolute hosts limited to WeChat Pay's and the
configured ones, RFC 3986 encoding) and on response headers (conflicting duplicate proof headers,
Signature-Type, exact public key ids, RSA before the clock) are encoded in `build_request`,
`build_generic` and `process_response`, and their cases are re-checked by hand-written URLs,
urllib's percent-decoding and direct signature checks.

Usage: python3 tests/vectors/generate.py   (from any working directory)
Requires: Python >= 3.11, cryptography.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import urllib.parse
import uuid
from pathlib import Path

import cryptography
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.backends.openssl.backend import backend as _ossl_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
# `WXPAY_VECTORS_OUT=DIR` writes cases/ and clients.json under DIR instead (make gen-check
# regenerates there and compares with the committed set).
OUT = Path(os.environ["WXPAY_VECTORS_OUT"]) if os.environ.get("WXPAY_VECTORS_OUT") else HERE
CASES = OUT / "cases"
CLIENTS_JSON = OUT / "clients.json"

ORACLE = (
    f"oracle: python cryptography {cryptography.__version__} / "
    f"{_ossl_backend.openssl_version_text()}"
)
SRC_V1A = "published: WeChat Pay doc 4012365334 (V1a; reference §5.1)"
SRC_V1B = (
    "oracle-recomputed: official doc test key, JSAPI example of doc 4012365334 (V1b; reference §5.1); "
    + "value asserted equal to the reference"
)
SRC_V2 = (
    "published: wechatpay-go @6dbd7ce core/auth/signers/sha256withrsa_signer_test.go (V2; reference §5.1)"
)

USER_AGENT_PREFIX = "wxpay-terminate/"
DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
DEFAULT_GLOBAL_BASE_URL = "https://apihk.mch.weixin.qq.com"
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
SKEW = 300

PUB_KEY_ID = "PUB_KEY_ID_0119000072912025112400000000000001"
CERT_A_SERIAL = 0x5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC
CERT_B_SERIAL = 0xB1A2C3D4E5F60718293A4B5C6D7E8F9001122334
CERT_A_HEX = "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"
CERT_B_HEX = "B1A2C3D4E5F60718293A4B5C6D7E8F9001122334"
CERT_CN = "Tenpay.com Root CA test"
UTC = dt.timezone.utc
CERT_AB_VALIDITY = (dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2040, 1, 1, tzinfo=UTC))
# Platform certificates C and D exist only for the certificate-download cases: no client trusts
# them; they reach a client only encrypted inside a GET /v3/certificates response.
CERT_C_SERIAL = 0x3F1A9C5E7B2D4068A1C3E5F7092B4D6E8F0A1C3E
CERT_D_SERIAL = 0x6B0E2D4F8A1C3E5079B2D4F6081A3C5E7F90B2D4
CERT_C_HEX = "3F1A9C5E7B2D4068A1C3E5F7092B4D6E8F0A1C3E"
CERT_D_HEX = "6B0E2D4F8A1C3E5079B2D4F6081A3C5E7F90B2D4"
CERT_C_VALIDITY = (dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2029, 1, 1, tzinfo=UTC))  # 1704067200 … 1861920000
CERT_D_VALIDITY = (dt.datetime(2018, 1, 1, tzinfo=UTC), dt.datetime(2023, 1, 1, tzinfo=UTC))  # 1514764800 … 1672531200

# ---------------------------------------------------------------------------
# Published keys and vectors (reference §5.1)
# ---------------------------------------------------------------------------

DOC_KEY_PKCS8 = """-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCm2mb6q8gMKH/3
CNTbpJAIrbqiBiQGEOtjGcBrDYltsGynWgNscqT7WvfzU14FQbYcQUC5T4Wvva7m
i3fIp3OgX8VqMDNA0qebnr38Pe6kqiLyZgFpJPXlSKDyPyqhRbVTbXssvSMQeVKc
dXeVxoNNeoOlNFHgF/P0io6AmAVnz+hN8SiZKuOsth5/zUTLGvtkgxBcQooQrtXh
RcpLT798OyIb9xeJ2HO3xRtMv2+perEzb4gMibI74UBz+2QEbnkubPE+2jU2rRZu
dnNEz/BPOt3Qj/w2V6/G0VumGDh6+UeMU0jv4aupHztWITC4Akn0l7lBCNy3lgl8
VFaJnkIxAgMBAAECggEAYGL8aESB7NwciDWW2UdoWUsa7GxFtSdjAz2mFXGdeTsY
mVh7b9OOkRGM+Qio4LqEHDBp1mMk5E/cUJwy1zw8pGGO5nfvs7u9TT3XnHaefIs4
YvUgTYAneIuLRkXNN5rQU+CD7mVYczTSz0Vgjqo9wa1LjUz7G0xbBmJgTdMEFGJs
eJjy6AbJo0CGIwp6HJbTm4CmOUgXnnDAIbEGTIRImkZFH/rzneIeR7oZ77FVwxr1
CZB2gfRCov/yRPbw8vnryYkmvQ7D/ze3j5097vRg/MoDGBSdoOwcmo75vyofr0AS
zytMjmHYyifqkf5slPropSiJeGf4p/7gtKyF6dE/XQKBgQDVAlJ+4U5ZVGOuDc3+
sAhz8CTzgFNlq9vKuSoFK6hOz2L+cwj+E7NXGkOe2DsHHZNy2Xqxk7caKhPEp1z9
hhpMpyLVMoFt6CKemyoRBWDCQwLLwem9SZF/IAyovBkLiH36P42Jm26gUkNMKC/5
Zhtqxf6RZgRQzbVudJi47vIRCwKBgQDIh0+v27Oo+DM3fhObH4I1NrXpWOEGH7OQ
G1dEsMuFYF4hjGhg0kBEP3w9vVdl2+mRllZKTsx9oqjb8OibPLLIH8xsdbAB0WLf
JvjLu4wl/ILUzN1RI03dWnnv2EnEeQn6c3hizvrJ9wR5U4ue9RPVnQooJ0hZF1PU
uCL5fWK3MwKBgElReU/PAYbh80WP3t3Rfbdaa32dKBeQ5iCLR5lsA4zM+YgX1HqQ
EWTj126vgvHaDkyz6vWAoL/Sx+cirHFfXWIRDX5Q2hgYlQH+6qXdMgbrxeSYpHnQ
/tHBGFpkFELSAnrGsVMyOwvYBO4LzyeLK9i+ufcWJFoj1FVmsMLHDG8tAoGARdbi
iQQCoYG4DMarO2aQ6cmhN6EN1h0qY7EyBqlwaIZ0okiNfdMcMOjPc41DKCWcRmlO
qlihXcxN9TQFPzO3rH1urAOdBjUPs1qWYhZyrDQyuLyVBBJApyxAtajloDjrob+f
mQIvVDHk7ACN6xG+E7K6+9salnTKbJapD618uQMCgYBNy6XUvzLkP/A1U/UZdtcx
l8GwU/dturLxz4CyGbqDw4ubaYY2e13lnqHUqQgPtiSyH51nq3tdo8G0YAJdfkSv
KvnfslW91fyEBUKnkdW1o3/1UFU/wprZ7ixVL/F42A4xDu7OFE8EnweJOZ0jWceE
OdhCkaIGBCfRnlECRK8UyQ==
-----END PRIVATE KEY-----
"""

DOC_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAptpm+qvIDCh/9wjU26SQ
CK26ogYkBhDrYxnAaw2JbbBsp1oDbHKk+1r381NeBUG2HEFAuU+Fr72u5ot3yKdz
oF/FajAzQNKnm569/D3upKoi8mYBaST15Uig8j8qoUW1U217LL0jEHlSnHV3lcaD
TXqDpTRR4Bfz9IqOgJgFZ8/oTfEomSrjrLYef81Eyxr7ZIMQXEKKEK7V4UXKS0+/
fDsiG/cXidhzt8UbTL9vqXqxM2+IDImyO+FAc/tkBG55LmzxPto1Nq0WbnZzRM/w
Tzrd0I/8NlevxtFbphg4evlHjFNI7+GrqR87ViEwuAJJ9Je5QQjct5YJfFRWiZ5C
MQIDAQAB
-----END PUBLIC KEY-----
"""

GO_KEY_PKCS8 = """-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
BDa+8mDLkWu5nHEhOxy2JJZl
-----END PRIVATE KEY-----
"""

GO_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt
/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+
U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4
SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oU
xwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmd
a7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT
8wIDAQAB
-----END PUBLIC KEY-----
"""

V1A_SIGNATURE = (
    "Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA=="
)
V1B_SIGNATURE = (
    "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A=="
)
V2_SIGNATURE = (
    "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg=="
)
V1_TS = 1554208460
V1_NONCE = "593BEC0C930BF1AFEB40B4A08C8FB242"
V1B_BODY = (
    '{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔",'
    '"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",'
    '"amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}'
)
V1A_AUTHORIZATION = (
    'WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
    f'signature="{V1A_SIGNATURE}",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"'
)

NOT_A_KEY_TEXT = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def fail(msg: str) -> None:
    raise SystemExit(f"generate.py: self-check failed: {msg}")


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return b64(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def verifies(pub: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except Exception:
        return False
    try:
        pub.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def sign_checked(key: rsa.RSAPrivateKey, message: bytes) -> str:
    s = sign(key, message)
    check(verifies(key.public_key(), message, s), "fresh signature does not verify")
    # RSASSA-PKCS1-v1_5 is deterministic: signing twice must give the same bytes.
    check(sign(key, message) == s, "PKCS#1 v1.5 signature is not deterministic")
    return s


def det_hex(label: str, n: int = 32) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:n].upper()


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def det_b62(label: str, n: int = 32) -> str:
    v = int.from_bytes(hashlib.sha256(("nonce:" + label).encode()).digest(), "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, 62)
        out.append(_B62[r])
    return "".join(out)


RFC3986_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def quote(x: str) -> str:
    """RFC 3986 component encoding: every UTF-8 byte outside the unreserved set becomes %XX
    (upper-case hex); unreserved bytes and letters are never changed.  Cross-checked with
    urllib.parse.quote(safe="")."""
    out = "".join(chr(b) if b in RFC3986_UNRESERVED else "%%%02X" % b for b in x.encode("utf-8"))
    check(out == urllib.parse.quote(x, safe=""), f"percent-encoding of {x!r} disagrees with urllib")
    return out


def compact(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Minimal DER helpers (only to give certificate B a 160-bit serial, which
# cryptography's CertificateBuilder refuses: it caps serials at 159 bits)
# ---------------------------------------------------------------------------


def der_read(buf: bytes, pos: int):
    tag = buf[pos]
    ln = buf[pos + 1]
    hdr = 2
    if ln & 0x80:
        n = ln & 0x7F
        ln = int.from_bytes(buf[pos + 2 : pos + 2 + n], "big")
        hdr += n
    start = pos + hdr
    return tag, start, start + ln  # tag, content start, content end


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def der_int(v: int) -> bytes:
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")  # always leaves room for a sign bit
    return der_tlv(0x02, b)


def cert_with_serial(cert: x509.Certificate, key: rsa.RSAPrivateKey, serial: int) -> bytes:
    """Re-encode `cert` (signed by `key`) with another serial and re-sign it."""
    der = cert.public_bytes(serialization.Encoding.DER)
    tag, cs, ce = der_read(der, 0)
    check(tag == 0x30, "cert is not a SEQUENCE")
    # tbsCertificate
    ttag, tcs, tce = der_read(der, cs)
    check(ttag == 0x30, "tbs is not a SEQUENCE")
    tbs_full_end = tce
    sigalg_and_rest_start = tbs_full_end
    # signatureAlgorithm
    atag, acs, ace = der_read(der, sigalg_and_rest_start)
    sigalg = der[sigalg_and_rest_start:ace]
    # inside tbs: [0] version, INTEGER serial, rest
    vtag, vcs, vce = der_read(der, tcs)
    check(vtag == 0xA0, "tbs has no explicit version")
    stag, scs, sce = der_read(der, vce)
    check(stag == 0x02, "serial is not an INTEGER")
    new_tbs_content = der[tcs:vce] + der_int(serial) + der[sce:tce]
    new_tbs = der_tlv(0x30, new_tbs_content)
    sig = key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA256())
    sigbits = der_tlv(0x03, b"\x00" + sig)
    return der_tlv(0x30, new_tbs + sigalg + sigbits)


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def pem_pkcs8(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def make_cert(key: rsa.RSAPrivateKey, serial: int, validity=CERT_AB_VALIDITY) -> bytes:
    """A self-signed platform test certificate (subject = issuer = CERT_CN, CA:TRUE)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com"),
            x509.NameAttribute(NameOID.COMMON_NAME, CERT_CN),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if serial.bit_length() < 160:
        cert = builder.serial_number(serial).sign(key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM)
    placeholder = builder.serial_number(1).sign(key, hashes.SHA256())
    der = cert_with_serial(placeholder, key, serial)
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def write_new(path: Path, data: bytes, created: list[str]) -> None:
    check(not path.exists(), f"refusing to overwrite {path}")
    path.write_bytes(data)
    created.append(path.name)


def ensure_keys() -> list[str]:
    KEYS.mkdir(parents=True, exist_ok=True)
    created: list[str] = []

    def need(*names: str) -> bool:
        present = [n for n in names if (KEYS / n).exists()]
        if present and len(present) != len(names):
            fail(f"keys/: {present} exist but not all of {list(names)}; restore them (never regenerated)")
        return not present

    if need("merchant_doc_pkcs8.pem"):
        write_new(KEYS / "merchant_doc_pkcs8.pem", DOC_KEY_PKCS8.encode(), created)
    if need("merchant_doc_pkcs1.pem"):
        k = load_private(KEYS / "merchant_doc_pkcs8.pem")
        pem = k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        write_new(KEYS / "merchant_doc_pkcs1.pem", pem, created)
    if need("merchant_go_pkcs8.pem"):
        write_new(KEYS / "merchant_go_pkcs8.pem", GO_KEY_PKCS8.encode(), created)
    if need("wechatpay_public_key.pem", "wechatpay_public_key.private.pem"):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_new(KEYS / "wechatpay_public_key.private.pem", pem_pkcs8(k), created)
        pub = k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        write_new(KEYS / "wechatpay_public_key.pem", pub, created)
    for name, serial in (("platform_cert_a", CERT_A_SERIAL), ("platform_cert_b", CERT_B_SERIAL)):
        if need(f"{name}.pem", f"{name}.private.pem"):
            k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_new(KEYS / f"{name}.private.pem", pem_pkcs8(k), created)
            write_new(KEYS / f"{name}.pem", make_cert(k, serial), created)
    for name, serial, validity in (("platform_cert_c", CERT_C_SERIAL, CERT_C_VALIDITY),
                                   ("platform_cert_d_expired", CERT_D_SERIAL, CERT_D_VALIDITY)):
        if need(f"{name}.pem", f"{name}.private.pem"):
            k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_new(KEYS / f"{name}.private.pem", pem_pkcs8(k), created)
            write_new(KEYS / f"{name}.pem", make_cert(k, serial, validity), created)
    if need("rsa1024_pkcs8.pem"):
        k = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        write_new(KEYS / "rsa1024_pkcs8.pem", pem_pkcs8(k), created)
    if need("ec_p256_pkcs8.pem"):
        k = ec.generate_private_key(ec.SECP256R1())
        write_new(KEYS / "ec_p256_pkcs8.pem", pem_pkcs8(k), created)
    if need("not_a_key.pem"):
        write_new(KEYS / "not_a_key.pem", NOT_A_KEY_TEXT.encode(), created)
    return created


def spki(pub) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class KeySet:
    """All fixture keys, loaded and checked."""

    def __init__(self) -> None:
        p = KEYS
        check((p / "merchant_doc_pkcs8.pem").read_text() == DOC_KEY_PKCS8, "merchant_doc_pkcs8.pem differs from the doc text")
        check((p / "merchant_go_pkcs8.pem").read_text() == GO_KEY_PKCS8, "merchant_go_pkcs8.pem differs from the V2 text")
        check((p / "not_a_key.pem").read_text() == NOT_A_KEY_TEXT, "not_a_key.pem content")
        self.doc = load_private(p / "merchant_doc_pkcs8.pem")
        doc1_text = (p / "merchant_doc_pkcs1.pem").read_text()
        check(doc1_text.startswith("-----BEGIN RSA PRIVATE KEY-----\n"), "pkcs1 header")
        doc1 = load_private(p / "merchant_doc_pkcs1.pem")
        check(doc1.private_numbers() == self.doc.private_numbers(), "PKCS#1 doc key is not the doc key")
        check(spki(self.doc.public_key()) == spki(serialization.load_pem_public_key(DOC_PUBLIC_KEY.encode())), "doc public key")
        self.go = load_private(p / "merchant_go_pkcs8.pem")
        check(spki(self.go.public_key()) == spki(serialization.load_pem_public_key(GO_PUBLIC_KEY.encode())), "go public key")

        self.wxpub_priv = load_private(p / "wechatpay_public_key.private.pem")
        wxpub_text = (p / "wechatpay_public_key.pem").read_text()
        check(wxpub_text.startswith("-----BEGIN PUBLIC KEY-----\n"), "wechatpay_public_key.pem is not SPKI")
        self.wxpub = serialization.load_pem_public_key(wxpub_text.encode())
        check(spki(self.wxpub) == spki(self.wxpub_priv.public_key()), "wechatpay public key pair mismatch")
        check(isinstance(self.wxpub, rsa.RSAPublicKey) and self.wxpub.key_size == 2048, "wechatpay public key must be RSA-2048")

        self.cert_priv = {}
        self.cert_pub = {}
        for name, serial in (("platform_cert_a", CERT_A_SERIAL), ("platform_cert_b", CERT_B_SERIAL)):
            priv = load_private(p / f"{name}.private.pem")
            cert = x509.load_pem_x509_certificate((p / f"{name}.pem").read_bytes())
            check(cert.serial_number == serial, f"{name} serial")
            check(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CERT_CN, f"{name} CN")
            check(spki(cert.public_key()) == spki(priv.public_key()), f"{name} key pair mismatch")
            check(cert.public_key().key_size == 2048, f"{name} must be RSA-2048")
            check(cert.not_valid_before_utc == dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), f"{name} notBefore")
            check(cert.not_valid_after_utc == dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc), f"{name} notAfter")
            # self-signed: the certificate signature verifies with its own key
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
            hexs = format(cert.serial_number, "X")
            self.cert_priv[hexs] = priv
            self.cert_pub[hexs] = cert.public_key()
        # certificate B's DER serial must carry the leading 00 byte
        der_b = x509.load_pem_x509_certificate((p / "platform_cert_b.pem").read_bytes()).public_bytes(serialization.Encoding.DER)
        check(bytes.fromhex("0215 00" + CERT_B_HEX) in der_b, "cert B DER serial lacks the leading 00")
        check(set(self.cert_priv) == {CERT_A_HEX, CERT_B_HEX}, "cert serial hex forms")

        # every platform certificate a certificate-download case may carry: hex serial ->
        # (certificate, exact PEM text of the file, private key)
        self.platform = {}
        for name, hexs in (("platform_cert_a", CERT_A_HEX), ("platform_cert_b", CERT_B_HEX)):
            text = (p / f"{name}.pem").read_text()
            self.platform[hexs] = (x509.load_pem_x509_certificate(text.encode()), text, self.cert_priv[hexs])
        for name, serial, hexs, validity in (("platform_cert_c", CERT_C_SERIAL, CERT_C_HEX, CERT_C_VALIDITY),
                                             ("platform_cert_d_expired", CERT_D_SERIAL, CERT_D_HEX, CERT_D_VALIDITY)):
            priv = load_private(p / f"{name}.private.pem")
            text = (p / f"{name}.pem").read_text()
            check(text.startswith("-----BEGIN CERTIFICATE-----\n") and text.endswith("-----END CERTIFICATE-----\n"),
                  f"{name} PEM framing")
            cert = x509.load_pem_x509_certificate(text.encode())
            check(cert.serial_number == serial and format(serial, "X") == hexs, f"{name} serial")
            check(cert.subject == cert.issuer and
                  cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CERT_CN, f"{name} names")
            check(spki(cert.public_key()) == spki(priv.public_key()), f"{name} key pair mismatch")
            check(isinstance(priv, rsa.RSAPrivateKey) and cert.public_key().key_size == 2048, f"{name} must be RSA-2048")
            check((cert.not_valid_before_utc, cert.not_valid_after_utc) == validity, f"{name} validity")
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
            check((p / f"{name}.private.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----"), f"{name} PKCS#8")
            self.platform[hexs] = (cert, text, priv)
        pubs = [spki(v[0].public_key()) for v in self.platform.values()] + [spki(self.wxpub)]
        check(len(set(pubs)) == len(pubs), "platform certificates and the public key must be distinct key pairs")

        k1024 = load_private(p / "rsa1024_pkcs8.pem")
        check(isinstance(k1024, rsa.RSAPrivateKey) and k1024.key_size == 1024, "rsa1024 key")
        kec = load_private(p / "ec_p256_pkcs8.pem")
        check(isinstance(kec, ec.EllipticCurvePrivateKey) and kec.curve.name == "secp256r1", "ec key")
        check((p / "ec_p256_pkcs8.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----"), "ec key PKCS#8")
        check((p / "rsa1024_pkcs8.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----"), "rsa1024 PKCS#8")

        self.private_by_file = {
            "merchant_doc_pkcs8.pem": self.doc,
            "merchant_doc_pkcs1.pem": doc1,
            "merchant_go_pkcs8.pem": self.go,
            "wechatpay_public_key.private.pem": self.wxpub_priv,
            "platform_cert_a.private.pem": self.cert_priv[CERT_A_HEX],
            "platform_cert_b.private.pem": self.cert_priv[CERT_B_HEX],
            "platform_cert_c.private.pem": self.platform[CERT_C_HEX][2],
            "platform_cert_d_expired.private.pem": self.platform[CERT_D_HEX][2],
        }
        # which private key signs a response announced with a given Wechatpay-Serial
        self.response_signer = {
            PUB_KEY_ID: self.wxpub_priv,
            CERT_A_HEX: self.cert_priv[CERT_A_HEX],
            CERT_B_HEX: self.cert_priv[CERT_B_HEX],
        }
        self.cert_file_serial = {"platform_cert_a.pem": CERT_A_HEX, "platform_cert_b.pem": CERT_B_HEX}


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------

DOC_MCHID = "1900007291"
DOC_SERIAL = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"

CLIENTS = {
    "doc_pubkey": {
        "apiv3_key": "doc_pubkey_test_apiv3_key_000001",
        "mchid": DOC_MCHID,
        "serial_no": DOC_SERIAL,
        "private_key": "merchant_doc_pkcs8.pem",
        "wechatpay_public_key_id": PUB_KEY_ID,
        "wechatpay_public_key": "wechatpay_public_key.pem",
        "platform_certificates": None,
        "base_url": None,
        "global_base_url": None,
    },
    "go_platform": {
        "apiv3_key": "go_platform_test_apiv3_key_00002",
        "mchid": "1234567890",
        "serial_no": "F5765756002FDD77",
        "private_key": "merchant_go_pkcs8.pem",
        "wechatpay_public_key_id": None,
        "wechatpay_public_key": None,
        "platform_certificates": ["platform_cert_a.pem", "platform_cert_b.pem"],
        "base_url": "https://api2.mch.weixin.qq.com",
        "global_base_url": None,
    },
    "migration": {
        "apiv3_key": "migration_test_apiv3_key_0000003",
        "mchid": DOC_MCHID,
        "serial_no": DOC_SERIAL,
        "private_key": "merchant_doc_pkcs1.pem",
        "wechatpay_public_key_id": PUB_KEY_ID,
        "wechatpay_public_key": "wechatpay_public_key.pem",
        "platform_certificates": ["platform_cert_a.pem"],
        "base_url": "http://127.0.0.1:8080",
        "global_base_url": "http://127.0.0.1:8080",
    },
}
for _c in CLIENTS.values():
    check(len(_c["apiv3_key"]) == 32 and len(_c["apiv3_key"].encode("utf-8")) == 32, "apiv3_key must be 32 ASCII chars")


# ---------------------------------------------------------------------------
# Catalog (the reference model of the typed operations)
# ---------------------------------------------------------------------------


class InvalidInput(Exception):
    def __init__(self, field: str | None, why: str):
        super().__init__(f"{field}: {why}")
        self.field = field


class P:
    """A parameter: kind is 'str' or 'int'; loc is 'path', 'query' or 'body'."""

    def __init__(self, name, kind="str", loc="body", required=True, max_len=None, alnum=False):
        self.name, self.kind, self.loc, self.required = name, kind, loc, required
        self.max_len, self.alnum = max_len, alnum


def path_s(name, max_len=None, alnum=False):
    return P(name, "str", "path", True, max_len, alnum)


def path_i(name):
    return P(name, "int", "path", True)


def body(name, required=True, max_len=None, alnum=False):
    return P(name, "str", "body", required, max_len, alnum)


def query_s(name, required=True, max_len=None, alnum=False):
    """A query-string parameter: appended as `name=value` in declaration order, encoded like a
    path value, part of the signed canonical URL; an absent optional one is left out."""
    return P(name, "str", "query", required, max_len, alnum)


class Op:
    def __init__(self, op_id, method, path, params, success, output=None, host="api"):
        self.id, self.method, self.path, self.params = op_id, method, path, params
        self.success, self.output, self.host = success, output, host

    @property
    def body_params(self):
        return [p for p in self.params if p.loc == "body"]

    @property
    def query_params(self):
        return [p for p in self.params if p.loc == "query"]


# --- output schemas: name -> (type, required[, accepted alternate names]); type is 'str', 'int',
#     'bool', 'str_coerce', 'int_coerce', a nested schema dict, or a one-element list [schema] for an
#     array of objects.  'amount' objects accept the alias.
AMOUNT = {"total": ("int", True), "currency": ("str", False)}
TERMINATE_INFO = {
    "contract_termination_mode": ("str", True),
    "contract_terminated_time": ("str", True),
    "contract_termination_remark": ("str", False),
}
DEDUCT_SCHEDULE = {
    "estimated_deduct_date": ("str", True),
    "estimated_deduct_amount": (AMOUNT, True),
    "schedule_state": ("str", True),
    "scheduled_amount": (AMOUNT, False),
    "deduct_amount": (AMOUNT, False),
    "deduct_date": ("str", False),
}
PASSWORD_EXEMPT_OUT = {"mchid": ("str", True), "service_id": ("int", True), "out_contract_code": ("str", True)}
PAPAY_CONTRACT = {
    "mchid": ("str", True),
    "contract_id": ("str", True),
    "appid": ("str", True),
    "plan_id": ("int", True),
    "out_contract_code": ("str", True),
    "contract_display_account": ("str", True),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_expired_time": ("str", False),
    "openid": ("str", True),
    "contract_terminate_info": (TERMINATE_INFO, False),
    "out_user_code": ("str", False),
    "deduct_schedule": (DEDUCT_SCHEDULE, False),
}
PAPAY_PARTNER_CONTRACT = {
    "contract_id": ("str", True),
    "sp_mchid": ("str", True),
    "sp_appid": ("str", True),
    "sub_mchid": ("str", True),
    "sub_appid": ("str", False),
    "plan_id": ("int", True),
    "out_contract_code": ("str", True),
    "contract_display_account": ("str", True),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_expired_time": ("str", False),
    "sp_openid": ("str", True),
    "sub_openid": ("str", False),
    "contract_terminate_info": (TERMINATE_INFO, False),
    "out_user_code": ("str", False),
    "deduct_schedule": (DEDUCT_SCHEDULE, False),
}
INSURANCE_CONTRACT = {
    "mchid": ("str", True),
    "contract_id": ("str", True),
    "appid": ("str", True),
    "plan_id": ("int", True),
    "out_contract_code": ("str", True),
    "insured_display_name": ("str", False),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_expired_time": ("str", False),
    "contract_terminate_info": (TERMINATE_INFO, False),
    "openid": ("str", True),
    "out_user_code": ("str", False),
}
COMBINE_OUT = {"mchid": ("str", True), "plan_id": ("int", True), "out_contract_code": ("str", True)}
CREDIT_CONTRACT_INFO = {
    "contract_id": ("str", True),
    "plan_id": ("str_coerce", True),
    "out_contract_code": ("str", True),
    "display_name": ("str", True),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_terminated_time": ("str", False),
    # newer pages spell it contract_terminated_mode, older ones contract_termination_mode
    # (docs/query-endpoints.md §1.7): both are read, the output says contract_terminated_mode
    "contract_terminated_mode": ("str", False, ("contract_termination_mode",)),
    "contract_termination_remark": ("str", False),
    "repayment_day": ("int", False),
    "openid": ("str", False),
    "appid": ("str", False),
    "repayment_amount_limit": ("int_coerce", True),
}
CREDIT_OUT = {"contract_info": (CREDIT_CONTRACT_INFO, False)}
TRANSFER_AUTHORIZATION = {
    "out_authorization_no": ("str", True),
    "appid": ("str", True),
    "openid": ("str", True),
    "user_display_name": ("str", True),
    "authorization_id": ("str", False),
    "state": ("str", True),
    "authorize_time": ("str", False),
    "close_info": ({"close_time": ("str", True), "close_reason": ("str", True)}, False),
    "transfer_scene_id": ("str_coerce", False),  # e.g. 1005 or "1005"; output a string
    "user_recv_perception": ("str", False),
    "create_time": ("str", False),
}
WEBIZPAY_OUT = {
    "sp_mchid": ("str", True),
    "sub_mchid": ("str", True),
    "user_id": ("str", True),
    "authorization_state": ("str", True),
    "authorization_revoked_time": ("str", True),
    "reason": ("str", True),
}

# --- query outputs (docs/query-endpoints.md; required flags as in the typed result models, which
#     keep a field the docs mark required optional where sources disagree or a state omits it) ---
# 解约信息 as the password-exempt and combine-papay queries return it: the time is optional there.
QUERY_TERMINATE_INFO = {
    "contract_termination_mode": ("str", True),
    "contract_terminated_time": ("str", False),
    "contract_termination_remark": ("str", False),
}
PASSWORD_EXEMPT_DETAILS = {  # §1.6
    "mchid": ("str", True),
    "contract_id": ("str", True),
    "appid": ("str", True),
    "openid": ("str", True),
    "sub_appid": ("str", False),
    "sub_openid": ("str", False),
    "service_id": ("int", True),
    "out_contract_code": ("str", True),
    "contract_display_account": ("str", False),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_terminate_info": (QUERY_TERMINATE_INFO, False),
}
COMBINE_DETAILS = {  # §1.4
    "mchid": ("str", True),
    "contract_id": ("str", True),
    "appid": ("str", True),
    "plan_id": ("int", True),
    "out_contract_code": ("str", True),
    "contract_display_account": ("str", False),
    "contract_state": ("str", True),
    "contract_signed_time": ("str", False),
    "contract_expired_time": ("str", False),
    "contract_terminate_info": (QUERY_TERMINATE_INFO, False),
    "openid": ("str", False),
}
GLOBAL_PAPAY_CONTRACT = {  # §1.5: no field marked required; plan_id an int (read as number or string)
    "mchid": ("str", False),
    "appid": ("str", False),
    "sp_mchid": ("str", False),
    "sub_mchid": ("str", False),
    "sp_appid": ("str", False),
    "sub_appid": ("str", False),
    "contract_id": ("str", False),
    "plan_id": ("str_coerce", False),
    "out_contract_code": ("str", False),
    "user_display_name": ("str", False),
    "state": ("str", False),
    "signed_time": ("str", False),
    "terminated_time": ("str", False),
    "termination_mode": ("str", False),
    "termination_note": ("str", False),
    "openid": ("str", False),
}
CONTRACT_INFORMATION = {"contract_id": ("str", True), "contract_status": ("str", True), "create_time": ("str", False)}
EDU_PAPAY_CONTRACT = {  # §2.1 A
    "sp_mchid": ("str", False),
    "appid": ("str", False),
    "sub_mchid": ("str", False),
    "sub_appid": ("str", False),
    "openid": ("str", False),
    "sub_openid": ("str", False),
    "plan_id": ("str_coerce", False),
    "contract_information": (CONTRACT_INFORMATION, True),
}
EDUSCHOOLPAY_CONTRACT = {  # §2.2 A
    "contract_id": ("str", True),
    "mchid": ("str", False),
    "appid": ("str", False),
    "openid": ("str", False),
    "plan_id": ("str_coerce", False),
    "contract_status": ("str", True),
    "create_time": ("str", False),
    "out_contract_code": ("str", False),
}
FACEPAY_USER = {  # §2.3: no required flags; the docs spell the user id `use_id`, `user_id` also read
    "use_id": ("str", False, ("user_id",)),
    "out_user_id": ("str", False),
    "organization_id": ("str", False),
    "user_name": ("str", False),
    "user_type": ("str", False),
    "status": ("str", False),
    "contract_state": ("str", False),
    "face_image_ok": ("bool", False),
    "contract_id": ("str", False),
}
PAYSCORE_PERMISSION = {  # §3.1–3.5
    "service_id": ("str_coerce", True),
    "appid": ("str", False),
    "mchid": ("str", False),
    "sub_mchid": ("str", False),
    "sub_appid": ("str", False),
    "openid": ("str", False),
    "sub_openid": ("str", False),
    "authorization_code": ("str", False),
    "authorization_state": ("str", True),
    "notify_url": ("str", False),
    "cancel_authorization_time": ("str", False),
    "authorization_success_time": ("str", False),
    "channel_id": ("str", False),
}
PAYSCORE_USER_SERVICE_STATE = {  # §3.6
    "appid": ("str", True),
    "service_id": ("str_coerce", True),
    "openid": ("str", False),
    "use_service_state": ("str", True),
}
WEBIZPAY_EMPLOYEE_AUTHORIZATION = {  # §3.8 employee_list[]
    "employee_id": ("str", True),
    "authorization_state": ("str", True),
    "authorization_time": ("str", False),
    "authorization_revoked_time": ("str", False),  # documented required, but an AUTHORIZED entry has none
}
WEBIZPAY_EMPLOYEE_AUTHORIZATIONS = {
    "sp_mchid": ("str", True),
    "sub_mchid": ("str", True),
    "user_id": ("str", True),
    # not marked required; no vector sends a body without it (the model reads an absent list as [])
    "employee_list": ([WEBIZPAY_EMPLOYEE_AUTHORIZATION], False),
}

REMARK256 = lambda: body("contract_termination_remark", True, 256)  # noqa: E731

CATALOG = {
    op.id: op
    for op in [
        Op("terminate_eduschoolpay_contract", "POST", "/v3/eduschoolpay/contracts/{contract_id}/terminate",
           [path_s("contract_id", 32)], 204),
        Op("terminate_password_exempt_contract", "POST",
           "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate",
           [path_i("service_id"), path_s("out_contract_code", 32, alnum=True), REMARK256()], 200, PASSWORD_EXEMPT_OUT),
        Op("terminate_papay_contract", "POST",
           "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
           [path_i("plan_id"), path_s("out_contract_code", 32), REMARK256()], 200, PAPAY_CONTRACT),
        Op("terminate_papay_partner_contract", "POST",
           "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
           [path_i("plan_id"), path_s("out_contract_code", 32), body("sub_mchid"), REMARK256()], 200,
           PAPAY_PARTNER_CONTRACT),
        Op("terminate_papay_insurance_contract", "POST",
           "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
           [path_i("plan_id"), path_s("out_contract_code", 32), REMARK256()], 200, INSURANCE_CONTRACT),
        Op("terminate_combine_papay_contract", "POST",
           "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
           [path_i("plan_id"), path_s("out_contract_code", 32), REMARK256()], 200, COMBINE_OUT),
        Op("terminate_credit_repayment_contract", "POST", "/v3/credit-repayment/partner/contracts/terminate",
           [body("out_contract_code", True, 32, alnum=True), body("contract_termination_remark", True, 128)], 200,
           CREDIT_OUT),
        Op("terminate_global_papay_contract", "POST", "/v3/global/papay/contracts/{contract_id}/terminate",
           [path_s("contract_id", 64), body("appid", False, 32), body("sp_appid", False, 32), body("sub_mchid", False, 32),
            body("sub_appid", False, 32), body("termination_note", False, 256)], 204, host="global"),
        Op("terminate_edu_papay_contract", "DELETE", "/v3/edu-papay/contracts/{contract_id}",
           [path_s("contract_id", 32)], 204),
        Op("terminate_facepay_user_contract", "POST",
           "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
           [path_s("organization_id"), path_s("user_id")], 204),
        Op("terminate_payscore_permission_by_authorization_code", "POST",
           "/v3/payscore/permissions/authorization-code/{authorization_code}/terminate",
           [path_s("authorization_code", 32), body("service_id", True, 32), body("reason", True, 50)], 204),
        Op("terminate_payscore_permission_by_openid", "POST", "/v3/payscore/permissions/openid/{openid}/terminate",
           [path_s("openid", 128), body("service_id", True, 32), body("appid", True, 32), body("reason", True, 50)], 204),
        Op("terminate_payscore_partner_permission_by_authorization_code", "POST",
           "/v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate",
           [path_s("authorization_code", 32), body("service_id", True, 32), body("sub_mchid", True, 32),
            body("reason", True, 50)], 204),
        Op("terminate_payscore_partner_permission", "POST", "/v3/payscore/partner/permissions/terminate",
           [body("service_id", True, 32), body("appid", True, 32), body("sub_mchid", True, 32), body("reason", True, 50),
            body("openid", False, 128), body("sub_openid", False, 128), body("sub_appid", False, 32)], 204),
        Op("terminate_payscore_acquiringbank_permission", "POST",
           "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate",
           [path_s("authorization_code", 32), body("service_id", True, 32), body("sub_mchid", True, 32),
            body("reason", True, 50), body("channel_id", True, 32)], 204),  # channel_id: 必填 on 4012461012
        Op("terminate_payscore_user_permission", "POST", "/v3/payscore/users/{openid}/permissions/{service_id}/terminate",
           [path_s("openid"), path_s("service_id"), body("appid"), body("reason")], 204),
        Op("close_transfer_authorization", "POST",
           "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}/close",
           [path_s("out_authorization_no", 32)], 200, TRANSFER_AUTHORIZATION),
        Op("close_transfer_partner_authorization", "POST",
           "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}/close",
           [path_s("out_authorization_no", 32)], 200, TRANSFER_AUTHORIZATION),
        Op("revoke_webizpay_employee", "POST", "/v3/webizpay/employees/{employee_id}/revoke",
           [path_s("employee_id", 64), body("sp_mchid", True, 32), body("sub_mchid", True, 32)], 200, WEBIZPAY_OUT),
        # --- queries: GET, no body, 200 + JSON (docs/query-endpoints.md, section in each comment) ---
        Op("query_eduschoolpay_contract", "GET", "/v3/eduschoolpay/contracts/{contract_id}",  # §2.2 A
           [path_s("contract_id", 32)], 200, EDUSCHOOLPAY_CONTRACT),
        Op("query_password_exempt_contract", "GET",  # §1.6
           "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}",
           [path_i("service_id"), path_s("out_contract_code", 32, alnum=True)], 200, PASSWORD_EXEMPT_DETAILS),
        Op("query_papay_contract", "GET",  # §1.1
           "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
           [path_i("plan_id"), path_s("out_contract_code", 32)], 200, PAPAY_CONTRACT),
        Op("query_papay_partner_contract", "GET",  # §1.2: sub_mchid in the query (terminate has it in the body)
           "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
           [path_i("plan_id"), path_s("out_contract_code", 32), query_s("sub_mchid", True, 32)], 200,
           PAPAY_PARTNER_CONTRACT),
        Op("query_papay_insurance_contract", "GET",  # §1.3
           "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
           [path_i("plan_id"), path_s("out_contract_code", 32)], 200, INSURANCE_CONTRACT),
        Op("query_combine_papay_contract", "GET",  # §1.4
           "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
           [path_i("plan_id"), path_s("out_contract_code", 32)], 200, COMBINE_DETAILS),
        Op("query_credit_repayment_contract", "GET", "/v3/credit-repayment/partner/contracts/{out_contract_code}",  # §1.7
           [path_s("out_contract_code", 32, alnum=True)], 200, CREDIT_CONTRACT_INFO),
        Op("query_global_papay_contract", "GET", "/v3/global/papay/contracts/{contract_id}",  # §1.5 A
           [path_s("contract_id", 64), query_s("appid", False, 32), query_s("sub_mchid", False, 32),
            query_s("sp_appid", False, 32), query_s("sub_appid", False, 32)], 200, GLOBAL_PAPAY_CONTRACT,
           host="global"),
        Op("query_edu_papay_contract", "GET", "/v3/edu-papay/contracts/id/{contract_id}",  # §2.1 A
           [path_s("contract_id", 32), query_s("appid", True, 32), query_s("sub_mchid", False, 32),
            query_s("sub_appid", False, 32)], 200, EDU_PAPAY_CONTRACT),
        Op("query_facepay_user", "GET",  # §2.3: keyed by out_user_id
           "/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}",
           [path_s("organization_id"), path_s("out_user_id")], 200, FACEPAY_USER),
        Op("query_payscore_permission_by_authorization_code", "GET",  # §3.1
           "/v3/payscore/permissions/authorization-code/{authorization_code}",
           [path_s("authorization_code", 32), query_s("service_id", True, 32)], 200, PAYSCORE_PERMISSION),
        Op("query_payscore_permission_by_openid", "GET", "/v3/payscore/permissions/openid/{openid}",  # §3.2
           [path_s("openid"), query_s("service_id"), query_s("appid")], 200, PAYSCORE_PERMISSION),
        Op("query_payscore_partner_permission_by_authorization_code", "GET",  # §3.3
           "/v3/payscore/partner/permissions/authorization-code/{authorization_code}",
           [path_s("authorization_code", 32), query_s("service_id", True, 32), query_s("sub_mchid", True, 32)], 200,
           PAYSCORE_PERMISSION),
        Op("query_payscore_partner_permission", "GET", "/v3/payscore/partner/permissions/search",  # §3.4
           [query_s("service_id"), query_s("appid"), query_s("sub_mchid"), query_s("sub_appid", False),
            query_s("openid", False), query_s("sub_openid", False)], 200, PAYSCORE_PERMISSION),
        Op("query_payscore_acquiringbank_permission", "GET",  # §3.5: channel_id required here
           "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}",
           [path_s("authorization_code", 32), query_s("service_id", True, 32), query_s("channel_id", True, 32),
            query_s("sub_mchid", True, 32)], 200, PAYSCORE_PERMISSION),
        Op("query_payscore_user_service_state", "GET", "/v3/payscore/user-service-state",  # §3.6
           [query_s("appid"), query_s("service_id"), query_s("openid")], 200, PAYSCORE_USER_SERVICE_STATE),
        Op("query_transfer_authorization", "GET",  # §3.7 direct
           "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}",
           [path_s("out_authorization_no", 32)], 200, TRANSFER_AUTHORIZATION),
        Op("query_transfer_partner_authorization", "GET",  # §3.7 partner
           "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}",
           [path_s("out_authorization_no", 32)], 200, TRANSFER_AUTHORIZATION),
        Op("query_webizpay_employee_authorization", "GET", "/v3/webizpay/users/{user_id}/authorization-state",  # §3.8
           [path_s("user_id", 32), query_s("sp_mchid", True, 32), query_s("sub_mchid", True, 32)], 200,
           WEBIZPAY_EMPLOYEE_AUTHORIZATIONS),
    ]
}
check(len(CATALOG) == 38, "catalog must have 19 termination and 19 query operations")
QUERY_OPS = [op_id for op_id in CATALOG if op_id.startswith("query_")]
check(len(QUERY_OPS) == 19, "19 query operations")
for _id in QUERY_OPS:
    _q = CATALOG[_id]
    check(_q.method == "GET" and not _q.body_params and _q.success == 200 and _q.output is not None,
          f"{_id}: a query is a GET without a body answered 200 + JSON")
for _op in CATALOG.values():
    _vars = re.findall(r"\{([a-z_]+)\}", _op.path)
    check(_vars == [p.name for p in _op.params if p.loc == "path"], f"{_op.id}: path vars vs params")


# ---------------------------------------------------------------------------
# Reference model: request building
# ---------------------------------------------------------------------------


def has_non_bmp(s: str) -> bool:
    return any(ord(c) > 0xFFFF for c in s)


def has_ws_or_ctrl(s: str) -> bool:
    return any(c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in s)


def validate_value(p: P, v) -> None:
    if p.kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidInput(p.name, "not an integer")
        if v < 0:
            raise InvalidInput(p.name, "negative")
        return
    if not isinstance(v, str):
        raise InvalidInput(p.name, "not a string")
    if has_non_bmp(v):
        raise InvalidInput(p.name, "character outside the BMP")
    if p.loc in ("path", "query"):
        if v == "":
            raise InvalidInput(p.name, f"empty {p.loc} parameter")
        if has_ws_or_ctrl(v):
            raise InvalidInput(p.name, f"whitespace/control character in {p.loc} parameter")
    if p.max_len is not None and len(v) > p.max_len:
        raise InvalidInput(p.name, f"longer than {p.max_len}")
    if p.alnum and not re.fullmatch(r"[A-Za-z0-9]*", v):
        raise InvalidInput(p.name, "not ASCII alphanumeric")


def validate_ts_nonce(ts, nonce) -> None:
    if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
        raise InvalidInput("timestamp", "not a non-negative integer")
    if not isinstance(nonce, str) or nonce == "" or has_ws_or_ctrl(nonce) or has_non_bmp(nonce) or '"' in nonce:
        raise InvalidInput("nonce", "empty or contains whitespace/control/quote")


def request_expect(client_name: str, method: str, url: str, body_str: str | None, ts: int, nonce: str, keys: KeySet):
    c = CLIENTS[client_name]
    parts = urllib.parse.urlsplit(url)
    canonical = parts.path + (("?" + parts.query) if parts.query else "")
    msg = f"{method}\n{canonical}\n{ts}\n{nonce}\n{body_str if body_str is not None else ''}\n"
    key = keys.private_by_file[c["private_key"]]
    sig = sign_checked(key, msg.encode("utf-8"))
    authz = (
        f'{AUTH_SCHEME} mchid="{c["mchid"]}",nonce_str="{nonce}",signature="{sig}",'
        f'timestamp="{ts}",serial_no="{c["serial_no"]}"'
    )
    headers = {"Accept": "application/json", "Authorization": authz}
    absent = []
    if body_str is not None:
        headers["Content-Type"] = "application/json"
    else:
        absent.append("Content-Type")
    if c["wechatpay_public_key_id"]:
        headers["Wechatpay-Serial"] = c["wechatpay_public_key_id"]
    else:
        absent.append("Wechatpay-Serial")
    return {
        "string_to_sign": msg,
        "signature": sig,
        "authorization": authz,
        "request": {
            "method": method,
            "url": url,
            "headers": headers,
            "absent_headers": absent,
            "user_agent_prefix": USER_AGENT_PREFIX,
            "body": body_str,
        },
    }


def build_request(client_name: str, op_id: str, params: dict, ts, nonce, keys: KeySet):
    op = CATALOG.get(op_id)
    if op is None:
        raise InvalidInput("operation", "unknown operation")
    known = {p.name for p in op.params}
    for name in params:
        if name not in known:
            raise InvalidInput(name, "unknown parameter")
    for p in op.params:
        if p.name not in params or params[p.name] is None:
            if p.required:
                raise InvalidInput(p.name, "missing")
            continue
        validate_value(p, params[p.name])
        if p.loc == "path" and p.kind == "str" and is_dot_segment(params[p.name]):
            raise InvalidInput(p.name, "a path value that is a dot segment")
    validate_ts_nonce(ts, nonce)
    c = CLIENTS[client_name]
    base = (c["global_base_url"] or DEFAULT_GLOBAL_BASE_URL) if op.host == "global" else (c["base_url"] or DEFAULT_BASE_URL)
    path = re.sub(r"\{([a-z_]+)\}", lambda m: quote(str(params[m.group(1)])), op.path)
    # query parameters: declaration order, encoded like path values, absent optional ones left out;
    # request_expect signs path + '?' + query
    pairs = [f"{quote(p.name)}={quote(params[p.name])}" for p in op.query_params if params.get(p.name) is not None]
    query = ("?" + "&".join(pairs)) if pairs else ""
    body_str = None
    if op.body_params:
        obj = {p.name: params[p.name] for p in op.body_params if params.get(p.name) is not None}
        body_str = compact(obj)
    return request_expect(client_name, op.method, base + path + query, body_str, ts, nonce, keys)


# The only origins an absolute generic template may name besides the client's own base URLs.
WECHATPAY_ORIGINS = ("https://api.mch.weixin.qq.com", "https://api2.mch.weixin.qq.com", "https://apihk.mch.weixin.qq.com")


def is_dot_segment(segment: str) -> bool:
    """`.` or `..`, also spelt with %2e / %2E (WHATWG URL parsers resolve all of them away)."""
    return re.sub("%2e", ".", segment, flags=re.IGNORECASE) in (".", "..")


def allowed_origins(client_name: str) -> set[str]:
    c = CLIENTS[client_name]
    return {o.lower() for o in (*WECHATPAY_ORIGINS, c["base_url"] or DEFAULT_BASE_URL,
                                c["global_base_url"] or DEFAULT_GLOBAL_BASE_URL)}


def build_generic(client_name: str, method: str, template: str, path_params: dict, query: list, jsonobj, ts, nonce, keys):
    origin = None
    # RFC 3986 §3.1: the scheme is case-insensitive, so HTTPS:// is absolute too.
    m = re.match(r"^(https?://[^/]*)(/.*)$", template, flags=re.IGNORECASE)
    if m:
        origin, template = m.group(1), m.group(2)
        # the scheme is sent in lower case, the host as written
        scheme, rest = origin.split("://", 1)
        origin = scheme.lower() + "://" + rest
        # scheme and host compared case-insensitively, nothing else normalised (no default port)
        if origin.lower() not in allowed_origins(client_name):
            raise InvalidInput("template", "absolute URL names a host that is neither WeChat Pay nor configured")
    elif not template.startswith("/") and ":" in re.split(r"[/?]", template, maxsplit=1)[0]:
        # RFC 3986 §4.2: a relative reference has no ':' in its first segment (ftp://…, mailto:…).
        raise InvalidInput("template", "a URL with another scheme")
    names = re.findall(r"\{([^{}]+)\}", template)
    for n in names:
        if n not in path_params:
            raise InvalidInput(n, "template variable without a value")
    for n, v in path_params.items():
        if n not in names:
            raise InvalidInput(n, "path parameter not in the template")
        validate_value(path_s(n), v)
        if is_dot_segment(v):
            raise InvalidInput(n, "a path value that is a dot segment")
    validate_ts_nonce(ts, nonce)
    path = re.sub(r"\{([^{}]+)\}", lambda m: quote(path_params[m.group(1)]), template)
    if not path.startswith("/"):
        path = "/" + path
    if any(is_dot_segment(seg) for seg in path.split("/")):
        raise InvalidInput("template", "the path holds a dot segment")
    if origin is not None:
        url = origin + path
    else:
        c = CLIENTS[client_name]
        url = (c["base_url"] or DEFAULT_BASE_URL) + path
    if query:
        url += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    body_str = None if jsonobj is None else compact(jsonobj)
    return request_expect(client_name, method, url, body_str, ts, nonce, keys)


# ---------------------------------------------------------------------------
# Reference model: response processing
# ---------------------------------------------------------------------------


class Outcome(Exception):
    def __init__(self, kind: str, **kw):
        super().__init__(kind)
        self.kind, self.kw = kind, kw


def project(schema: dict, obj, where: str = ""):
    if not isinstance(obj, dict):
        raise Outcome("decode", why=f"{where or 'body'} is not an object")
    out = {}
    for name, spec in schema.items():
        typ, required = spec[0], spec[1]
        aliases = spec[2] if len(spec) > 2 else ()
        if name == "total" and schema is AMOUNT:
            aliases = ("amount",)
        present = [k for k in (name, *aliases) if k in obj]
        if len(present) > 1:
            raise Outcome("decode", why=f"{where}/{name} given twice ({present})")
        if not present:
            if required:
                raise Outcome("decode", why=f"missing {where}/{name}")
            continue
        v = obj[present[0]]
        if isinstance(typ, dict):
            out[name] = project(typ, v, f"{where}/{name}")
        elif isinstance(typ, list):
            if not isinstance(v, list):
                raise Outcome("decode", why=f"{where}/{name} not an array")
            out[name] = [project(typ[0], x, f"{where}/{name}[{i}]") for i, x in enumerate(v)]
        elif typ == "bool":
            if not isinstance(v, bool):
                raise Outcome("decode", why=f"{where}/{name} not a boolean")
            out[name] = v
        elif typ == "str":
            if not isinstance(v, str):
                raise Outcome("decode", why=f"{where}/{name} not a string")
            out[name] = v
        elif typ == "int":
            if isinstance(v, bool) or not isinstance(v, int):
                raise Outcome("decode", why=f"{where}/{name} not an integer")
            out[name] = v
        elif typ == "str_coerce":
            if isinstance(v, str):
                out[name] = v
            elif isinstance(v, int) and not isinstance(v, bool):
                out[name] = str(v)
            else:
                raise Outcome("decode", why=f"{where}/{name}")
        elif typ == "int_coerce":
            if isinstance(v, int) and not isinstance(v, bool):
                out[name] = v
            elif isinstance(v, str) and re.fullmatch(r"[0-9]+", v):
                out[name] = int(v)
            else:
                raise Outcome("decode", why=f"{where}/{name}")
        else:
            raise AssertionError(typ)
    return out


# Headers that carry WeChat Pay's proof: one sent twice with two different values is ambiguous
# (which one was signed?), so the message is rejected as invalid_signature.  Identical repeats are
# harmless, and Request-ID is informational (the first one is reported).
PROOF_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial",
                 "wechatpay-signature-type")


def check_no_conflicting_headers(headers: list) -> None:
    first: dict[str, str] = {}
    for k, v in headers:
        k = k.lower()
        if k in PROOF_HEADERS and first.setdefault(k, v) != v:
            raise Outcome("invalid_signature", why=f"two different {k} headers")


def process_response(client_name: str, op_id: str | None, now: int, status: int, headers: list, body_bytes: bytes, keys: KeySet):
    hmap = {}
    for k, v in headers:
        hmap.setdefault(k.lower(), v)
    request_id = hmap.get("request-id")
    if not 200 <= status <= 299:
        code = message = detail = None
        try:
            obj = json.loads(body_bytes.decode("utf-8"))
            if isinstance(obj, dict):
                code = obj.get("code") if isinstance(obj.get("code"), str) else None
                message = obj.get("message") if isinstance(obj.get("message"), str) else None
                detail = obj.get("detail")
        except (UnicodeDecodeError, ValueError):
            pass
        raise Outcome("api", status=status, code=code, message=message, request_id=request_id,
                      retryable=status >= 500 or status == 429, detail=detail)
    check_no_conflicting_headers(headers)
    for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"):
        if h not in hmap:
            raise Outcome("unsigned_response")
    ts_s, nonce, sig, serial = (hmap[h] for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"))
    if not re.fullmatch(r"[0-9]+", ts_s):
        raise Outcome("invalid_signature")
    if sig.startswith("WECHATPAY/SIGNTEST/"):
        raise Outcome("signature_probe")
    sig_type = hmap.get("wechatpay-signature-type")
    if sig_type is not None and sig_type != SIGNATURE_TYPE:
        raise Outcome("invalid_signature", why="signature type")
    c = CLIENTS[client_name]
    pub = None
    # public key ids are matched exactly, certificate serials (hex) case-insensitively
    if c["wechatpay_public_key_id"] and serial == c["wechatpay_public_key_id"]:
        pub = keys.wxpub
    else:
        for f in c["platform_certificates"] or []:
            hexs = keys.cert_file_serial[f]
            if hexs.upper() == serial.upper():
                pub = keys.cert_pub[hexs]
    if pub is None:
        raise Outcome("unknown_serial")
    # the RSA check comes before the clock check: a forged response is invalid_signature, never clock_skew
    message = ts_s.encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n"
    if not verifies(pub, message, sig):
        raise Outcome("invalid_signature")
    if abs(now - int(ts_s)) > SKEW:
        raise Outcome("clock_skew")
    if op_id is None:
        if body_bytes == b"":
            return {"status": status, "request_id": request_id, "data": None}
        try:
            data = json.loads(body_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Outcome("decode")
        return {"status": status, "request_id": request_id, "data": data}
    op = CATALOG[op_id]
    if op.output is None:
        return {"status": status, "request_id": request_id, "data": None}
    try:
        obj = json.loads(body_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Outcome("decode")
    return {"status": status, "request_id": request_id, "data": project(op.output, obj)}


# ---------------------------------------------------------------------------
# Case writing
# ---------------------------------------------------------------------------

WRITTEN: dict[str, dict] = {}


def sort_rec(o):
    if isinstance(o, dict):
        return {k: sort_rec(o[k]) for k in sorted(o)}
    if isinstance(o, list):
        return [sort_rec(x) for x in o]
    return o


def emit(group: str, name: str, case: dict) -> None:
    rel = f"{group}/{name}.json"
    check(rel not in WRITTEN, f"duplicate case {rel}")
    check(re.fullmatch(r"[a-z0-9_]+", name) is not None, f"bad case name {name}")
    check(case.get("type") == group, f"{rel}: type {case.get('type')} != group")
    check(bool(case.get("description")) and bool(case.get("source")), f"{rel}: description/source")
    out = sort_rec(case)
    if "json" in case:
        # The generic JSON body is serialised in the key order given; keep it as written.
        out["json"] = case["json"]
    WRITTEN[rel] = out


def flush() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    for rel in sorted(WRITTEN):
        p = CASES / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(WRITTEN[rel], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    CLIENTS_JSON.write_text(json.dumps(sort_rec(CLIENTS), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------
# signing cases
# ---------------------------------------------------------------------------


def gen_signing(keys: KeySet) -> None:
    def components_case(name, desc, source, key_file, method, url, ts, nonce, body_s, published=None):
        msg = f"{method}\n{url}\n{ts}\n{nonce}\n{body_s}\n"
        sig = sign_checked(keys.private_by_file[key_file], msg.encode("utf-8"))
        if published is not None:
            check(sig == published, f"{name}: signature differs from the published value")
        emit("signing", name, {
            "type": "signing", "description": desc, "source": source, "key": key_file,
            "method": method, "canonical_url": url, "timestamp": ts, "nonce": nonce, "body": body_s,
            "expect": {"string_to_sign": msg, "signature": sig},
        })

    def message_case(name, desc, source, key_file, message, published=None, verify_with=None):
        sig = sign_checked(keys.private_by_file[key_file], message.encode("utf-8"))
        if published is not None:
            check(sig == published, f"{name}: signature differs from the published value")
        if verify_with is not None:
            check(verifies(verify_with, message.encode("utf-8"), sig), f"{name}: public key")
        emit("signing", name, {
            "type": "signing", "description": desc, "source": source, "key": key_file,
            "message": message, "expect": {"signature": sig},
        })

    components_case(
        "v1a_doc_get_refund",
        "V1a: official doc GET /v3/refund/domestic/refunds/123123123123 with an empty body (message ends in \\n\\n), "
        "official test key (PKCS#8); must equal the published signature.",
        SRC_V1A, "merchant_doc_pkcs8.pem", "GET", "/v3/refund/domestic/refunds/123123123123", V1_TS, V1_NONCE, "",
        published=V1A_SIGNATURE)
    components_case(
        "v1b_doc_post_jsapi",
        "V1b: official doc POST /v3/pay/transactions/jsapi with a JSON body containing multi-byte UTF-8 "
        "(形象店/深圳腾大/公仔), official test key; must equal the reference value.",
        SRC_V1B, "merchant_doc_pkcs8.pem", "POST", "/v3/pay/transactions/jsapi", V1_TS, V1_NONCE, V1B_BODY,
        published=V1B_SIGNATURE)
    message_case(
        "v2_go_source",
        "V2: wechatpay-go signer test, raw message = the 6 bytes 'source' (no newline), wechatpay-go test key "
        "(header TESTING KEY changed to PRIVATE KEY); must equal the published signature.",
        SRC_V2, "merchant_go_pkcs8.pem", "source", published=V2_SIGNATURE,
        verify_with=serialization.load_pem_public_key(GO_PUBLIC_KEY.encode()))
    message_case(
        "wechatpay_public_key_response_message",
        "Response-style 3-line message (ts\\nnonce\\nbody\\n) signed with the suite's WeChat Pay public-key test "
        "private half (wechatpay_public_key.private.pem); verifies with wechatpay_public_key.pem.",
        ORACLE, "wechatpay_public_key.private.pem",
        '1700000000\nEcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz\n{"mchid":"1900007291","service_id":12535,"out_contract_code":"wxwtdk20200910100000"}\n',
        verify_with=keys.wxpub)
    message_case(
        "platform_cert_b_empty_body_message",
        "204-style message with an empty body (ts\\nnonce\\n\\n) signed with platform certificate B's test private key "
        "(serial with the top bit set); verifies with platform_cert_b.pem's public key.",
        ORACLE, "platform_cert_b.private.pem", "1700000000\nA1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6\n\n",
        verify_with=keys.cert_pub[CERT_B_HEX])
    components_case(
        "pkcs1_doc_key_post_body",
        "Same doc key re-encoded as PKCS#1 (merchant_doc_pkcs1.pem) signing a terminate POST with a CJK body; "
        "PKCS#1 and PKCS#8 encodings of one key give the same signature.",
        ORACLE, "merchant_doc_pkcs1.pem", "POST",
        "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate",
        1700000000, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", '{"contract_termination_remark":"用户解约"}')
    # the PKCS#1 and PKCS#8 forms must sign identically
    m = b"POST\n/x\n1\nn\n\n"
    check(sign(keys.private_by_file["merchant_doc_pkcs1.pem"], m) == sign(keys.doc, m), "pkcs1 vs pkcs8 signature")


# ---------------------------------------------------------------------------
# request cases
# ---------------------------------------------------------------------------

REMARK = "用户解约"
OCC = "wxwtdk20200910100000"
CONTRACT_ID = "2045011120563805041758214605"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
APPID = "wxd678efh567hg6787"
SUB_APPID = "wx8888888888888888"
SUB_MCHID = "1900000109"
SP_MCHID = "1230000109"
SERVICE_ID = "500001"
AUTH_CODE = "1234323JKHDFE1243252"
CJK256 = ("用户主动申请解除委托代扣协议" * 19)[:256]
check(len(CJK256) == 256 and len(CJK256.encode()) == 768, "CJK256")

# (name, client, operation, params, description)
REQUESTS = [
    ("eduschoolpay_doc_pubkey", "doc_pubkey", "terminate_eduschoolpay_contract",
     {"contract_id": CONTRACT_ID},
     "eduschoolpay terminate: POST without a body (signed body line empty, no Content-Type), public-key client sends Wechatpay-Serial."),
    ("password_exempt_doc_pubkey", "doc_pubkey", "terminate_password_exempt_contract",
     {"service_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK},
     "password-exempt terminate: integer service_id in the path, CJK remark in the body."),
    ("papay_go_platform", "go_platform", "terminate_papay_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK},
     "papay terminate on the platform-certificate client: backup host api2 (base_url), no Wechatpay-Serial header."),
    ("papay_migration", "migration", "terminate_papay_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK},
     "Same papay operation on the migration client: base_url override http://127.0.0.1:8080, PKCS#1 key, "
     "Wechatpay-Serial = public key id (the merchant asks for public-key-signed responses)."),
    ("papay_partner_go_platform", "go_platform", "terminate_papay_partner_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "sub_mchid": SUB_MCHID, "contract_termination_remark": REMARK},
     "papay partner terminate: body fields in catalog order (sub_mchid before contract_termination_remark)."),
    ("papay_insurance_migration", "migration", "terminate_papay_insurance_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK},
     "papay insurance terminate on the migration client."),
    ("combine_papay_doc_pubkey", "doc_pubkey", "terminate_combine_papay_contract",
     {"plan_id": 0, "out_contract_code": "combine20240101000001", "contract_termination_remark": REMARK},
     "ecommerce combine-papay terminate; plan_id 0 is a valid non-negative integer."),
    ("credit_repayment_go_platform", "go_platform", "terminate_credit_repayment_contract",
     {"out_contract_code": "100001256", "contract_termination_remark": REMARK},
     "credit-repayment terminate: no path params, both fields in the body (out_contract_code first)."),
    ("global_papay_all_optional_doc_pubkey", "doc_pubkey", "terminate_global_papay_contract",
     {"contract_id": "201710180325670965", "appid": APPID, "sp_appid": "wxdace645e0bc2cXXX", "sub_mchid": SUB_MCHID,
      "sub_appid": SUB_APPID, "termination_note": "用户申请解约"},
     "global papay terminate with every optional body field: host apihk.mch.weixin.qq.com (default global_base_url), "
     "fields in catalog order appid, sp_appid, sub_mchid, sub_appid, termination_note."),
    ("global_papay_no_optional_go_platform", "go_platform", "terminate_global_papay_contract",
     {"contract_id": "201710180325670965"},
     "global papay terminate with no optional field: body is exactly {} with Content-Type; the client's base_url "
     "(api2) does not affect the global host (default apihk)."),
    ("global_papay_migration", "migration", "terminate_global_papay_contract",
     {"contract_id": "201710180325670965", "appid": APPID, "termination_note": "用户申请解约"},
     "global papay terminate on the migration client: global_base_url override http://127.0.0.1:8080."),
    ("edu_papay_delete_migration", "migration", "terminate_edu_papay_contract",
     {"contract_id": "wx2020010112000000000000000000"},
     "edu-papay terminate is a DELETE without a body."),
    ("edu_papay_delete_go_platform", "go_platform", "terminate_edu_papay_contract",
     {"contract_id": CONTRACT_ID},
     "edu-papay DELETE on the platform-certificate client."),
    ("facepay_doc_pubkey", "doc_pubkey", "terminate_facepay_user_contract",
     {"organization_id": "12345678", "user_id": "o-0aHsx4xLb6GXHsiQfCDGKXtJN8"},
     "offlinefacemch user terminate: two path params, no body."),
    ("facepay_percent_encoding_go_platform", "go_platform", "terminate_facepay_user_contract",
     {"organization_id": "org?#1&=;", "user_id": "usr/αβ:AbC~._-%+中"},
     "Path values needing percent-encoding: reserved characters (/ ? # & = ; : % +) and UTF-8 (αβ 中) are "
     "percent-encoded with upper-case hex, unreserved ~._- kept, letters never case-folded (AbC); the canonical URL "
     "uses the encoded form."),
    ("payscore_by_authorization_code_doc_pubkey", "doc_pubkey", "terminate_payscore_permission_by_authorization_code",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "reason": "用户投诉"},
     "payscore permission terminate by authorization code (body service_id, reason)."),
    ("payscore_by_openid_go_platform", "go_platform", "terminate_payscore_permission_by_openid",
     {"openid": OPENID, "service_id": SERVICE_ID, "appid": APPID, "reason": "用户投诉"},
     "payscore permission terminate by openid."),
    ("payscore_partner_by_authorization_code_migration", "migration",
     "terminate_payscore_partner_permission_by_authorization_code",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "reason": "用户投诉"},
     "payscore partner permission terminate by authorization code."),
    ("payscore_partner_permission_all_fields_doc_pubkey", "doc_pubkey", "terminate_payscore_partner_permission",
     {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "reason": "用户投诉", "openid": OPENID,
      "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "sub_appid": SUB_APPID},
     "payscore partner permission terminate with all optional fields (catalog order)."),
    ("payscore_partner_permission_required_only_go_platform", "go_platform", "terminate_payscore_partner_permission",
     {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "reason": "用户投诉"},
     "payscore partner permission terminate with only the required fields (optional ones omitted, not null)."),
    ("payscore_acquiringbank_go_platform", "go_platform", "terminate_payscore_acquiringbank_permission",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "reason": "用户投诉",
      "channel_id": "1900009231"},
     "payscore acquiring-bank permission terminate incl. optional channel_id."),
    ("payscore_user_permission_doc_pubkey", "doc_pubkey", "terminate_payscore_user_permission",
     {"openid": OPENID, "service_id": SERVICE_ID, "appid": APPID, "reason": "用户投诉"},
     "older payscore users/{openid}/permissions/{service_id} terminate: openid and service_id are PATH params."),
    ("close_transfer_authorization_doc_pubkey", "doc_pubkey", "close_transfer_authorization",
     {"out_authorization_no": "plfk2020042013"},
     "mch-transfer authorization close (no body)."),
    ("close_transfer_partner_authorization_go_platform", "go_platform", "close_transfer_partner_authorization",
     {"out_authorization_no": "plfk2020042013"},
     "mch-transfer partner authorization close (no body)."),
    ("revoke_webizpay_employee_migration", "migration", "revoke_webizpay_employee",
     {"employee_id": "2000000000000000001", "sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID},
     "webizpay employee revoke (body sp_mchid, sub_mchid)."),
    ("remark_escaping_doc_pubkey", "doc_pubkey", "terminate_password_exempt_contract",
     {"service_id": 12535, "out_contract_code": OCC, "contract_termination_remark": '用户说"不要了"\\ 路径C:\\tmp\n第二行/ok'},
     "Remark with double quotes, backslashes, a newline and a slash: JSON-escaped as \\\" \\\\ \\n, '/' and CJK "
     "kept literally (ensure_ascii=False)."),
    ("remark_256_cjk_go_platform", "go_platform", "terminate_combine_papay_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": CJK256},
     "Remark of exactly 256 CJK characters (768 UTF-8 bytes, no 4-byte characters) is accepted: lengths count characters."),
    ("credit_remark_128_doc_pubkey", "doc_pubkey", "terminate_credit_repayment_contract",
     {"out_contract_code": "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6", "contract_termination_remark": CJK256[:128]},
     "credit-repayment boundary: out_contract_code of exactly 32 alphanumeric characters and a remark of exactly 128 characters."),
    ("papay_v1_timestamp_doc_pubkey", "doc_pubkey", "terminate_papay_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK},
     "papay terminate with the official doc timestamp and nonce (1554208460 / 593BEC0C…) on the public-key client."),
    # --- dots inside a segment are ordinary (only a whole `.`/`..` segment is refused) ---
    ("edu_papay_dots_inside_value_go_platform", "go_platform", "terminate_edu_papay_contract",
     {"contract_id": "a..b"},
     "contract_id 'a..b': dots inside a segment are ordinary (not a dot segment), '.' is unreserved and sent as is."),
    ("eduschoolpay_three_dots_doc_pubkey", "doc_pubkey", "terminate_eduschoolpay_contract",
     {"contract_id": "..."},
     "contract_id '...' (three dots) is not a dot segment: the path segment is sent as '...' unencoded."),
    # --- '/' in a path value is encoded, never a new segment ---
    ("close_transfer_authorization_slash_doc_pubkey", "doc_pubkey", "close_transfer_authorization",
     {"out_authorization_no": "a/b"},
     "out_authorization_no 'a/b': the '/' is percent-encoded as %2F, so the value stays one path segment."),
    ("edu_papay_slash_dot_dot_migration", "migration", "terminate_edu_papay_contract",
     {"contract_id": "a/.."},
     "contract_id 'a/..': the value is not a dot segment and its '/' is encoded, so the segment is 'a%2F..' (ordinary)."),
    # --- RFC 3986 reserved sub-delims and gen-delims in path values ---
    ("facepay_reserved_chars_doc_pubkey", "doc_pubkey", "terminate_facepay_user_contract",
     {"organization_id": "!$'()*,@[]", "user_id": "Ab+Cd=Ef;%2f%C3~._-"},
     "Path values with ! $ ' ( ) * , @ [ ] + = ; and a literal '%2f': everything but A-Z a-z 0-9 - . _ ~ is "
     "percent-encoded with upper-case hex (! → %21 … ] → %5D, + → %2B, % → %25), letters and the existing "
     "'%2f' text are never case-folded (→ %252f)."),
    ("payscore_user_permission_reserved_go_platform", "go_platform", "terminate_payscore_user_permission",
     {"openid": "o(x)*[y]@z", "service_id": "500,001!$'", "appid": APPID, "reason": "用户投诉"},
     "Two string path params (openid, service_id: no length or alnum limit) with reserved characters, each encoded "
     "with upper-case hex; the body is unaffected."),
    # --- queries: GET, no body (signed body line empty, no Content-Type); query params in declaration order ---
    ("query_eduschoolpay_contract_doc_pubkey", "doc_pubkey", "query_eduschoolpay_contract",
     {"contract_id": CONTRACT_ID},
     "eduschoolpay contract query (docs/query-endpoints.md §2.2): GET, no query, no body."),
    ("query_password_exempt_contract_go_platform", "go_platform", "query_password_exempt_contract",
     {"service_id": 12535, "out_contract_code": OCC},
     "password-exempt query by merchant code (§1.6): integer service_id in the path, api2 base URL."),
    ("query_papay_contract_migration", "migration", "query_papay_contract",
     {"plan_id": 12535, "out_contract_code": OCC},
     "papay query by merchant code (§1.1) on the migration client (http://127.0.0.1:8080)."),
    ("query_papay_partner_contract_doc_pubkey", "doc_pubkey", "query_papay_partner_contract",
     {"plan_id": 12535, "out_contract_code": OCC, "sub_mchid": SUB_MCHID},
     "papay partner query (§1.2): sub_mchid goes in the query string (the terminate sends it in the body); "
     "the URL is the official curl example …/out-contract-code/wxwtdk20200910100000?sub_mchid=1900000109."),
    ("query_papay_insurance_contract_go_platform", "go_platform", "query_papay_insurance_contract",
     {"plan_id": 10086, "out_contract_code": OCC},
     "papay insurance query (§1.3)."),
    ("query_combine_papay_contract_doc_pubkey", "doc_pubkey", "query_combine_papay_contract",
     {"plan_id": 12535, "out_contract_code": "combine20240101000001"},
     "combine-papay query (§1.4): no query parameters (sub_mchid is not used)."),
    ("query_credit_repayment_contract_go_platform", "go_platform", "query_credit_repayment_contract",
     {"out_contract_code": "100001256"},
     "credit-repayment query (§1.7): out_contract_code in the PATH (the terminate sends it in the body)."),
    ("query_global_papay_direct_doc_pubkey", "doc_pubkey", "query_global_papay_contract",
     {"contract_id": "100005698", "appid": "wxcbda96de0b165486"},
     "global papay query, direct mode (§1.5 A): host apihk; only appid is sent, the three absent optional query "
     "params are left out: …/contracts/100005698?appid=wxcbda96de0b165486 (the official example)."),
    ("query_global_papay_institution_go_platform", "go_platform", "query_global_papay_contract",
     {"contract_id": "100005698", "sub_mchid": "10000097", "sp_appid": "wxdace645e0bc2cXXX", "sub_appid": SUB_APPID},
     "global papay query, institution mode (§1.5 A): three query params in declaration order sub_mchid, sp_appid, "
     "sub_appid (not the alphabetical order of params), appid absent; the api2 base_url does not affect the host."),
    ("query_edu_papay_contract_migration", "migration", "query_edu_papay_contract",
     {"contract_id": "wx2020010112000000000000000000", "appid": APPID},
     "edu-papay query by contract id (§2.1 A), direct merchant: the required appid is sent, the optional "
     "sub_mchid and sub_appid are absent and left out."),
    ("query_edu_papay_contract_partner_doc_pubkey", "doc_pubkey", "query_edu_papay_contract",
     {"contract_id": "wx2020010112000000000000000000", "appid": APPID, "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID},
     "edu-papay query by contract id, partner: appid, sub_mchid, sub_appid in declaration order."),
    ("query_facepay_user_doc_pubkey", "doc_pubkey", "query_facepay_user",
     {"organization_id": "12345678", "out_user_id": "stu20200901001"},
     "face-pay user query (§2.3): keyed by the merchant's out_user_id, not the user_id terminate takes."),
    ("query_payscore_by_authorization_code_go_platform", "go_platform",
     "query_payscore_permission_by_authorization_code",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID},
     "pay-score direct query by authorization code (§3.1): ?service_id=500001."),
    ("query_payscore_by_openid_doc_pubkey", "doc_pubkey", "query_payscore_permission_by_openid",
     {"openid": OPENID, "service_id": SERVICE_ID, "appid": APPID},
     "pay-score direct query by openid (§3.2): service_id then appid (declaration order)."),
    ("query_payscore_partner_by_authorization_code_migration", "migration",
     "query_payscore_partner_permission_by_authorization_code",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID},
     "pay-score partner query by authorization code (§3.3): ?service_id=…&sub_mchid=…."),
    ("query_payscore_partner_search_go_platform", "go_platform", "query_payscore_partner_permission",
     {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID,
      "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p"},
     "pay-score partner search (§3.4): no path params, five query params in declaration order, openid absent."),
    ("query_payscore_partner_search_encoding_doc_pubkey", "doc_pubkey", "query_payscore_partner_permission",
     {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "openid": "o+Up/F8=u&M中文?#%2B"},
     "A query value needing percent-encoding (synthetic openid): '+' → %2B, '/' → %2F, '=' → %3D, '&' → %26, "
     "'?' → %3F, '#' → %23, a literal '%2B' → %252B, 中文 → UTF-8 %XX; the canonical URL is the encoded one."),
    ("query_payscore_acquiringbank_doc_pubkey", "doc_pubkey", "query_payscore_acquiringbank_permission",
     {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "channel_id": "1900009231", "sub_mchid": SUB_MCHID},
     "pay-score acquiring-bank query (§3.5): channel_id is required here (optional on terminate); order "
     "service_id, channel_id, sub_mchid."),
    ("query_payscore_user_service_state_go_platform", "go_platform", "query_payscore_user_service_state",
     {"appid": APPID, "service_id": SERVICE_ID, "openid": OPENID},
     "older pay-score 普通授权 query (§3.6): all three parameters in the query, order appid, service_id, openid."),
    ("query_value_dot_dot_migration", "migration", "query_payscore_user_service_state",
     {"appid": APPID, "service_id": SERVICE_ID, "openid": ".."},
     "A query value '..' is fine (dot segments are a path-only rule): sent as openid=.. unencoded."),
    ("query_transfer_authorization_doc_pubkey", "doc_pubkey", "query_transfer_authorization",
     {"out_authorization_no": "plfk2020042013"},
     "mch-transfer authorization query (§3.7 direct)."),
    ("query_transfer_partner_authorization_go_platform", "go_platform", "query_transfer_partner_authorization",
     {"out_authorization_no": "plfk2020042013"},
     "mch-transfer partner authorization query (§3.7 partner): no sub_mchid parameter."),
    ("query_webizpay_employee_authorization_migration", "migration", "query_webizpay_employee_authorization",
     {"user_id": "emp_1001-A", "sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID},
     "WeBizPay employee authorization query (§3.8): keyed by the enterprise user_id; sp_mchid and sub_mchid in the "
     "query (revoke sends them in the body)."),
]


def gen_requests(keys: KeySet) -> None:
    check(len(set(n for n, *_ in REQUESTS)) == len(REQUESTS), "duplicate request names")
    for i, (name, client, op, params, desc) in enumerate(REQUESTS):
        if name == "papay_v1_timestamp_doc_pubkey":
            ts, nonce = V1_TS, V1_NONCE
        else:
            ts, nonce = 1700000000 + i, det_hex("request/" + name)
        exp = build_request(client, op, params, ts, nonce, keys)
        emit("request", name, {
            "type": "request", "description": desc, "source": ORACLE, "client": client, "operation": op,
            "params": params, "timestamp": ts, "nonce": nonce, "expect": exp,
        })
    covered = {op for _, _, op, _, _ in REQUESTS}
    check(covered == set(CATALOG), f"request cases miss {set(CATALOG) - covered}")
    # spot checks of the model against hand-written expectations
    r = build_request("go_platform", "terminate_facepay_user_contract",
                      {"organization_id": "org?#1&=;", "user_id": "usr/αβ:AbC~._-%+中"}, 1, "n", keys)
    check(r["request"]["url"] == "https://api2.mch.weixin.qq.com/v3/offlinefacemch/organizations/org%3F%231%26%3D%3B/users/user-id/"
          "usr%2F%CE%B1%CE%B2%3AAbC~._-%25%2B%E4%B8%AD/terminate-contract", "percent-encoding spot check")
    r = build_request("go_platform", "terminate_global_papay_contract", {"contract_id": "x"}, 1, "n", keys)
    check(r["request"]["body"] == "{}" and r["request"]["url"].startswith("https://apihk.mch.weixin.qq.com/"), "global {}")
    r = build_request("doc_pubkey", "terminate_password_exempt_contract",
                      {"service_id": 1, "out_contract_code": "a", "contract_termination_remark": 'a"b\\c\nd'}, 1, "n", keys)
    check(r["request"]["body"] == '{"contract_termination_remark":"a\\"b\\\\c\\nd"}', "escaping spot check")
    # the rule cases, with hand-written URLs
    def url(name):
        return WRITTEN[f"request/{name}.json"]["expect"]["request"]["url"]
    check(url("edu_papay_dots_inside_value_go_platform") == "https://api2.mch.weixin.qq.com/v3/edu-papay/contracts/a..b",
          "a..b url")
    check(url("eduschoolpay_three_dots_doc_pubkey") == "https://api.mch.weixin.qq.com/v3/eduschoolpay/contracts/.../terminate",
          "... url")
    check(url("close_transfer_authorization_slash_doc_pubkey") == "https://api.mch.weixin.qq.com/v3/fund-app/mch-transfer/"
          "user-confirm-authorization/out-authorization-no/a%2Fb/close", "a/b url")
    check(url("edu_papay_slash_dot_dot_migration") == "http://127.0.0.1:8080/v3/edu-papay/contracts/a%2F..", "a/.. url")
    check(url("facepay_reserved_chars_doc_pubkey") == "https://api.mch.weixin.qq.com/v3/offlinefacemch/organizations/"
          "%21%24%27%28%29%2A%2C%40%5B%5D/users/user-id/Ab%2BCd%3DEf%3B%252f%25C3~._-/terminate-contract", "reserved url")
    check(url("payscore_user_permission_reserved_go_platform") == "https://api2.mch.weixin.qq.com/v3/payscore/users/"
          "o%28x%29%2A%5By%5D%40z/permissions/500%2C001%21%24%27/terminate", "reserved url 2")
    for name in ("facepay_reserved_chars_doc_pubkey", "close_transfer_authorization_slash_doc_pubkey"):
        e = WRITTEN[f"request/{name}.json"]["expect"]
        canon = e["request"]["url"].split("://", 1)[1]
        canon = canon[canon.index("/"):]
        check(e["string_to_sign"].split("\n")[1] == canon, f"{name}: the canonical URL is the encoded path")
    # the query cases, with hand-written URLs (the first two are the official examples of §1.2 and §1.5)
    check(url("query_papay_partner_contract_doc_pubkey") == "https://api.mch.weixin.qq.com/v3/papay/sign/partner/contracts/"
          "plan-id/12535/out-contract-code/wxwtdk20200910100000?sub_mchid=1900000109", "papay partner query url")
    check(url("query_global_papay_direct_doc_pubkey") ==
          "https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/100005698?appid=wxcbda96de0b165486", "global query url")
    check(url("query_global_papay_institution_go_platform") == "https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/"
          "100005698?sub_mchid=10000097&sp_appid=wxdace645e0bc2cXXX&sub_appid=wx8888888888888888", "global institution url")
    check(url("query_edu_papay_contract_migration") ==
          "http://127.0.0.1:8080/v3/edu-papay/contracts/id/wx2020010112000000000000000000?appid=wxd678efh567hg6787",
          "edu-papay query url")
    check(url("query_payscore_partner_search_encoding_doc_pubkey") == "https://api.mch.weixin.qq.com/v3/payscore/partner/"
          "permissions/search?service_id=500001&appid=wxd678efh567hg6787&sub_mchid=1900000109"
          "&openid=o%2BUp%2FF8%3Du%26M%E4%B8%AD%E6%96%87%3F%23%252B", "encoded query url")
    check(url("query_value_dot_dot_migration") ==
          "http://127.0.0.1:8080/v3/payscore/user-service-state?appid=wxd678efh567hg6787&service_id=500001&openid=..",
          "dot-dot query url")
    check(url("query_eduschoolpay_contract_doc_pubkey") ==
          "https://api.mch.weixin.qq.com/v3/eduschoolpay/contracts/" + CONTRACT_ID, "query without params: no '?'")
    for name, _, op, params, _ in REQUESTS:
        if not op.startswith("query_"):
            continue
        w = WRITTEN[f"request/{name}.json"]
        e = w["expect"]
        parts = urllib.parse.urlsplit(e["request"]["url"])
        # urllib's own reading of the query gives back exactly the present query params, in declaration order
        want = [(p.name, params[p.name]) for p in CATALOG[op].query_params if p.name in params]
        check(urllib.parse.parse_qsl(parts.query, keep_blank_values=True) == want, f"{name}: query round-trip")
        check(e["string_to_sign"] == f"GET\n{parts.path}{'?' + parts.query if parts.query else ''}\n"
              f"{w['timestamp']}\n{w['nonce']}\n\n", f"{name}: signed path?query and an empty body line")
        check(e["request"]["body"] is None and "Content-Type" in e["request"]["absent_headers"], f"{name}: no body")


# ---------------------------------------------------------------------------
# request_generic cases
# ---------------------------------------------------------------------------


def gen_generic(keys: KeySet) -> None:
    items = [
        ("seed_chain_password_exempt", "doc_pubkey", "POST",
         "v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate",
         {"service_id": "12535", "out_contract_code": OCC}, [], {"contract_termination_remark": REMARK},
         1700000100, None,
         "Generic chain template without a leading slash (as in chain('v3/…')): joined to the default base URL with '/'; "
         "JSON body serialised compactly."),
        ("credit_repayment_key_order", "go_platform", "POST", "/v3/credit-repayment/partner/contracts/terminate",
         {}, [], {"out_contract_code": "100001256", "contract_termination_remark": REMARK},
         1700000101, None,
         "Generic template with a leading slash on the api2 base URL; the JSON body keeps the key order given "
         "(out_contract_code before contract_termination_remark, i.e. NOT sorted)."),
        ("get_with_query", "doc_pubkey", "GET", "/v3/marketing/partnerships",
         {}, [["offset", "0"], ["limit", "10"], ["state", "SIGNED EFFECTIVE"]], None,
         1700000102, None,
         "GET with a query string: pairs in the order given, joined with '&', names/values percent-encoded (space → %20); "
         "the canonical URL includes '?query'; no body, no Content-Type."),
        ("v1a_get_refund", "doc_pubkey", "GET", "/v3/refund/domestic/refunds/{out_refund_no}",
         {"out_refund_no": "123123123123"}, [], None,
         V1_TS, V1_NONCE,
         "V1a as a generic call on doc_pubkey: reproduces the published signature and the official Authorization example."),
        ("absolute_global_url", "go_platform", "POST",
         "https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/{contract_id}/terminate",
         {"contract_id": "201710180325670965"}, [], {"termination_note": "用户申请解约", "appid": APPID},
         1700000103, None,
         "Absolute URL template: used as-is (client base_url ignored), canonical URL is only the path; JSON key order kept."),
        ("migration_path_encoding_query", "migration", "GET", "v3/papay/contracts/{contract_id}",
         {"contract_id": "id/with?reserved#chars"}, [["appid", APPID], ["note", "a&b=c/d 中"]], None,
         1700000104, None,
         "Generic on the migration client: base_url override, path value and query value percent-encoded with safe=''."),
        # --- dots inside a segment are ordinary ---
        ("dots_inside_segments", "doc_pubkey", "DELETE", "/v3/a..b/.hidden/{contract_id}/...",
         {"contract_id": "..."}, [], None,
         1700000105, None,
         "Template segments 'a..b', '.hidden', '...' and the value '...' hold dots but none is a dot segment "
         "('.' or '..' or a %2e form): the path is sent unchanged."),
        # --- absolute templates: WeChat Pay's three hosts or the client's configured base URLs ---
        ("absolute_apihk_on_api2_client_query", "go_platform", "GET",
         "https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/{contract_id}",
         {"contract_id": "201710180325670965"}, [["appid", APPID]], None,
         1700000106, None,
         "Absolute apihk URL on a client whose base_url is api2: apihk is one of WeChat Pay's hosts, so it is "
         "allowed; the query is part of the canonical URL."),
        ("absolute_api_on_api2_client", "go_platform", "POST",
         "https://api.mch.weixin.qq.com/v3/credit-repayment/partner/contracts/terminate",
         {}, [], {"out_contract_code": "100001256", "contract_termination_remark": REMARK},
         1700000107, None,
         "Absolute URL on the primary host api while the client's base_url is the backup api2: allowed (WeChat Pay host)."),
        ("absolute_api2_on_default_client", "doc_pubkey", "POST",
         "https://api2.mch.weixin.qq.com/v3/eduschoolpay/contracts/{contract_id}/terminate",
         {"contract_id": CONTRACT_ID}, [], None,
         1700000108, None,
         "Absolute URL on the backup host api2 from a client on the default base URL: allowed."),
        ("absolute_host_mixed_case", "doc_pubkey", "POST",
         "https://APIHK.Mch.Weixin.QQ.com/v3/global/papay/contracts/{contract_id}/terminate",
         {"contract_id": "201710180325670965"}, [], {"termination_note": "用户申请解约"},
         1700000109, None,
         "The host of an absolute template is compared case-insensitively (APIHK.Mch.Weixin.QQ.com is apihk); the URL "
         "is sent as written and only the path is signed."),
        ("absolute_upper_case_scheme", "go_platform", "GET",
         "HTTPS://api.mch.weixin.qq.com/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{code}",
         {"plan_id": "12535", "code": "wxwtdk20200910100000"}, [], None,
         1700000112, None,
         "An upper-case scheme is still absolute (RFC 3986 §3.1): it is sent in lower case, only the path is signed "
         "(fuzz finding 3: it was taken as a relative path on the configured host)."),
        ("absolute_configured_base_url_http", "migration", "DELETE",
         "http://127.0.0.1:8080/v3/edu-papay/contracts/{contract_id}",
         {"contract_id": "wx2020010112000000000000000000"}, [], None,
         1700000110, None,
         "Absolute URL naming the client's own configured base_url (http://127.0.0.1:8080, a mock server): allowed."),
        # --- reserved characters: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded ---
        ("reserved_chars_path_and_query", "go_platform", "GET", "/v3/marketing/{id}/items",
         {"id": "!$'()*,@[]"},
         [["filter[state]", "a b+c"], ["sig!$'()*,", "@x;y/z?#"], ["k=v&", "a=b&c"], ["Mixed~Case._-", "%2f%2F 中"],
          ["empty", ""]], None,
         1700000111, None,
         "Path value ! $ ' ( ) * , @ [ ] and query names/values with reserved characters, a space, '+', '=', '&', '#', "
         "a literal '%2f'/'%2F' and UTF-8: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded with upper-case hex "
         "(space → %20, + → %2B, % → %25, never case-folded); pairs in order, an empty value gives 'empty='."),
    ]
    for name, client, method, template, pp, query, jsonobj, ts, nonce, desc in items:
        nonce = nonce or det_hex("generic/" + name)
        exp = build_generic(client, method, template, pp, query, jsonobj, ts, nonce, keys)
        source = ORACLE
        if name == "v1a_get_refund":
            check(exp["signature"] == V1A_SIGNATURE, "generic V1a signature")
            check(exp["authorization"] == V1A_AUTHORIZATION, "generic V1a authorization")
            check(exp["request"]["url"] == "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds/123123123123", "V1a url")
            source = SRC_V1A
        case = {
            "type": "request_generic", "description": desc, "source": source, "client": client, "method": method,
            "template": template, "path_params": pp, "query": query, "timestamp": ts, "nonce": nonce, "expect": exp,
        }
        if jsonobj is not None:
            case["json"] = jsonobj
        emit("request_generic", name, case)
    r = build_generic("doc_pubkey", "GET", "/v3/marketing/partnerships", {},
                      [["offset", "0"], ["limit", "10"], ["state", "SIGNED EFFECTIVE"]], None, 1, "n", keys)
    check(r["request"]["url"].endswith("/v3/marketing/partnerships?offset=0&limit=10&state=SIGNED%20EFFECTIVE"), "query spot check")
    def g(name):
        return WRITTEN[f"request_generic/{name}.json"]["expect"]
    check(g("dots_inside_segments")["request"]["url"] == "https://api.mch.weixin.qq.com/v3/a..b/.hidden/.../...", "dots url")
    check(g("absolute_apihk_on_api2_client_query")["request"]["url"] ==
          "https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/201710180325670965?appid=" + APPID, "apihk url")
    check(g("absolute_apihk_on_api2_client_query")["string_to_sign"].startswith(
        "GET\n/v3/global/papay/contracts/201710180325670965?appid=" + APPID + "\n"), "apihk canonical")
    check(g("absolute_api_on_api2_client")["request"]["url"].startswith("https://api.mch.weixin.qq.com/v3/"), "api url")
    check(g("absolute_host_mixed_case")["request"]["url"] ==
          "https://APIHK.Mch.Weixin.QQ.com/v3/global/papay/contracts/201710180325670965/terminate", "mixed-case host url")
    check(g("absolute_host_mixed_case")["string_to_sign"].split("\n")[1] ==
          "/v3/global/papay/contracts/201710180325670965/terminate", "mixed-case host canonical")
    check(g("absolute_configured_base_url_http")["request"]["url"] ==
          "http://127.0.0.1:8080/v3/edu-papay/contracts/wx2020010112000000000000000000", "configured url")
    reserved = g("reserved_chars_path_and_query")
    want = ("/v3/marketing/%21%24%27%28%29%2A%2C%40%5B%5D/items?filter%5Bstate%5D=a%20b%2Bc"
            "&sig%21%24%27%28%29%2A%2C=%40x%3By%2Fz%3F%23&k%3Dv%26=a%3Db%26c&Mixed~Case._-=%252f%252F%20%E4%B8%AD&empty=")
    check(reserved["request"]["url"] == "https://api2.mch.weixin.qq.com" + want, "reserved generic url")
    check(reserved["string_to_sign"] == f"GET\n{want}\n1700000111\n{det_hex('generic/reserved_chars_path_and_query')}\n\n",
          "reserved generic message")
    check(verifies(keys.go.public_key(), reserved["string_to_sign"].encode(), reserved["signature"]), "reserved signature")


# ---------------------------------------------------------------------------
# request_error cases
# ---------------------------------------------------------------------------


def gen_request_errors(keys: KeySet) -> None:
    PE = "terminate_password_exempt_contract"
    PP = "terminate_papay_contract"
    pe_ok = {"service_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK}
    pp_ok = {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK}
    cr_ok = {"out_contract_code": "100001256", "contract_termination_remark": REMARK}
    typed = [
        ("empty_path_param", "doc_pubkey", "terminate_eduschoolpay_contract", {"contract_id": ""}, None, None,
         "contract_id", "Empty string path parameter."),
        ("path_param_whitespace", "doc_pubkey", "terminate_eduschoolpay_contract", {"contract_id": "20450111 2056"},
         None, None, "contract_id", "Path parameter containing a space."),
        ("path_param_newline", "go_platform", "terminate_facepay_user_contract",
         {"organization_id": "12345678", "user_id": "abc\ndef"}, None, None, "user_id",
         "Path parameter containing a control character (LF)."),
        ("path_param_emoji", "go_platform", "close_transfer_authorization", {"out_authorization_no": "plfk😀"},
         None, None, "out_authorization_no", "Path parameter with a character outside the BMP."),
        ("missing_path_param", "doc_pubkey", "terminate_eduschoolpay_contract", {}, None, None, "contract_id",
         "Required path parameter absent."),
        ("missing_required_body_field", "doc_pubkey", PE, {"service_id": 12535, "out_contract_code": OCC}, None, None,
         "contract_termination_remark", "Required body field contract_termination_remark absent."),
        ("missing_required_body_field_partner", "go_platform", "terminate_papay_partner_contract",
         {"plan_id": 12535, "out_contract_code": OCC, "contract_termination_remark": REMARK}, None, None, "sub_mchid",
         "Partner papay without its required sub_mchid."),
        ("unknown_param_typo", "doc_pubkey", PE, {**pe_ok, "contract_termination_remak": REMARK}, None, None,
         "contract_termination_remak", "Unknown extra parameter (typo of contract_termination_remark) is rejected, not ignored."),
        ("unknown_param_on_bodyless_op", "go_platform", "terminate_edu_papay_contract",
         {"contract_id": CONTRACT_ID, "reason": "x"}, None, None, "reason",
         "A body-less operation rejects a parameter it does not have."),
        ("remark_257_chars", "doc_pubkey", PE, {**pe_ok, "contract_termination_remark": CJK256 + "约"}, None, None,
         "contract_termination_remark", "Remark of 257 characters (limit 256)."),
        ("termination_note_257_chars", "doc_pubkey", "terminate_global_papay_contract",
         {"contract_id": "201710180325670965", "termination_note": "a" * 257}, None, None, "termination_note",
         "Global termination_note of 257 characters (limit 256)."),
        ("global_contract_id_65_chars", "doc_pubkey", "terminate_global_papay_contract",
         {"contract_id": "1" * 65}, None, None, "contract_id", "Global contract_id of 65 characters (limit 64)."),
        ("eduschoolpay_contract_id_33_chars", "doc_pubkey", "terminate_eduschoolpay_contract",
         {"contract_id": "1" * 33}, None, None, "contract_id", "eduschoolpay contract_id of 33 characters (limit 32)."),
        ("payscore_reason_51_chars", "go_platform", "terminate_payscore_permission_by_authorization_code",
         {"authorization_code": "1234323JKHDFE1243252", "service_id": SERVICE_ID, "reason": "解" * 51}, None, None,
         "reason", "Pay-score reason of 51 characters (limit 50, official page 4012647410)."),
        ("acquiringbank_without_channel_id", "go_platform", "terminate_payscore_acquiringbank_permission",
         {"authorization_code": "1234323JKHDFE1243252", "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID, "reason": "ok"},
         None, None, "channel_id", "Acquiring-bank termination without channel_id (必填 on official page 4012461012)."),
        ("webizpay_employee_id_65_chars", "go_platform", "revoke_webizpay_employee",
         {"employee_id": "W" * 65, "sp_mchid": "1900007291", "sub_mchid": SUB_MCHID}, None, None, "employee_id",
         "WeBizPay employee_id of 65 characters (limit 64, official page 4014507156)."),
        ("credit_remark_129_chars", "go_platform", "terminate_credit_repayment_contract",
         {**cr_ok, "contract_termination_remark": CJK256[:129]}, None, None, "contract_termination_remark",
         "credit-repayment remark of 129 characters (limit 128)."),
        ("out_contract_code_33_chars", "go_platform", PP, {**pp_ok, "out_contract_code": "w" * 33}, None, None,
         "out_contract_code", "out_contract_code of 33 characters (limit 32)."),
        ("out_contract_code_not_alnum", "doc_pubkey", PE, {**pe_ok, "out_contract_code": "wxwtdk-20200910"}, None, None,
         "out_contract_code", "out_contract_code with '-' where only ASCII letters and digits are allowed (password-exempt)."),
        ("credit_out_contract_code_not_alnum", "go_platform", "terminate_credit_repayment_contract",
         {**cr_ok, "out_contract_code": "10000125６"}, None, None, "out_contract_code",
         "credit out_contract_code with a full-width digit: alnum means ASCII only."),
        ("emoji_in_remark", "doc_pubkey", PE, {**pe_ok, "contract_termination_remark": "用户解约😀"}, None, None,
         "contract_termination_remark", "Remark with a 4-byte UTF-8 character (emoji U+1F600)."),
        ("emoji_in_optional_field", "go_platform", "terminate_payscore_partner_permission",
         {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "reason": "ok", "openid": "o😀"}, None, None,
         "openid", "A 4-byte character in an optional body field."),
        ("int_param_as_string", "go_platform", PP, {**pp_ok, "plan_id": "12535"}, None, None, "plan_id",
         "Integer path param given as the string \"12535\"."),
        ("negative_plan_id", "go_platform", PP, {**pp_ok, "plan_id": -1}, None, None, "plan_id", "Negative plan_id."),
        ("fractional_plan_id", "go_platform", PP, {**pp_ok, "plan_id": 1.5}, None, None, "plan_id", "plan_id 1.5."),
        ("boolean_service_id", "doc_pubkey", PE, {**pe_ok, "service_id": True}, None, None, "service_id",
         "A JSON boolean is not an integer."),
        ("nonce_empty", "doc_pubkey", PE, pe_ok, None, "", "nonce", "Empty nonce."),
        ("nonce_with_space", "doc_pubkey", PE, pe_ok, None, "593BEC0C 930BF1AF", "nonce", "Nonce containing a space."),
        ("timestamp_negative", "doc_pubkey", PE, pe_ok, -1, None, "timestamp", "Negative timestamp."),
        ("unknown_operation", "doc_pubkey", "terminate_everything", {}, None, None, "operation",
         "Unknown operation id."),
        # --- dot segments: a path value that is `.`/`..` (also with %2e/%2E) would be resolved away by HTTP clients ---
        ("edu_papay_contract_id_dot", "go_platform", "terminate_edu_papay_contract", {"contract_id": "."}, None, None,
         "contract_id", "edu-papay contract_id '.' is a dot segment."),
        ("edu_papay_contract_id_dot_dot", "doc_pubkey", "terminate_edu_papay_contract", {"contract_id": ".."}, None, None,
         "contract_id", "edu-papay contract_id '..' is a dot segment."),
        ("edu_papay_contract_id_pct2e_pct2e", "migration", "terminate_edu_papay_contract", {"contract_id": "%2e%2e"},
         None, None, "contract_id", "edu-papay contract_id '%2e%2e' is '..' spelt with %2e: still a dot segment."),
        ("eduschoolpay_contract_id_dot_pct2e_upper", "doc_pubkey", "terminate_eduschoolpay_contract", {"contract_id": ".%2E"},
         None, None, "contract_id", "eduschoolpay contract_id '.%2E' is '..' with an upper-case %2E: a dot segment."),
        ("eduschoolpay_contract_id_dot_dot", "go_platform", "terminate_eduschoolpay_contract", {"contract_id": ".."},
         None, None, "contract_id", "eduschoolpay contract_id '..' is a dot segment."),
        ("facepay_user_id_pct2e_upper", "doc_pubkey", "terminate_facepay_user_contract",
         {"organization_id": "12345678", "user_id": "%2E"}, None, None, "user_id",
         "facepay user_id '%2E' is '.' spelt with %2E (the field is the offending parameter, not the first one)."),
        # --- query-string parameters: validated like path values ---
        ("query_missing_required_sub_mchid", "doc_pubkey", "query_papay_partner_contract",
         {"plan_id": 12535, "out_contract_code": OCC}, None, None, "sub_mchid",
         "papay partner query without its required query parameter sub_mchid."),
        ("query_missing_required_channel_id", "go_platform", "query_payscore_acquiringbank_permission",
         {"authorization_code": AUTH_CODE, "service_id": SERVICE_ID, "sub_mchid": SUB_MCHID}, None, None, "channel_id",
         "Acquiring-bank query without channel_id: optional on terminate, required on this query (§3.5)."),
        ("query_missing_required_appid_edu_papay", "migration", "query_edu_papay_contract",
         {"contract_id": "wx2020010112000000000000000000", "sub_mchid": SUB_MCHID}, None, None, "appid",
         "edu-papay query without appid (required for the query, not needed by the DELETE, §2.1)."),
        ("query_value_33_chars", "go_platform", "query_papay_partner_contract",
         {"plan_id": 12535, "out_contract_code": OCC, "sub_mchid": "1" * 33}, None, None, "sub_mchid",
         "Query value sub_mchid of 33 characters (limit 32)."),
        ("query_optional_value_33_chars", "doc_pubkey", "query_global_papay_contract",
         {"contract_id": "100005698", "appid": "w" * 33}, None, None, "appid",
         "Optional global query value appid of 33 characters (limit 32, official string[1,32])."),
        ("query_value_with_space", "doc_pubkey", "query_payscore_permission_by_authorization_code",
         {"authorization_code": AUTH_CODE, "service_id": "500 001"}, None, None, "service_id",
         "Query value containing a space (a query value is validated like a path value)."),
        ("query_value_with_newline", "go_platform", "query_payscore_user_service_state",
         {"appid": APPID, "service_id": SERVICE_ID, "openid": "oUpF8uMu\nAJO"}, None, None, "openid",
         "Query value containing a control character (LF)."),
        ("query_optional_value_empty", "doc_pubkey", "query_global_papay_contract",
         {"contract_id": "100005698", "sub_mchid": "10000097", "sp_appid": ""}, None, None, "sp_appid",
         "An optional query parameter given as the empty string (present, so it must be non-empty like a path value)."),
        ("query_value_emoji", "go_platform", "query_payscore_partner_permission",
         {"service_id": SERVICE_ID, "appid": APPID, "sub_mchid": SUB_MCHID, "openid": "o😀"}, None, None, "openid",
         "Query value with a 4-byte UTF-8 character (emoji U+1F600)."),
        ("query_unknown_param_plan_id", "doc_pubkey", "query_global_papay_contract",
         {"contract_id": "100005698", "appid": "wxcbda96de0b165486", "plan_id": 123}, None, None, "plan_id",
         "plan_id on the global contract-id query: YAML/im list it, the official pages do not (§1.5), so it is an "
         "unknown parameter."),
        ("query_unknown_param_sub_mchid", "go_platform", "query_papay_contract",
         {"plan_id": 12535, "out_contract_code": OCC, "sub_mchid": SUB_MCHID}, None, None, "sub_mchid",
         "The direct papay query has no sub_mchid (only the partner query has)."),
        ("query_out_contract_code_not_alnum", "go_platform", "query_credit_repayment_contract",
         {"out_contract_code": "10000-1256"}, None, None, "out_contract_code",
         "credit-repayment query: out_contract_code is digits and letters only."),
    ]
    for name, client, op, params, ts, nonce, field, desc in typed:
        ts = 1700000200 if ts is None else ts
        nonce = det_hex("request_error/" + name) if nonce is None else nonce
        try:
            build_request(client, op, params, ts, nonce, keys)
        except InvalidInput as e:
            check(e.field == field, f"request_error/{name}: model says field {e.field}, case says {field}")
        else:
            fail(f"request_error/{name}: model accepted the input")
        emit("request_error", name, {
            "type": "request_error", "description": desc.rstrip(".") + " → invalid_input.", "source": ORACLE, "client": client,
            "operation": op, "params": params, "timestamp": ts, "nonce": nonce,
            "expect": {"error": {"kind": "invalid_input", "field": field}},
        })
    generic = [
        ("generic_template_var_missing", "doc_pubkey", "POST",
         "v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate",
         {"service_id": "12535"}, {"contract_termination_remark": REMARK}, "out_contract_code",
         "Generic template variable {out_contract_code} without a value in path_params."),
        ("generic_path_param_not_in_template", "doc_pubkey", "POST", "/v3/eduschoolpay/contracts/{contract_id}/terminate",
         {"contract_id": CONTRACT_ID, "plan_id": "12535"}, None, "plan_id",
         "Generic path_params name (plan_id) that the template does not contain."),
        ("generic_empty_path_param", "go_platform", "POST", "/v3/eduschoolpay/contracts/{contract_id}/terminate",
         {"contract_id": ""}, None, "contract_id", "Generic path parameter with an empty value."),
        # --- dot segments in generic path values (field = the parameter) ---
        ("generic_path_param_dot", "doc_pubkey", "POST", "/v3/eduschoolpay/contracts/{contract_id}/terminate",
         {"contract_id": "."}, None, "contract_id", "Generic path value '.' is a dot segment."),
        ("generic_path_param_dot_dot", "go_platform", "DELETE", "/v3/edu-papay/contracts/{contract_id}",
         {"contract_id": ".."}, None, "contract_id", "Generic path value '..' is a dot segment."),
        ("generic_path_param_pct2e_pct2e", "migration", "POST", "v3/eduschoolpay/contracts/{contract_id}/terminate",
         {"contract_id": "%2e%2e"}, None, "contract_id", "Generic path value '%2e%2e' is a dot segment."),
        ("generic_path_param_dot_pct2e_upper", "doc_pubkey", "POST",
         "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
         {"organization_id": "12345678", "user_id": ".%2E"}, None, "user_id",
         "Generic path value '.%2E' (of the second variable) is a dot segment."),
        # --- dot segments written in the template (field = template) ---
        ("generic_template_dot_dot_relative", "doc_pubkey", "GET", "v3/../x", {}, None, "template",
         "Template 'v3/../x' (chain style, no leading slash) holds the dot segment '..'."),
        ("generic_template_dot", "go_platform", "GET", "/v3/./x", {}, None, "template",
         "Template '/v3/./x' holds the dot segment '.'."),
        ("generic_template_pct2e_pct2e", "doc_pubkey", "GET", "/v3/%2e%2e/x", {}, None, "template",
         "Template '/v3/%2e%2e/x' holds '..' spelt with %2e."),
        ("generic_template_trailing_dot_dot", "migration", "GET", "/v3/x/..", {}, None, "template",
         "Template '/v3/x/..' ends in the dot segment '..'."),
        ("generic_template_dot_pct2e_upper_with_var", "doc_pubkey", "POST", "/v3/.%2E/contracts/{contract_id}/terminate",
         {"contract_id": CONTRACT_ID}, None, "template",
         "Template '/v3/.%2E/contracts/{contract_id}/terminate' holds '..' spelt '.%2E' (the value is fine)."),
        ("generic_absolute_template_dot_dot", "go_platform", "GET", "https://api2.mch.weixin.qq.com/v3/../x", {}, None,
         "template", "Absolute template on an allowed host whose path holds the dot segment '..'."),
        # --- absolute templates may only name WeChat Pay's hosts or the configured base URLs ---
        ("generic_absolute_other_host", "doc_pubkey", "POST", "https://evil.example/v3/x", {}, {"a": "b"}, "template",
         "Absolute template naming https://evil.example, neither a WeChat Pay host nor a configured base URL."),
        ("generic_absolute_http_wechatpay_host", "doc_pubkey", "GET", "http://api.mch.weixin.qq.com/v3/x", {}, None,
         "template", "Absolute template http://api.mch.weixin.qq.com: the WeChat Pay hosts are allowed only over https."),
        ("generic_absolute_lookalike_host", "go_platform", "GET", "https://api.mch.weixin.qq.com.evil.example/v3/x",
         {}, None, "template", "Absolute template whose host merely starts with api.mch.weixin.qq.com."),
        ("generic_absolute_userinfo_host", "go_platform", "GET", "https://apihk.mch.weixin.qq.com@evil.example/v3/x",
         {}, None, "template",
         "Absolute template 'https://apihk.mch.weixin.qq.com@evil.example/…': the authority is not a WeChat Pay host."),
        ("generic_absolute_other_clients_base_url", "doc_pubkey", "GET", "http://127.0.0.1:8080/v3/x", {}, None,
         "template", "Absolute template naming http://127.0.0.1:8080, which is another client's base_url, not this one's."),
        # --- the scheme is case-insensitive (RFC 3986 §3.1; fuzz finding 3) ---
        ("generic_absolute_upper_case_scheme_other_host", "doc_pubkey", "GET", "HTTPS://evil.example/v3/x", {}, None,
         "template", "HTTPS:// is an absolute URL like https://: naming another host it is refused, never taken as a "
                     "relative path on the configured host."),
        ("generic_other_scheme", "doc_pubkey", "GET", "ftp://api.mch.weixin.qq.com/v3/x", {}, None, "template",
         "A URL of another scheme: a relative reference cannot have ':' in its first segment (RFC 3986 §4.2)."),
    ]
    for name, client, method, template, pp, jsonobj, field, desc in generic:
        ts, nonce = 1700000250, det_hex("request_error/" + name)
        try:
            build_generic(client, method, template, pp, [], jsonobj, ts, nonce, keys)
        except InvalidInput as e:
            check(e.field == field, f"request_error/{name}: model says {e.field}")
        else:
            fail(f"request_error/{name}: model accepted the input")
        case = {
            "type": "request_error", "description": desc.rstrip(".") + " → invalid_input.", "source": ORACLE, "client": client,
            "method": method, "template": template, "path_params": pp, "query": [], "timestamp": ts, "nonce": nonce,
            "expect": {"error": {"kind": "invalid_input", "field": field}},
        }
        if jsonobj is not None:
            case["json"] = jsonobj
        emit("request_error", name, case)

    # independent checks of the rule cases: a refused value / template segment percent-decodes (urllib) to
    # exactly '.' or '..'; an accepted one does not; refused absolute hosts are really foreign.
    def decoded_dot(x: str) -> bool:
        return urllib.parse.unquote(x) in (".", "..")
    for rel, w in WRITTEN.items():
        if not rel.startswith("request_error/"):
            continue
        field = w["expect"]["error"]["field"]
        values = w.get("params") or w.get("path_params") or {}
        if field in values and any(decoded_dot(v) for v in values.values() if isinstance(v, str)):
            check(decoded_dot(values[field]), f"{rel}: the refused value is a dot segment")
        if field == "template":
            t = w["template"]
            parts = urllib.parse.urlsplit(t)
            if parts.scheme:
                foreign = parts.scheme != "https" or parts.netloc.lower() not in (
                    "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com", "apihk.mch.weixin.qq.com")
                own = {(CLIENTS[w["client"]][k] or "").lower() for k in ("base_url", "global_base_url")}
                foreign = foreign and f"{parts.scheme}://{parts.netloc}".lower() not in own
                check(foreign or any(decoded_dot(x) for x in parts.path.split("/")), f"{rel}: refused template")
            else:
                check(any(decoded_dot(x) for x in t.split("/")), f"{rel}: template holds a dot segment")
    for rel in ("request/edu_papay_dots_inside_value_go_platform.json", "request/eduschoolpay_three_dots_doc_pubkey.json",
                "request/edu_papay_slash_dot_dot_migration.json", "request_generic/dots_inside_segments.json"):
        w = WRITTEN[rel]
        vals = (w.get("params") or w.get("path_params")).values()
        check(not any(decoded_dot(v) for v in vals), f"{rel}: value is not a dot segment")
        path = urllib.parse.urlsplit(w["expect"]["request"]["url"]).path
        check(not any(decoded_dot(x) for x in path.split("/")), f"{rel}: URL path has no dot segment")
    check(sum(1 for r in WRITTEN if r.startswith("request_error/generic_template_")) == 6, "template cases (5 dot segments + var_missing)")


# ---------------------------------------------------------------------------
# client_error cases
# ---------------------------------------------------------------------------


def gen_client_errors(keys: KeySet) -> None:
    # the older cases predate apiv3_key (an optional option): their config leaves it out
    base = {k: v for k, v in CLIENTS["doc_pubkey"].items() if k != "apiv3_key"}

    def cfg(**over):
        c = dict(base)
        for k, v in over.items():
            if v is ... and k in c:
                del c[k]
            else:
                c[k] = v
        return c

    items = [
        ("rsa1024_key", cfg(private_key="rsa1024_pkcs8.pem"), "invalid_key",
         "Merchant private key is RSA-1024 (RSA-2048 or larger required)."),
        ("ec_p256_key", cfg(private_key="ec_p256_pkcs8.pem"), "invalid_key", "Merchant private key is an EC P-256 key."),
        ("not_a_key", cfg(private_key="not_a_key.pem"), "invalid_key",
         "PRIVATE KEY PEM whose content is the ASCII 'not a key'."),
        ("empty_private_key_text", cfg(private_key=..., private_key_text=""), "invalid_key", "Empty inline private key text."),
        ("certificate_as_private_key", cfg(private_key="platform_cert_a.pem"), "invalid_key",
         "A CERTIFICATE PEM given as the merchant private key."),
        ("public_key_as_private_key", cfg(private_key="wechatpay_public_key.pem"), "invalid_key",
         "A PUBLIC KEY (SPKI) PEM given as the merchant private key."),
        ("empty_mchid", cfg(mchid=""), "invalid_input", "Empty mchid."),
        ("public_key_id_bad_prefix", cfg(wechatpay_public_key_id="0119000072912025112400000000000001"), "invalid_input",
         "wechatpay_public_key_id not starting with PUB_KEY_ID_."),
        ("public_key_id_without_public_key", cfg(wechatpay_public_key=None), "invalid_input",
         "wechatpay_public_key_id given without wechatpay_public_key."),
        ("no_verification_key", cfg(wechatpay_public_key_id=None, wechatpay_public_key=None, platform_certificates=None),
         "invalid_input", "Neither a WeChat Pay public key nor any platform certificate."),
        ("apiv3_key_16_bytes", cfg(apiv3_key="testMchAPIv3Key0"), "invalid_key",
         "APIv3 key of 16 ASCII bytes (an AES-128 key as in some SDK tests; the APIv3 key is exactly 32 bytes)."),
        ("apiv3_key_33_bytes", cfg(apiv3_key=CLIENTS["doc_pubkey"]["apiv3_key"] + "X"), "invalid_key",
         "APIv3 key of 33 ASCII bytes (one too many)."),
        ("apiv3_key_32_chars_34_bytes", cfg(apiv3_key="doc_pubkey_test_apiv3_key_00000密"), "invalid_key",
         "APIv3 key of 32 characters but 34 UTF-8 bytes (31 ASCII + one 3-byte CJK character): the length is "
         "counted in UTF-8 bytes."),
    ]
    for name, config, kind, desc in items:
        if "apiv3_key" in config:
            check(len(config["apiv3_key"].encode("utf-8")) != 32, f"{name}: apiv3_key is 32 bytes")
            check(name.startswith("apiv3_key_"), f"{name}: only the apiv3_key cases carry an apiv3_key")
        # sanity: the file-based keys really are what the case says
        pk = config.get("private_key")
        if kind == "invalid_key" and pk and "apiv3_key" not in config:
            text = (KEYS / pk).read_bytes()
            try:
                k = serialization.load_pem_private_key(text, password=None)
                check(not (isinstance(k, rsa.RSAPrivateKey) and k.key_size >= 2048), f"{name}: key is acceptable")
            except (ValueError, TypeError):
                pass
        emit("client_error", name, {
            "type": "client_error", "description": desc.rstrip(".") + f" → {kind}.", "source": ORACLE, "config": config,
            "expect": {"error": {"kind": kind}},
        })


# ---------------------------------------------------------------------------
# response cases
# ---------------------------------------------------------------------------

UNKNOWN = {"unknown_field_for_test": "must be dropped"}

BODY_PASSWORD_EXEMPT = {"mchid": "1900000109", "service_id": 12535, "out_contract_code": OCC, **UNKNOWN}
TERM_INFO = {"contract_termination_mode": "MCH_API_TERMINATE", "contract_terminated_time": "2024-11-24T10:00:00+08:00",
             "contract_termination_remark": REMARK}
BODY_PAPAY = {
    "mchid": "1900000109", "contract_id": "Wx15463511252015071056489715", "appid": APPID, "plan_id": 12535,
    "out_contract_code": OCC, "contract_display_account": "微信代扣", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2099-12-31T23:59:59+08:00",
    "openid": OPENID, "contract_terminate_info": TERM_INFO, "out_user_code": "user_20240101",
    "deduct_schedule": {
        "estimated_deduct_date": "2024-12-01", "estimated_deduct_amount": {"total": 100, "currency": "CNY"},
        "schedule_state": "NO_SCHEDULED", "scheduled_amount": {"total": 100, "currency": "CNY"},
        "deduct_amount": {"total": 0}, "deduct_date": "2024-11-01", "nested_unknown": {"x": 1},
    },
    **UNKNOWN,
}
BODY_PAPAY_PARTNER = {
    "contract_id": "Wx15463511252015071056489715", "sp_mchid": SP_MCHID, "sp_appid": APPID, "sub_mchid": SUB_MCHID,
    "sub_appid": SUB_APPID, "plan_id": 12535, "out_contract_code": OCC, "contract_display_account": "微信代扣",
    "contract_state": "TERMINATED", "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "sp_openid": OPENID, "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p",
    "contract_terminate_info": {"contract_termination_mode": "MCH_API_TERMINATE",
                                "contract_terminated_time": "2024-11-24T10:00:00+08:00"},
    "deduct_schedule": {"estimated_deduct_date": "2024-12-01", "estimated_deduct_amount": {"total": 2990},
                        "schedule_state": "SCHEDULED"},
    **UNKNOWN,
}
BODY_INSURANCE = {
    "mchid": "1900000109", "contract_id": "Wx15463511252015071056489716", "appid": APPID, "plan_id": 10086,
    "out_contract_code": OCC, "insured_display_name": "张*", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2025-01-01T10:00:00+08:00",
    "contract_terminate_info": TERM_INFO, "openid": OPENID, **UNKNOWN,
}
BODY_COMBINE = {"mchid": "1900000109", "plan_id": 12535, "out_contract_code": OCC, **UNKNOWN}
CREDIT_INFO = {
    "contract_id": "100005698", "plan_id": "200001", "out_contract_code": "100001256", "display_name": "*明",
    "contract_state": "CONTRACT_STATE_TERMINATED", "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "contract_terminated_time": "2024-11-24T10:00:00+08:00", "contract_terminated_mode": "TERMINATION_MODE_BY_MERCHANT",
    "contract_termination_remark": REMARK, "repayment_day": 5, "openid": OPENID, "appid": APPID,
    "repayment_amount_limit": 100000,
}
BODY_CREDIT = {"contract_info": {**CREDIT_INFO, "unknown_inner": True}, **UNKNOWN}
BODY_TRANSFER = {
    "out_authorization_no": "plfk2020042013", "appid": APPID, "openid": OPENID, "user_display_name": "张*",
    "authorization_id": "1330000114850082", "state": "CLOSED", "authorize_time": "2024-01-01T10:00:00+08:00",
    "close_info": {"close_time": "2024-11-24T10:00:00+08:00", "close_reason": "CLOSE_VIA_MCH_API"},
    "transfer_scene_id": "1005", "user_recv_perception": "劳务报酬", "create_time": "2024-01-01T09:59:00+08:00",
    **UNKNOWN,
}
BODY_TRANSFER_MIN = {"out_authorization_no": "plfk2020042014", "appid": APPID, "openid": OPENID,
                     "user_display_name": "李*", "state": "CLOSED", **UNKNOWN}
BODY_WEBIZPAY = {
    "sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID, "user_id": "2000000000000000001", "authorization_state": "REVOKED",
    "authorization_revoked_time": "2024-11-24T10:00:00+08:00", "reason": "员工离职", **UNKNOWN,
}

# --- query bodies (docs/query-endpoints.md; each with one unknown field that must be dropped) ---
QBODY_EDUSCHOOLPAY = {  # §2.2 A: a terminated contract reads contract_status DELETE; plan_id is a string
    "contract_id": CONTRACT_ID, "mchid": SP_MCHID, "appid": APPID, "openid": OPENID, "plan_id": "10086",
    "contract_status": "DELETE", "create_time": "2024-11-24T10:00:00+08:00",
    "out_contract_code": "edu20240101000001", **UNKNOWN,
}
QBODY_PASSWORD_EXEMPT = {  # §1.6: contract_terminate_info without its time (not required on this page)
    "mchid": "1900000109", "contract_id": "100005698", "appid": APPID, "openid": OPENID, "sub_appid": SUB_APPID,
    "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "service_id": 12535, "out_contract_code": OCC,
    "contract_display_account": "微信免密支付", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "contract_terminate_info": {"contract_termination_mode": "MCH_API_TERMINATE", "contract_termination_remark": REMARK},
    **UNKNOWN,
}
QBODY_PAPAY = {  # §1.1: a terminated direct papay contract
    "mchid": "1900000109", "contract_id": "Wx15463511252015071056489715", "appid": APPID, "plan_id": 12535,
    "out_contract_code": OCC, "contract_display_account": "微信代扣", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2099-12-31T23:59:59+08:00",
    "openid": OPENID, "contract_terminate_info": TERM_INFO, "out_user_code": "user_20240101", **UNKNOWN,
}
QBODY_PAPAY_PARTNER = {  # §1.2
    "contract_id": "Wx15463511252015071056489715", "sp_mchid": SP_MCHID, "sp_appid": APPID, "sub_mchid": SUB_MCHID,
    "sub_appid": SUB_APPID, "plan_id": 12535, "out_contract_code": OCC, "contract_display_account": "微信代扣",
    "contract_state": "TERMINATED", "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "contract_expired_time": "2099-12-31T23:59:59+08:00", "sp_openid": OPENID,
    "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p",
    "contract_terminate_info": {"contract_termination_mode": "USER_TERMINATE",
                                "contract_terminated_time": "2024-11-24T10:00:00+08:00"},
    "out_user_code": "user_20240101", **UNKNOWN,
}
QBODY_INSURANCE_PENDING = {  # §1.3: TERMINATE_PENDING, no terminate info yet
    "mchid": "1900000109", "contract_id": "Wx15463511252015071056489716", "appid": APPID, "plan_id": 10086,
    "out_contract_code": OCC, "insured_display_name": "张*", "contract_state": "TERMINATE_PENDING",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2025-01-01T10:00:00+08:00",
    "openid": OPENID, "out_user_code": "insured_20240101", **UNKNOWN,
}
QBODY_COMBINE = {  # §1.4: timestamps with milliseconds as in the YAML example
    "mchid": "1900000109", "contract_id": "Wx15463511252015071056489717", "appid": APPID, "plan_id": 12535,
    "out_contract_code": "combine20240101000001", "contract_display_account": "微信代扣",
    "contract_state": "TERMINATED", "contract_signed_time": "2020-09-10T13:29:35.120+08:00",
    "contract_expired_time": "2025-09-10T13:29:35.120+08:00",
    "contract_terminate_info": {"contract_termination_mode": "MCH_API_TERMINATE",
                                "contract_terminated_time": "2024-11-24T10:00:00.000+08:00",
                                "contract_termination_remark": REMARK},
    "openid": OPENID, **UNKNOWN,
}
QBODY_CREDIT_OLD_SPELLING = {  # §1.7: the contract at the top level, mode spelt contract_termination_mode
    "contract_id": "100005698", "plan_id": "200001", "out_contract_code": "100001256", "display_name": "*明",
    "contract_state": "CONTRACT_STATE_TERMINATED", "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "contract_terminated_time": "2024-11-24T10:00:00+08:00",
    "contract_termination_mode": "TERMINATION_MODE_BY_MERCHANT", "contract_termination_remark": REMARK,
    "repayment_day": 5, "repayment_amount_limit": 100000, **UNKNOWN,
}
QBODY_GLOBAL = {  # §1.5: plan_id an int in the docs → the typed output holds the string "12535"
    "mchid": "1900000109", "appid": "wxcbda96de0b165486", "contract_id": "100005698", "plan_id": 12535,
    "out_contract_code": "global20240101000001", "user_display_name": "Zhang San", "state": "TERMINATED",
    "signed_time": "2024-01-01T10:00:00+08:00", "terminated_time": "2024-11-24T10:00:00+08:00",
    "termination_mode": "MERCHANT", "termination_note": "用户申请解约", "openid": OPENID, **UNKNOWN,
}
QBODY_EDU_PAPAY = {  # §2.1 A
    "sp_mchid": SP_MCHID, "appid": APPID, "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID, "openid": OPENID,
    "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "plan_id": "10086",
    "contract_information": {"contract_id": "wx2020010112000000000000000000", "contract_status": "DELETE",
                             "create_time": "2024-11-24T10:00:00+08:00", "nested_unknown": 1},
    **UNKNOWN,
}
QBODY_FACEPAY = {  # §2.3: use_id (sic); student_info is documented but not kept by the typed result
    "use_id": "o-0aHsx4xLb6GXHsiQfCDGKXtJN8", "out_user_id": "stu20200901001", "organization_id": "12345678",
    "user_name": "张三", "user_type": "STUDENT", "student_info": {"class_name": "初一1班"}, "status": "NORMAL",
    "contract_state": "TERMINATED", "face_image_ok": True, "contract_id": "20200901000000000001", **UNKNOWN,
}
QBODY_PAYSCORE_CODE = {  # §3.1: revoked → UNAVAILABLE with cancel_authorization_time
    "service_id": SERVICE_ID, "appid": APPID, "mchid": "1900000109", "openid": OPENID,
    "authorization_code": AUTH_CODE, "authorization_state": "UNAVAILABLE",
    "notify_url": "https://api.test.com/payscore/notify", "cancel_authorization_time": "2024-11-24T10:00:00+08:00",
    "authorization_success_time": "2024-01-01T10:00:00+08:00", "user_risk_level": 1, **UNKNOWN,
}
QBODY_PAYSCORE_OPENID = {  # §3.2: service_id sent as a number → the typed output holds the string
    "service_id": 500001, "appid": APPID, "mchid": "1900000109", "openid": OPENID,
    "authorization_state": "UNAVAILABLE", "cancel_authorization_time": "2024-11-24T10:00:00+08:00",
    "authorization_success_time": "2024-01-01T10:00:00+08:00", **UNKNOWN,
}
QBODY_PAYSCORE_PARTNER_CODE = {  # §3.3
    "service_id": SERVICE_ID, "appid": APPID, "mchid": SP_MCHID, "openid": OPENID,
    "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "authorization_code": AUTH_CODE,
    "authorization_state": "UNAVAILABLE", "cancel_authorization_time": "2024-11-24T10:00:00+08:00",
    "authorization_success_time": "2024-01-01T10:00:00+08:00", "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID,
    **UNKNOWN,
}
QBODY_PAYSCORE_PARTNER_SEARCH = {  # §3.4: still AVAILABLE (not yet revoked), no authorization_code
    "service_id": SERVICE_ID, "appid": APPID, "mchid": SP_MCHID, "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p",
    "authorization_state": "AVAILABLE", "authorization_success_time": "2024-01-01T10:00:00+08:00",
    "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID, **UNKNOWN,
}
QBODY_PAYSCORE_ACQUIRINGBANK = {  # §3.5
    "service_id": SERVICE_ID, "appid": APPID, "mchid": SP_MCHID, "openid": OPENID, "authorization_code": AUTH_CODE,
    "authorization_state": "UNAVAILABLE", "notify_url": "https://api.test.com/payscore/notify",
    "cancel_authorization_time": "2024-11-24T10:00:00+08:00", "authorization_success_time": "2024-01-01T10:00:00+08:00",
    "sub_mchid": SUB_MCHID, "sub_appid": SUB_APPID, "channel_id": "1900009231", **UNKNOWN,
}
QBODY_PAYSCORE_USER_SERVICE_STATE = {  # §3.6
    "appid": APPID, "service_id": SERVICE_ID, "openid": OPENID, "use_service_state": "UNAVAILABLE", **UNKNOWN,
}
QBODY_TRANSFER = {  # §3.7 direct
    "out_authorization_no": "plfk2020042013", "appid": APPID, "openid": OPENID, "user_display_name": "张*",
    "authorization_id": "1330000114850082", "state": "CLOSED", "authorize_time": "2024-01-01T10:00:00+08:00",
    "close_info": {"close_time": "2024-11-24T10:00:00+08:00", "close_reason": "CLOSE_VIA_MCH_API"},
    "transfer_scene_id": "1005", "user_recv_perception": "劳务报酬", "create_time": "2024-01-01T09:59:00+08:00",
    **UNKNOWN,
}
QBODY_TRANSFER_PARTNER = {  # §3.7 partner: closed because never confirmed; transfer_scene_id as a number
    "out_authorization_no": "plfk2020042013", "appid": APPID, "openid": OPENID, "user_display_name": "张*",
    "authorization_id": "1330000114850083", "state": "CLOSED", "authorize_time": "2024-01-01T10:00:00+08:00",
    "close_info": {"close_time": "2024-01-08T10:00:00+08:00", "close_reason": "USER_OVERDUE_UNCONFIRMED"},
    "transfer_scene_id": 1005, "create_time": "2024-01-01T09:59:00+08:00", **UNKNOWN,
}
QBODY_WEBIZPAY = {  # §3.8: two authorizations of one enterprise user, the revoked one and a newer one
    "sp_mchid": SP_MCHID, "sub_mchid": SUB_MCHID, "user_id": "emp_1001-A",
    "employee_list": [
        {"employee_id": "WeBizPay_a968402a-0001", "authorization_state": "REVOKED",
         "authorization_time": "2024-01-01T10:00:00+08:00", "authorization_revoked_time": "2024-11-24T10:00:00+08:00",
         "entry_unknown": "x"},
        {"employee_id": "WeBizPay_a968402a-0002", "authorization_state": "AUTHORIZED",
         "authorization_time": "2024-11-25T10:00:00+08:00"},
    ],
    **UNKNOWN,
}

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


class R:
    """One response case description."""

    def __init__(self, name, client, op, desc, *, status=200, body=None, raw=None, serial=PUB_KEY_ID, ts=None,
                 now_delta=3, sign_ts=None, sign_body=None, sig=None, drop=(), lower=False, serial_header=None,
                 wechat_headers=True, content_type=None, ts_header=None, expect_kind=None, expect_extra=None,
                 dup=(), sig_type=None):
        # dup: (name as sent, value) pairs appended after the Wechatpay-* block; value "SAME" repeats the
        # header's own value, "OTHER_SIG" is a valid signature by the same key over another body,
        # "OTHER_TS"/"OTHER_NONCE"/"OTHER_RID" are other well-formed values, anything else is literal.
        # sig_type: the Wechatpay-Signature-Type value sent (default WECHATPAY2-SHA256-RSA2048).
        self.__dict__.update(locals())
        del self.__dict__["self"]


def response_cases() -> list[R]:
    PE, PP = "terminate_password_exempt_contract", "terminate_papay_contract"
    A, B = CERT_A_HEX, CERT_B_HEX
    pe = compact(BODY_PASSWORD_EXEMPT)
    out = [
        # --- one success per catalog operation ---
        R("eduschoolpay_204_pubkey", "doc_pubkey", "terminate_eduschoolpay_contract",
          "204 No Content with an empty body, signed over 'ts\\nnonce\\n\\n' with the WeChat Pay public key.", status=204, raw=b""),
        R("password_exempt_200_pubkey", "doc_pubkey", PE,
          "200 echo body signed with the WeChat Pay public key; the unknown field is dropped.", body=BODY_PASSWORD_EXEMPT),
        R("papay_200_cert_a", "go_platform", PP,
          "Full PapayContract (terminate info, deduct schedule with all amounts) signed by platform cert A; unknown "
          "top-level and nested fields are dropped.", body=BODY_PAPAY, serial=A),
        R("papay_partner_200_cert_b", "go_platform", "terminate_papay_partner_contract",
          "Partner PapayContract signed by platform cert B (serial with the top bit set, DER leading 00).",
          body=BODY_PAPAY_PARTNER, serial=B),
        R("papay_insurance_200_migration_pubkey", "migration", "terminate_papay_insurance_contract",
          "Insurance contract on the migration client, signed with the public key.", body=BODY_INSURANCE),
        R("combine_papay_200_pubkey", "doc_pubkey", "terminate_combine_papay_contract",
          "combine-papay echo body.", body=BODY_COMBINE),
        R("credit_repayment_200_cert_a", "go_platform", "terminate_credit_repayment_contract",
          "credit-repayment contract_info (plan_id is a string here); unknown fields dropped at both levels.",
          body=BODY_CREDIT, serial=A),
        R("global_papay_204_cert_a", "go_platform", "terminate_global_papay_contract",
          "global papay 204, signed by platform cert A.", status=204, raw=b"", serial=A),
        R("edu_papay_204_migration_cert_a", "migration", "terminate_edu_papay_contract",
          "edu-papay DELETE 204 on the migration client, signed by the platform certificate (not the public key).",
          status=204, raw=b"", serial=A),
        R("facepay_204_pubkey", "doc_pubkey", "terminate_facepay_user_contract", "facepay 204.", status=204, raw=b""),
        R("payscore_by_authorization_code_204_cert_b", "go_platform",
          "terminate_payscore_permission_by_authorization_code", "payscore 204 signed by cert B.", status=204, raw=b"", serial=B),
        R("payscore_by_openid_204_pubkey", "doc_pubkey", "terminate_payscore_permission_by_openid", "payscore 204.",
          status=204, raw=b""),
        R("payscore_partner_by_authorization_code_204_migration", "migration",
          "terminate_payscore_partner_permission_by_authorization_code", "payscore partner 204 on the migration client.",
          status=204, raw=b""),
        R("payscore_partner_permission_204_cert_a", "go_platform", "terminate_payscore_partner_permission",
          "payscore partner permission 204.", status=204, raw=b"", serial=A),
        R("payscore_acquiringbank_204_pubkey", "doc_pubkey", "terminate_payscore_acquiringbank_permission",
          "payscore acquiring-bank 204.", status=204, raw=b""),
        R("payscore_user_permission_204_cert_a", "go_platform", "terminate_payscore_user_permission",
          "payscore users/{openid}/permissions/{service_id} 204.", status=204, raw=b"", serial=A),
        R("close_transfer_authorization_200_pubkey", "doc_pubkey", "close_transfer_authorization",
          "TransferAuthorization with every optional field incl. close_info.", body=BODY_TRANSFER),
        R("close_transfer_partner_authorization_200_cert_b", "go_platform", "close_transfer_partner_authorization",
          "TransferAuthorization with only required fields: absent optional fields stay absent.", body=BODY_TRANSFER_MIN,
          serial=B),
        R("revoke_webizpay_employee_200_migration", "migration", "revoke_webizpay_employee",
          "webizpay revoke result on the migration client.", body=BODY_WEBIZPAY),
        # --- output details ---
        R("papay_amount_alias", "doc_pubkey", PP,
          "Amount objects given with the key 'amount' (as in ENTRUST.TERMINATE) instead of 'total': the output says 'total'.",
          body={**{k: v for k, v in BODY_PAPAY.items() if k != "deduct_schedule"},
                "deduct_schedule": {"estimated_deduct_date": "2024-12-01",
                                    "estimated_deduct_amount": {"amount": 100, "currency": "CNY"},
                                    "schedule_state": "PAID", "deduct_amount": {"amount": 100, "currency": "CNY"},
                                    "deduct_date": "2024-12-01"}}),
        R("credit_plan_id_as_number", "doc_pubkey", "terminate_credit_repayment_contract",
          "credit-repayment plan_id sent as a JSON number: the typed output holds the string \"200001\".",
          body={"contract_info": {**CREDIT_INFO, "plan_id": 200001}}),
        R("credit_amount_limit_as_string", "doc_pubkey", "terminate_credit_repayment_contract",
          "credit-repayment repayment_amount_limit sent as the digit string \"50000\": the typed output holds the integer 50000.",
          body={"contract_info": {k: v for k, v in {**CREDIT_INFO, "repayment_amount_limit": "50000"}.items()
                                  if k not in ("repayment_day", "openid", "appid", "contract_signed_time")}}),
        R("credit_without_contract_info", "go_platform", "terminate_credit_repayment_contract",
          "credit-repayment body {} (contract_info is optional): data is {}.", body={}, serial=A),
        # --- key selection / signing variants ---
        R("empty_body_204_cert_b", "go_platform", "terminate_eduschoolpay_contract",
          "204 with an empty body signed by cert B on the platform client (verification message ends with '\\n\\n').",
          status=204, raw=b"", serial=B),
        R("migration_signed_by_platform_cert", "migration", PE,
          "Migration client (public key + cert A) receiving a 200 signed by the platform certificate A.",
          body=BODY_PASSWORD_EXEMPT, serial=A),
        R("cert_serial_lowercase_header", "go_platform", PE,
          "Wechatpay-Serial in lower-case hex: certificate serials are matched case-insensitively.",
          body=BODY_PASSWORD_EXEMPT, serial=A, serial_header=A.lower()),
        R("lowercase_header_names", "doc_pubkey", PE,
          "All response header names in lower case (HTTP/2 style); header names are case-insensitive.",
          body=BODY_PASSWORD_EXEMPT, lower=True),
        R("cjk_body_signed", "go_platform", "revoke_webizpay_employee",
          "Body with multi-byte UTF-8 and a JSON escape (\\u5f20) signed over the raw bytes; data decodes the escape.",
          raw='{"sp_mchid":"1230000109","sub_mchid":"1900000109","user_id":"u1","authorization_state":"REVOKED",'
              '"authorization_revoked_time":"2024-11-24T10:00:00+08:00","reason":"\\u5f20三 离职"}'.encode(), serial=B),
        # --- verification failures ---
        R("tampered_body", "doc_pubkey", PE, "One character of the body changed after signing → invalid_signature.",
          raw=pe.replace("12535", "12536").encode(), sign_body=pe.encode(), expect_kind="invalid_signature"),
        R("signature_over_other_timestamp", "go_platform", PE,
          "Signature computed over a different timestamp than the Wechatpay-Timestamp header → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, serial=A, sign_ts="OTHER", expect_kind="invalid_signature"),
        R("signature_not_base64", "doc_pubkey", PE, "Wechatpay-Signature '!!!' is not base64 → invalid_signature (no crash).",
          body=BODY_PASSWORD_EXEMPT, sig="!!!", expect_kind="invalid_signature"),
        R("signature_by_wrong_key", "migration", PE,
          "Announces the public key id but is signed by platform cert A's key → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, sig="WRONGKEY", expect_kind="invalid_signature"),
        R("signature_probe", "doc_pubkey", PE,
          "Probe signature 'WECHATPAY/SIGNTEST/' + base64 garbage → signature_probe.",
          body=BODY_PASSWORD_EXEMPT, sig="PROBE", expect_kind="signature_probe"),
        R("signature_probe_204", "go_platform", "terminate_eduschoolpay_contract",
          "Probe signature on an empty 204 → signature_probe.", status=204, raw=b"", serial=A, sig="PROBE",
          expect_kind="signature_probe"),
        R("clock_skew_plus_301", "doc_pubkey", PE, "now = ts + 301 → clock_skew (window is |now − ts| ≤ 300).",
          body=BODY_PASSWORD_EXEMPT, now_delta=301, expect_kind="clock_skew"),
        R("clock_skew_minus_301", "go_platform", PE, "now = ts − 301 (response from the future) → clock_skew.",
          body=BODY_PASSWORD_EXEMPT, serial=A, now_delta=-301, expect_kind="clock_skew"),
        R("clock_skew_plus_300_ok", "doc_pubkey", PE, "now = ts + 300 is still accepted (boundary).",
          body=BODY_PASSWORD_EXEMPT, now_delta=300),
        R("clock_skew_minus_300_ok", "go_platform", "terminate_edu_papay_contract",
          "now = ts − 300 is still accepted (boundary), on a 204.", status=204, raw=b"", serial=B, now_delta=-300),
        R("unknown_serial_pub_key_id", "doc_pubkey", PE, "Wechatpay-Serial is a different PUB_KEY_ID → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial_header="PUB_KEY_ID_0119000072912025112400000000000002",
          expect_kind="unknown_serial"),
        R("unknown_serial_hex", "go_platform", PE, "Wechatpay-Serial is an unknown certificate serial → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial=A, serial_header="7132D72A03E93CDDF8C03BBD1F37EEDF204A5427",
          expect_kind="unknown_serial"),
        R("cert_serial_on_pubkey_only_client", "doc_pubkey", PE,
          "Response signed by platform cert A on a client that only has the public key → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial=A, expect_kind="unknown_serial"),
        R("cert_b_on_migration_client", "migration", PE,
          "Migration client only holds cert A; a response announced as cert B → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial=B, expect_kind="unknown_serial"),
        R("pub_key_id_on_platform_client", "go_platform", PE,
          "Platform-certificate client receiving a PUB_KEY_ID serial → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, expect_kind="unknown_serial"),
        R("missing_timestamp_header", "doc_pubkey", PE, "2xx without Wechatpay-Timestamp → unsigned_response.",
          body=BODY_PASSWORD_EXEMPT, drop=("Wechatpay-Timestamp",), expect_kind="unsigned_response"),
        R("missing_nonce_header", "doc_pubkey", PE, "2xx without Wechatpay-Nonce → unsigned_response.",
          body=BODY_PASSWORD_EXEMPT, drop=("Wechatpay-Nonce",), expect_kind="unsigned_response"),
        R("missing_signature_header", "go_platform", PE, "2xx without Wechatpay-Signature → unsigned_response.",
          body=BODY_PASSWORD_EXEMPT, serial=A, drop=("Wechatpay-Signature",), expect_kind="unsigned_response"),
        R("missing_serial_header", "go_platform", PE, "2xx without Wechatpay-Serial → unsigned_response.",
          body=BODY_PASSWORD_EXEMPT, serial=A, drop=("Wechatpay-Serial",), expect_kind="unsigned_response"),
        R("missing_all_wechatpay_headers_204", "doc_pubkey", "terminate_eduschoolpay_contract",
          "204 without any Wechatpay-* header → unsigned_response.", status=204, raw=b"", wechat_headers=False,
          expect_kind="unsigned_response"),
        R("timestamp_not_numeric", "doc_pubkey", PE,
          "Wechatpay-Timestamp 'abc' (signature computed over that literal text) → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, ts_header="abc", expect_kind="invalid_signature"),
        # --- decode failures (signature valid) ---
        R("signed_non_json_body", "doc_pubkey", PE, "Signed 200 whose body is not JSON → decode.",
          raw=b"<xml><return_code>SUCCESS</return_code></xml>", content_type="text/xml", expect_kind="decode"),
        R("signed_missing_required_field", "go_platform", PE, "Signed 200 missing the required output field mchid → decode.",
          body={"service_id": 12535, "out_contract_code": OCC}, serial=A, expect_kind="decode"),
        R("signed_missing_nested_required_field", "doc_pubkey", PP,
          "Signed 200 whose deduct_schedule lacks its required schedule_state → decode.",
          body={**BODY_PAPAY, "deduct_schedule": {"estimated_deduct_date": "2024-12-01",
                                                  "estimated_deduct_amount": {"total": 100}}},
          expect_kind="decode"),
        R("signed_empty_body_on_200_endpoint", "doc_pubkey", "close_transfer_authorization",
          "Signed 200 with an empty body on an endpoint that returns JSON → decode.", raw=b"", expect_kind="decode"),
        R("signed_non_utf8_body", "go_platform", PE, "Signed 200 whose body is not valid UTF-8 (given as body_base64) → decode.",
          raw=b'{"mchid":"\xff\xfe1900000109","service_id":12535,"out_contract_code":"x"}', serial=A, expect_kind="decode"),
        # --- API errors (never verified) ---
        R("error_400_param_error", "doc_pubkey", PE, "400 PARAM_ERROR with a structured detail → api, not retryable.",
          status=400, body={"code": "PARAM_ERROR", "message": "参数错误",
                            "detail": {"field": "/contract_termination_remark", "value": "",
                                       "issue": "contract_termination_remark不能为空", "location": "body"}},
          expect_kind="api"),
        R("error_401_sign_error", "go_platform", PP,
          "401 SIGN_ERROR with the nested detail the server echoes → api; its Wechatpay-Signature is garbage and is "
          "NOT verified (errors are never verified).",
          status=401, serial=A, sig="!!!",
          raw='{"code":"SIGN_ERROR","detail":{"detail":{"issue":"sign not match"},"field":"signature","location":"authorization",'
              '"sign_information":{"method":"POST","sign_message_length":85,"truncated_sign_message":"POST\\n/v3/papay/sign/",'
              '"url":"/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate"}},'
              '"message":"错误的签名，验签失败"}'.encode(),
          expect_kind="api"),
        R("error_403_no_auth", "doc_pubkey", PE, "403 NO_AUTH without detail → api, detail null.", status=403,
          body={"code": "NO_AUTH", "message": "商户无权限"}, expect_kind="api"),
        R("error_404_not_found_eduschoolpay", "migration", "terminate_eduschoolpay_contract",
          "404 NOT_FOUND on eduschoolpay terminate (even though the endpoint succeeds with 204) → api.", status=404,
          body={"code": "NOT_FOUND", "message": "合约不存在"}, expect_kind="api"),
        R("error_429_ratelimit", "doc_pubkey", "close_transfer_authorization", "429 RATELIMIT_EXCEEDED → api, retryable.",
          status=429, body={"code": "RATELIMIT_EXCEEDED", "message": "请求频率超限"}, expect_kind="api"),
        R("error_500_system_error_no_headers", "go_platform", PP,
          "500 SYSTEM_ERROR without any Wechatpay-* header → api, retryable.", status=500,
          body={"code": "SYSTEM_ERROR", "message": "系统错误"}, wechat_headers=False, expect_kind="api"),
        R("error_502_html", "doc_pubkey", PE, "502 with an HTML body (gateway) → api with code/message null, retryable.",
          status=502, raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html",
          wechat_headers=False, expect_kind="api"),
        R("error_503_empty_body", "go_platform", "terminate_edu_papay_contract",
          "503 with an empty body and no Request-ID → api, code/message/request_id null, retryable.", status=503,
          raw=b"", wechat_headers=False, expect_kind="api", expect_extra={"no_request_id": True}),
        # --- generic ---
        R("generic_200_raw_json", "doc_pubkey", None,
          "Generic call (operation null): the verified JSON body is returned as data unchanged (nothing dropped).",
          body={"activity_id": "126002309", "terminate_time": "2015-05-20T13:29:35+08:00", "extra": {"a": [1, 2]}}),
        # --- a proof header sent twice: different values are ambiguous → invalid_signature, identical ones are fine ---
        R("duplicate_signature_conflict", "doc_pubkey", PE,
          "A second Wechatpay-Signature (a valid signature by the same key over another body) after the valid one: "
          "two different values → invalid_signature (the first alone would verify).",
          body=BODY_PASSWORD_EXEMPT, dup=[("Wechatpay-Signature", "OTHER_SIG")], expect_kind="invalid_signature"),
        R("duplicate_signature_conflict_lowercase_name", "go_platform", PE,
          "The conflicting second signature header is named 'wechatpay-signature' (lower case): header names are "
          "compared case-insensitively → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, serial=A, dup=[("wechatpay-signature", "OTHER_SIG")], expect_kind="invalid_signature"),
        R("duplicate_timestamp_conflict", "doc_pubkey", "terminate_eduschoolpay_contract",
          "204 with a second Wechatpay-Timestamp one second later than the signed one → invalid_signature.",
          status=204, raw=b"", dup=[("Wechatpay-Timestamp", "OTHER_TS")], expect_kind="invalid_signature"),
        R("duplicate_nonce_conflict", "go_platform", PE,
          "A second, different Wechatpay-Nonce after the signed one → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, serial=B, dup=[("Wechatpay-Nonce", "OTHER_NONCE")], expect_kind="invalid_signature"),
        R("duplicate_serial_conflict", "go_platform", PE,
          "Signed by cert A, with a second Wechatpay-Serial naming cert B (also trusted) → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, serial=A, dup=[("Wechatpay-Serial", B)], expect_kind="invalid_signature"),
        R("duplicate_signature_type_conflict", "doc_pubkey", PE,
          "A second Wechatpay-Signature-Type WECHATPAY2-SM2-WITH-SM3 after WECHATPAY2-SHA256-RSA2048 → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, dup=[("Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3")],
          expect_kind="invalid_signature"),
        R("duplicate_signature_identical_lowercase_name", "doc_pubkey", PE,
          "The valid Wechatpay-Signature repeated with the identical value as 'wechatpay-signature': accepted, exact data.",
          body=BODY_PASSWORD_EXEMPT, dup=[("wechatpay-signature", "SAME")]),
        R("duplicate_all_proof_headers_identical", "go_platform", PP,
          "Wechatpay-Timestamp, -Nonce, -Serial, -Signature and -Signature-Type each repeated with the identical value "
          "(a proxy copying headers): accepted, exact data.",
          body=BODY_PAPAY, serial=A,
          dup=[("Wechatpay-Timestamp", "SAME"), ("Wechatpay-Nonce", "SAME"), ("Wechatpay-Serial", "SAME"),
               ("Wechatpay-Signature", "SAME"), ("Wechatpay-Signature-Type", "SAME")]),
        R("duplicate_request_id_different", "doc_pubkey", PE,
          "Two different Request-ID headers (the second named 'request-id'): informational, not part of the proof → "
          "accepted, request_id is the first.",
          body=BODY_PASSWORD_EXEMPT, dup=[("request-id", "OTHER_RID")]),
        # --- an unsupported Wechatpay-Signature-Type ---
        R("signature_type_sm2", "doc_pubkey", PE,
          "Wechatpay-Signature-Type WECHATPAY2-SM2-WITH-SM3 on a response whose RSA signature is valid → invalid_signature.",
          body=BODY_PASSWORD_EXEMPT, sig_type="WECHATPAY2-SM2-WITH-SM3", expect_kind="invalid_signature"),
        R("signature_type_sm2_204_cert_b", "go_platform", "terminate_edu_papay_contract",
          "Same on an empty 204 signed (validly, RSA) by cert B → invalid_signature.",
          status=204, raw=b"", serial=B, sig_type="WECHATPAY2-SM2-WITH-SM3", expect_kind="invalid_signature"),
        # --- public key ids match exactly, certificate serials case-insensitively ---
        R("pub_key_id_lowercase_on_pubkey_client", "doc_pubkey", PE,
          "Wechatpay-Serial is the client's public key id in lower case (pub_key_id_…), signed by that key: public key "
          "ids are matched exactly → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial_header=PUB_KEY_ID.lower(), expect_kind="unknown_serial"),
        R("pub_key_id_lowercase_on_migration_client", "migration", PE,
          "Same on the migration client (public key + cert A): the lower-cased id matches neither → unknown_serial.",
          body=BODY_PASSWORD_EXEMPT, serial_header=PUB_KEY_ID.lower(), expect_kind="unknown_serial"),
        R("cert_serial_lowercase_on_migration_client", "migration", PE,
          "Wechatpay-Serial is cert A's serial in lower-case hex on the migration client: certificate serials match "
          "case-insensitively → accepted, exact data.",
          body=BODY_PASSWORD_EXEMPT, serial=A, serial_header=A.lower()),
        # --- a bad signature and clock skew together: the RSA check comes first ---
        R("bad_signature_and_clock_skew_plus_400", "doc_pubkey", PE,
          "Signature over a different body AND now = ts + 400: the RSA check comes before the clock → invalid_signature.",
          raw=pe.encode(), sign_body=pe.replace("12535", "12536").encode(), now_delta=400,
          expect_kind="invalid_signature"),
        R("bad_signature_and_clock_skew_minus_400", "go_platform", "terminate_eduschoolpay_contract",
          "204 whose signature covers a non-empty body AND now = ts − 400 → invalid_signature (not clock_skew).",
          status=204, raw=b"", serial=A, sign_body=b"{}", now_delta=-400, expect_kind="invalid_signature"),
        # --- queries: one 200 per query operation (docs/query-endpoints.md), unknown fields dropped ---
        R("query_eduschoolpay_contract_200_pubkey", "doc_pubkey", "query_eduschoolpay_contract",
          "eduschoolpay contract after termination: contract_status DELETE, plan_id a string.", body=QBODY_EDUSCHOOLPAY),
        R("query_password_exempt_contract_200_cert_a", "go_platform", "query_password_exempt_contract",
          "password-exempt contract TERMINATED; its contract_terminate_info has no time (optional on this page), "
          "the time stays absent.", body=QBODY_PASSWORD_EXEMPT, serial=A),
        R("query_papay_contract_terminated_200_migration", "migration", "query_papay_contract",
          "A terminated direct papay contract (contract_state TERMINATED, contract_terminate_info).", body=QBODY_PAPAY),
        R("query_papay_partner_contract_200_cert_b", "go_platform", "query_papay_partner_contract",
          "Partner papay contract terminated by the user, no deduct_schedule.", body=QBODY_PAPAY_PARTNER, serial=B),
        R("query_papay_insurance_terminate_pending_200_pubkey", "doc_pubkey", "query_papay_insurance_contract",
          "Insurance contract in TERMINATE_PENDING without contract_terminate_info (absent optional stays absent).",
          body=QBODY_INSURANCE_PENDING),
        R("query_combine_papay_contract_200_cert_a", "go_platform", "query_combine_papay_contract",
          "combine-papay query returns the full contract (not the terminate echo); times with milliseconds are kept "
          "as sent.", body=QBODY_COMBINE, serial=A),
        R("query_credit_repayment_old_mode_spelling_200_pubkey", "doc_pubkey", "query_credit_repayment_contract",
          "credit-repayment contract at the top level, mode spelt contract_termination_mode (older YAML / wechatpay.im): "
          "the typed output says contract_terminated_mode.", body=QBODY_CREDIT_OLD_SPELLING),
        R("query_credit_repayment_new_spelling_200_cert_a", "go_platform", "query_credit_repayment_contract",
          "credit-repayment contract with the newer contract_terminated_mode spelling, plan_id as a number (→ \"200001\") "
          "and repayment_amount_limit as a digit string (→ 100000).",
          body={**{k: v for k, v in QBODY_CREDIT_OLD_SPELLING.items() if k != "contract_termination_mode"},
                "contract_terminated_mode": "TERMINATION_MODE_BY_USER", "plan_id": 200001,
                "repayment_amount_limit": "100000", "openid": OPENID, "appid": APPID}, serial=A),
        R("query_global_papay_plan_id_number_200_cert_a", "go_platform", "query_global_papay_contract",
          "global papay contract TERMINATED with plan_id sent as a JSON number: the typed output holds \"12535\".",
          body=QBODY_GLOBAL, serial=A),
        R("query_edu_papay_contract_200_migration_cert_a", "migration", "query_edu_papay_contract",
          "edu-papay contract with contract_information.contract_status DELETE; unknown fields dropped at both levels.",
          body=QBODY_EDU_PAPAY, serial=A),
        R("query_facepay_user_use_id_200_pubkey", "doc_pubkey", "query_facepay_user",
          "face-pay user TERMINATED, the id spelt use_id as documented; face_image_ok a boolean; student_info is not "
          "kept by the typed result.", body=QBODY_FACEPAY),
        R("query_facepay_user_id_alias_200_cert_b", "go_platform", "query_facepay_user",
          "face-pay user whose id comes as user_id (the corrected spelling): read as use_id.",
          body={"user_id": "o-0aHsx4xLb6GXHsiQfCDGKXtJN8", "out_user_id": "stu20200901001",
                "organization_id": "12345678", "contract_state": "NOT_CONTRACTED", **UNKNOWN}, serial=B),
        R("query_payscore_by_authorization_code_200_pubkey", "doc_pubkey",
          "query_payscore_permission_by_authorization_code",
          "pay-score permission revoked: UNAVAILABLE with cancel_authorization_time; user_risk_level (im only) dropped.",
          body=QBODY_PAYSCORE_CODE),
        R("query_payscore_by_openid_service_id_number_200_cert_a", "go_platform", "query_payscore_permission_by_openid",
          "pay-score permission with service_id sent as a number: the typed output holds the string \"500001\".",
          body=QBODY_PAYSCORE_OPENID, serial=A),
        R("query_payscore_partner_by_authorization_code_200_migration", "migration",
          "query_payscore_partner_permission_by_authorization_code", "pay-score partner permission revoked.",
          body=QBODY_PAYSCORE_PARTNER_CODE),
        R("query_payscore_partner_search_200_cert_b", "go_platform", "query_payscore_partner_permission",
          "pay-score partner search: still AVAILABLE, no authorization_code or openid (absent stay absent).",
          body=QBODY_PAYSCORE_PARTNER_SEARCH, serial=B),
        R("query_payscore_acquiringbank_200_pubkey", "doc_pubkey", "query_payscore_acquiringbank_permission",
          "pay-score acquiring-bank permission revoked, channel_id kept.", body=QBODY_PAYSCORE_ACQUIRINGBANK),
        R("query_payscore_user_service_state_200_cert_a", "go_platform", "query_payscore_user_service_state",
          "older pay-score user service state: use_service_state UNAVAILABLE.", body=QBODY_PAYSCORE_USER_SERVICE_STATE,
          serial=A),
        R("query_transfer_authorization_200_pubkey", "doc_pubkey", "query_transfer_authorization",
          "Transfer authorization CLOSED via CLOSE_VIA_MCH_API (the confirm condition of §3.7).", body=QBODY_TRANSFER),
        R("query_transfer_partner_authorization_200_cert_b", "go_platform", "query_transfer_partner_authorization",
          "Partner transfer authorization closed with USER_OVERDUE_UNCONFIRMED; transfer_scene_id sent as the number "
          "1005 comes out as \"1005\"; user_recv_perception absent.", body=QBODY_TRANSFER_PARTNER, serial=B),
        R("query_webizpay_two_employees_200_migration", "migration", "query_webizpay_employee_authorization",
          "WeBizPay user with two authorizations (REVOKED, then AUTHORIZED without a revoked time); unknown fields "
          "dropped at the top level and inside a list entry.", body=QBODY_WEBIZPAY),
        # --- query failures ---
        R("query_papay_missing_contract_state_decode", "doc_pubkey", "query_papay_contract",
          "Signed 200 papay query body without the required contract_state → decode.",
          body={k: v for k, v in QBODY_PAPAY.items() if k != "contract_state"}, expect_kind="decode"),
        R("query_payscore_missing_authorization_state_decode", "go_platform",
          "query_payscore_permission_by_authorization_code",
          "Signed 200 pay-score query body without the required authorization_state → decode.",
          body={k: v for k, v in QBODY_PAYSCORE_CODE.items() if k != "authorization_state"}, serial=A,
          expect_kind="decode"),
        R("query_webizpay_entry_missing_employee_id_decode", "doc_pubkey", "query_webizpay_employee_authorization",
          "Signed 200 WeBizPay query whose employee_list entry lacks the required employee_id → decode.",
          body={**QBODY_WEBIZPAY, "employee_list": [{"authorization_state": "REVOKED"}]}, expect_kind="decode"),
        R("query_edu_papay_error_404_not_found", "doc_pubkey", "query_edu_papay_contract",
          "404 NOT_FOUND from the edu-papay query (older docs answer a terminated contract this way, §2.1) → api, "
          "not retryable.", status=404, body={"code": "NOT_FOUND", "message": "签约信息不存在"}, expect_kind="api"),
        R("query_transfer_partner_error_404_not_found", "go_platform", "query_transfer_partner_authorization",
          "404 NOT_FOUND for an overdue-unconfirmed authorization closed more than 30 days ago (§3.7) → api.",
          status=404, serial=A, body={"code": "NOT_FOUND", "message": "授权记录不存在"}, expect_kind="api"),
    ]
    return out


def gen_responses(keys: KeySet) -> None:
    cases = response_cases()
    check(len({c.name for c in cases}) == len(cases), "duplicate response names")
    ok_ops = {c.op for c in cases if c.expect_kind is None}
    check(set(CATALOG) <= ok_ops, f"response successes miss {set(CATALOG) - ok_ops}")
    for i, c in enumerate(cases):
        ts = 1700001000 + 10 * i
        nonce = det_b62("response/" + c.name)
        if c.raw is not None:
            body_bytes = c.raw
        elif c.body is not None:
            body_bytes = compact(c.body).encode("utf-8")
        else:
            body_bytes = b""
        ts_text = c.ts_header if c.ts_header is not None else str(ts)
        signer = keys.response_signer[c.serial]
        sign_ts = (str(ts - 60)) if c.sign_ts == "OTHER" else ts_text
        sign_body = c.sign_body if c.sign_body is not None else body_bytes
        message = sign_ts.encode() + b"\n" + nonce.encode() + b"\n" + sign_body + b"\n"
        if c.sig is None:
            sig = sign_checked(signer, message)
        elif c.sig == "PROBE":
            sig = "WECHATPAY/SIGNTEST/" + b64(hashlib.sha256(b"probe/" + c.name.encode()).digest() * 8)
        elif c.sig == "WRONGKEY":
            sig = sign_checked(keys.cert_priv[CERT_A_HEX], message)
            check(not verifies(keys.wxpub, message, sig), "wrong-key signature verifies")
        else:
            sig = c.sig
        full_message = ts_text.encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n"
        # self-check: what the client will verify
        header_fault = bool(c.dup) or c.sig_type is not None
        if header_fault:
            # the header rule is the only fault: read first-wins, the message verifies
            pub = keys.wxpub if c.serial == PUB_KEY_ID else keys.cert_pub[c.serial]
            check(verifies(pub, full_message, sig), f"{c.name}: the first-wins reading must verify")
        elif c.expect_kind == "invalid_signature" and c.status < 300 and c.ts_header is None:
            pub = keys.wxpub if c.serial == PUB_KEY_ID else keys.cert_pub[c.serial]
            check(not verifies(pub, full_message, sig), f"{c.name}: bad signature unexpectedly verifies")
        elif c.sig is None and c.sign_ts is None and c.sign_body is None:
            pub = keys.wxpub if c.serial == PUB_KEY_ID else keys.cert_pub[c.serial]
            check(verifies(pub, full_message, sig), f"{c.name}: signature does not verify")
        request_id = None if (c.expect_extra or {}).get("no_request_id") else "08" + det_hex("rid/" + c.name, 40)
        headers = []
        if body_bytes:
            headers.append(["Content-Type", c.content_type or "application/json"])
        if request_id:
            headers.append(["Request-ID", request_id])
        if c.wechat_headers:
            headers += [
                ["Wechatpay-Nonce", nonce],
                ["Wechatpay-Serial", c.serial_header or c.serial],
                ["Wechatpay-Signature", sig],
                ["Wechatpay-Signature-Type", c.sig_type or SIGNATURE_TYPE],
                ["Wechatpay-Timestamp", ts_text],
            ]
        for dname, dval in c.dup:
            own = [v for k, v in headers if k.lower() == dname.lower()]
            check(len(own) == 1, f"{c.name}: duplicate of a header that is sent once")
            if dval == "SAME":
                dval = own[0]
            elif dval == "OTHER_SIG":
                dval = sign_checked(signer, sign_ts.encode() + b"\n" + nonce.encode() + b"\n" + b'{"other":"body"}' + b"\n")
                check(not verifies(signer.public_key(), full_message, dval), f"{c.name}: the other signature verifies")
            elif dval == "OTHER_TS":
                dval = str(ts + 1)
            elif dval == "OTHER_NONCE":
                dval = det_b62("response-other/" + c.name)
            elif dval == "OTHER_RID":
                dval = "08" + det_hex("rid-other/" + c.name, 40)
            if dname.lower() == "request-id":
                check(dval != own[0] and c.expect_kind is None, f"{c.name}: a different Request-ID is no fault")
            else:
                check((dval == own[0]) == (c.expect_kind is None),
                      f"{c.name}: proof-header values differ exactly in the conflict cases")
            headers.append([dname, dval])
        headers = [h for h in headers if h[0] not in c.drop]
        if c.lower:
            headers = [[k.lower(), v] for k, v in headers]
        now = ts + c.now_delta
        # derive the expectation with the reference model and compare with the declared one
        try:
            got = ("ok", process_response(c.client, c.op, now, c.status, headers, body_bytes, keys))
        except Outcome as o:
            got = (o.kind, o.kw)
        declared = c.expect_kind or "ok"
        check(got[0] == declared, f"response/{c.name}: model says {got[0]} ({got[1]}), case says {declared}")
        if declared == "ok":
            expect = {"ok": got[1]}
            if c.status == 204 or (c.op and CATALOG[c.op].output is None):
                check(got[1]["data"] is None, f"{c.name}: 204 data")
        elif declared == "api":
            expect = {"error": {"kind": "api", **got[1]}}
        else:
            expect = {"error": {"kind": declared}}
        resp = {"status": c.status, "headers": headers}
        try:
            resp["body"] = body_bytes.decode("utf-8")
        except UnicodeDecodeError:
            resp["body_base64"] = b64(body_bytes)
        emit("response", c.name, {
            "type": "response", "description": c.desc,
            "source": ORACLE, "client": c.client, "operation": c.op, "now": now, "response": resp, "expect": expect,
        })

    # hand-written spot checks of a few expectations
    def w(name):
        return WRITTEN[f"response/{name}.json"]["expect"]
    check(w("papay_amount_alias")["ok"]["data"]["deduct_schedule"]["estimated_deduct_amount"] == {"total": 100, "currency": "CNY"}, "alias")
    check(w("credit_plan_id_as_number")["ok"]["data"]["contract_info"]["plan_id"] == "200001", "plan_id coercion")
    check(w("credit_amount_limit_as_string")["ok"]["data"]["contract_info"]["repayment_amount_limit"] == 50000, "limit coercion")
    check("unknown_field_for_test" not in w("password_exempt_200_pubkey")["ok"]["data"], "unknown dropped")
    check("nested_unknown" not in w("papay_200_cert_a")["ok"]["data"]["deduct_schedule"], "nested unknown dropped")
    check(w("error_429_ratelimit")["error"]["retryable"] is True, "429 retryable")
    check(w("error_400_param_error")["error"]["retryable"] is False, "400 not retryable")
    e502 = w("error_502_html")["error"]
    check(e502["code"] is None and e502["message"] is None and e502["retryable"] is True, "502")
    check(w("error_403_no_auth")["error"]["detail"] is None, "403 detail null")
    check(w("generic_200_raw_json")["ok"]["data"]["extra"] == {"a": [1, 2]}, "generic raw")
    check(w("error_503_empty_body")["error"]["request_id"] is None, "503 request id")
    # the query cases
    check(w("query_global_papay_plan_id_number_200_cert_a")["ok"]["data"]["plan_id"] == "12535", "global plan_id")
    credit_old = w("query_credit_repayment_old_mode_spelling_200_pubkey")["ok"]["data"]
    check(credit_old["contract_terminated_mode"] == "TERMINATION_MODE_BY_MERCHANT"
          and "contract_termination_mode" not in credit_old, "credit old spelling")
    credit_new = w("query_credit_repayment_new_spelling_200_cert_a")["ok"]["data"]
    check(credit_new["plan_id"] == "200001" and credit_new["repayment_amount_limit"] == 100000, "credit coercions")
    check(w("query_facepay_user_use_id_200_pubkey")["ok"]["data"]["use_id"] == "o-0aHsx4xLb6GXHsiQfCDGKXtJN8"
          and "student_info" not in w("query_facepay_user_use_id_200_pubkey")["ok"]["data"], "facepay use_id")
    check(w("query_facepay_user_id_alias_200_cert_b")["ok"]["data"] ==
          {"use_id": "o-0aHsx4xLb6GXHsiQfCDGKXtJN8", "out_user_id": "stu20200901001", "organization_id": "12345678",
           "contract_state": "NOT_CONTRACTED"}, "facepay alias")
    check(w("query_papay_insurance_terminate_pending_200_pubkey")["ok"]["data"]["contract_state"] == "TERMINATE_PENDING"
          and "contract_terminate_info" not in w("query_papay_insurance_terminate_pending_200_pubkey")["ok"]["data"],
          "insurance pending")
    check(w("query_papay_contract_terminated_200_migration")["ok"]["data"]["contract_terminate_info"] == TERM_INFO,
          "papay terminated info")
    check(w("query_password_exempt_contract_200_cert_a")["ok"]["data"]["contract_terminate_info"] ==
          {"contract_termination_mode": "MCH_API_TERMINATE", "contract_termination_remark": REMARK}, "pe info no time")
    check(w("query_payscore_by_openid_service_id_number_200_cert_a")["ok"]["data"]["service_id"] == "500001", "service_id")
    check(w("query_transfer_partner_authorization_200_cert_b")["ok"]["data"]["transfer_scene_id"] == "1005", "scene id")
    webiz = w("query_webizpay_two_employees_200_migration")["ok"]["data"]
    check(webiz["employee_list"] == [
        {"employee_id": "WeBizPay_a968402a-0001", "authorization_state": "REVOKED",
         "authorization_time": "2024-01-01T10:00:00+08:00", "authorization_revoked_time": "2024-11-24T10:00:00+08:00"},
        {"employee_id": "WeBizPay_a968402a-0002", "authorization_state": "AUTHORIZED",
         "authorization_time": "2024-11-25T10:00:00+08:00"}], "webizpay list")
    check(w("query_edu_papay_error_404_not_found")["error"]["code"] == "NOT_FOUND"
          and w("query_edu_papay_error_404_not_found")["error"]["retryable"] is False, "edu 404")
    for rel, case in WRITTEN.items():
        if rel.startswith("response/query_") and "ok" in case["expect"]:
            check("unknown_field_for_test" not in case["expect"]["ok"]["data"], f"{rel}: unknown dropped")
    # the rule cases
    def hdrs(name):
        return WRITTEN[f"response/{name}.json"]["response"]["headers"]

    def values(name, header):
        return [v for k, v in hdrs(name) if k.lower() == header.lower()]
    for name in ("duplicate_signature_conflict", "duplicate_signature_conflict_lowercase_name",
                 "duplicate_timestamp_conflict", "duplicate_nonce_conflict", "duplicate_serial_conflict",
                 "duplicate_signature_type_conflict"):
        check(any(len(set(values(name, h))) == 2 for h in PROOF_HEADERS), f"{name}: two different values")
        check(w(name)["error"]["kind"] == "invalid_signature", f"{name}: kind")
    check(["wechatpay-signature" == k for k, _ in hdrs("duplicate_signature_conflict_lowercase_name")].count(True) == 1,
          "lower-case duplicate name")
    dup_all = hdrs("duplicate_all_proof_headers_identical")
    check(all(len(values("duplicate_all_proof_headers_identical", h)) == 2 and
              len(set(values("duplicate_all_proof_headers_identical", h))) == 1 for h in PROOF_HEADERS), "identical repeats")
    check(len(dup_all) == 12, "identical repeats: 2 + 5 + 5 headers")
    check(w("duplicate_all_proof_headers_identical")["ok"]["data"] == w("papay_200_cert_a")["ok"]["data"], "same data")
    rids = values("duplicate_request_id_different", "Request-ID")
    check(len(rids) == 2 and rids[0] != rids[1] and w("duplicate_request_id_different")["ok"]["request_id"] == rids[0],
          "first Request-ID")
    check(values("signature_type_sm2", "Wechatpay-Signature-Type") == ["WECHATPAY2-SM2-WITH-SM3"], "sm2 type")
    check(values("pub_key_id_lowercase_on_pubkey_client", "Wechatpay-Serial") ==
          ["pub_key_id_0119000072912025112400000000000001"], "lower-case public key id")
    check(w("cert_serial_lowercase_on_migration_client")["ok"]["data"] ==
          {"mchid": "1900000109", "service_id": 12535, "out_contract_code": OCC}, "lower-case cert serial data")
    for name, delta in (("bad_signature_and_clock_skew_plus_400", 400), ("bad_signature_and_clock_skew_minus_400", -400)):
        case = WRITTEN[f"response/{name}.json"]
        ts_v = int(values(name, "Wechatpay-Timestamp")[0])
        check(case["now"] - ts_v == delta and abs(delta) > SKEW, f"{name}: skew")
        pub = keys.wxpub if case["client"] == "doc_pubkey" else keys.cert_pub[CERT_A_HEX]
        msg = f"{ts_v}\n{values(name, 'Wechatpay-Nonce')[0]}\n{case['response']['body']}\n".encode()
        check(not verifies(pub, msg, values(name, "Wechatpay-Signature")[0]), f"{name}: signature must not verify")


# ---------------------------------------------------------------------------
# notification cases
# ---------------------------------------------------------------------------
#
# This is the oracle's own transcription of the "Termination events" table of
# docs/notifications.md.  Field codes: S = JSON string (strict); U64 = u64 in
# the table, accepted as a JSON integer or a digit string, output as a JSON
# integer; STR = str in the table, accepted as a JSON string or integer, output
# as a JSON string; AMT = Amount {total* (integer; `amount` accepted), currency};
# a dict is a nested object.  A trailing '*' marks a required field.

S, U64, STR, AMT = "S", "U64", "STR", "AMT"

N_TERMINATE_INFO = {"contract_termination_mode*": S, "contract_terminated_time": S, "contract_termination_remark": S}
N_SCHEMAS = {
    "ENTRUST.TERMINATE": {
        "contract_id*": S, "plan_id*": U64, "out_contract_code*": S, "contract_display_account": S,
        "contract_state*": S, "contract_signed_time": S, "contract_expired_time": S,
        "contract_terminate_info": N_TERMINATE_INFO,
        "deduct_schedule": {"estimated_deduct_date*": S, "estimated_deduct_amount*": AMT, "schedule_state*": S,
                            "scheduled_amount": AMT, "deduct_amount": AMT, "deduct_date": S},
        "out_user_code": S, "mchid": S, "appid": S, "openid": S, "sp_mchid": S, "sp_appid": S, "sub_mchid": S,
        "sub_appid": S, "sp_openid": S, "sub_openid": S,
    },
    "INSURANCE_ENTRUST.TERMINATE": {
        "mchid*": S, "contract_id*": S, "appid*": S, "plan_id*": U64, "out_contract_code*": S,
        "insured_display_name": S, "contract_state*": S, "contract_signed_time": S, "contract_expired_time": S,
        "openid*": S, "contract_terminate_info": N_TERMINATE_INFO, "out_user_code": S,
    },
    "ECOMMERCE_ENTRUST.TERMINATE": {
        "mchid*": S, "out_contract_code*": S, "plan_id*": U64, "appid": S, "openid": S, "operate_time": S,
        "contract_termination_mode*": S, "attach": S,
    },
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT": {
        "sp_mchid": S, "contract_id*": S, "plan_id*": STR, "out_contract_code*": S, "display_name": S,
        "contract_state*": S, "contract_signed_time": S, "contract_terminated_time": S, "contract_terminated_mode": S,
        "contract_termination_remark": S, "repayment_day": U64, "repayment_amount_limit": U64, "appid": S, "openid": S,
    },
    "PAPAY.TERMINATE": {
        "mchid": S, "out_contract_code": S, "appid": S, "openid": S, "contract_id": S, "plan_id": U64,
        "operate_time": S, "contract_expired_time": S, "contract_termination_mode": S, "sp_mchid": S, "sp_appid": S,
        "sp_openid": S, "sub_mchid": S, "sub_appid": S, "sub_openid": S,
    },
    "ENTRUST.RELEASE": {
        "sp_mchid": S, "appid": S, "sub_mchid": S, "sub_appid": S, "openid": S, "sub_openid": S, "plan_id": STR,
        "contract_information*": {"contract_id*": S, "contract_status*": S, "create_time": S},
    },
    "PAYSCORE.USER_CLOSE_SERVICE": {
        "appid": S, "mchid": S, "sub_appid": S, "sub_mchid": S, "channel_id": S, "service_id*": STR, "openid": S,
        "sub_openid": S, "user_service_status": S, "openorclose_time": S, "authorization_code": S,
        "out_request_no": S, "contract_id": S, "plan_id": STR, "contract_status": S, "out_contract_code": S,
    },
    "FACEPAY.USER_STATE_CHANGE": {
        "user_id": S, "out_user_id": S, "organization_id": S, "mchid": S, "notify_create_time": S, "appid": S,
        "openid": S, "contract_id*": S,
    },
    "MCHTRANSFER.AUTHORIZATION.CLOSED": {
        "out_authorization_no*": S, "appid": S, "openid": S, "user_display_name": S, "authorization_id": S,
        "state*": S, "authorize_time": S, "close_info": {"close_time*": S, "close_reason*": S},
    },
    "WEBIZPAY.REVOKED": {
        "sp_mchid": S, "sub_mchid*": S, "user_id*": S, "authorization_state*": S, "authorization_revoked_time": S,
        "reason": S,
    },
}
check(len(N_SCHEMAS) == 10, "ten termination event types")
# documented alternate spellings: output name -> accepted input name
N_ALIASES = {"mchid": "mch_id", "sub_mchid": "sub_mch_id"}
NOTIFY_ALGORITHM = "AEAD_AES_256_GCM"


def n_is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def n_type(schema: dict, obj, where: str):
    """Project a decrypted plaintext object onto a schema (unknown fields dropped)."""
    if not isinstance(obj, dict):
        raise Outcome("decode", why=f"{where} is not an object")
    out = {}
    for spec, typ in schema.items():
        name, required = spec.rstrip("*"), spec.endswith("*")
        if name in obj:
            v = obj[name]
        elif name in N_ALIASES and N_ALIASES[name] in obj:
            v = obj[N_ALIASES[name]]
        else:
            if required:
                raise Outcome("decode", why=f"{where}/{name} missing")
            continue
        path = f"{where}/{name}"
        if isinstance(typ, dict):
            out[name] = n_type(typ, v, path)
        elif typ == S:
            if not isinstance(v, str):
                raise Outcome("decode", why=f"{path} is not a string")
            out[name] = v
        elif typ == U64:
            if n_is_int(v) and 0 <= v < 2**64:
                out[name] = v
            elif isinstance(v, str) and re.fullmatch(r"[0-9]+", v) and int(v) < 2**64:
                out[name] = int(v)
            else:
                raise Outcome("decode", why=f"{path} is not a u64")
        elif typ == STR:
            if isinstance(v, str):
                out[name] = v
            elif n_is_int(v):
                out[name] = str(v)
            else:
                raise Outcome("decode", why=f"{path} is neither a string nor an integer")
        elif typ == AMT:
            if not isinstance(v, dict):
                raise Outcome("decode", why=f"{path} is not an object")
            total = v["total"] if "total" in v else v.get("amount")
            if not (n_is_int(total) and total >= 0):
                raise Outcome("decode", why=f"{path}/total missing or not an integer")
            amount = {"total": total}
            if "currency" in v:
                if not isinstance(v["currency"], str):
                    raise Outcome("decode", why=f"{path}/currency is not a string")
                amount["currency"] = v["currency"]
            out[name] = amount
        else:
            raise AssertionError(typ)
    return out


def verify_notification(client_name: str, now: int, headers: list, body_bytes: bytes, keys: KeySet) -> None:
    """Step 1 of docs/notifications.md: verify exactly as a response, plus the signature type."""
    hmap = {}
    for k, v in headers:
        hmap.setdefault(k.lower(), v)
    check_no_conflicting_headers(headers)
    for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"):
        if h not in hmap:
            raise Outcome("unsigned_response")
    sig_type = hmap.get("wechatpay-signature-type")
    if sig_type is not None and sig_type != SIGNATURE_TYPE:
        raise Outcome("invalid_signature")
    ts_s, nonce, sig, serial = (hmap[h] for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"))
    if not re.fullmatch(r"[0-9]+", ts_s):
        raise Outcome("invalid_signature")
    if sig.startswith("WECHATPAY/SIGNTEST/"):
        raise Outcome("signature_probe")
    c = CLIENTS[client_name]
    pub = None
    if c["wechatpay_public_key_id"] and serial == c["wechatpay_public_key_id"]:
        pub = keys.wxpub
    for f in c["platform_certificates"] or []:
        if keys.cert_file_serial[f].upper() == serial.upper():
            pub = keys.cert_pub[keys.cert_file_serial[f]]
    if pub is None:
        raise Outcome("unknown_serial")
    if not verifies(pub, ts_s.encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n", sig):
        raise Outcome("invalid_signature")
    if abs(now - int(ts_s)) > SKEW:
        raise Outcome("clock_skew")


def process_notification(client_name: str, now: int, headers: list, body_bytes: bytes, keys: KeySet):
    """Reference model of parse_notification: returns (notification JSON, decrypted plaintext bytes)."""
    verify_notification(client_name, now, headers, body_bytes, keys)
    try:
        env = json.loads(body_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Outcome("decode", why="envelope is not JSON")
    if not isinstance(env, dict):
        raise Outcome("decode", why="envelope is not an object")
    for f in ("id", "create_time", "event_type", "resource_type"):
        if not isinstance(env.get(f), str):
            raise Outcome("decode", why=f"envelope {f}")
    if "summary" in env and not isinstance(env["summary"], str):
        raise Outcome("decode", why="summary")
    res = env.get("resource")
    if not isinstance(res, dict):
        raise Outcome("decode", why="envelope resource")
    for f in ("algorithm", "ciphertext", "nonce"):
        if not isinstance(res.get(f), str):
            raise Outcome("decode", why=f"resource {f}")
    for f in ("associated_data", "original_type"):
        if f in res and not isinstance(res[f], str):
            raise Outcome("decode", why=f"resource {f}")
    if env["resource_type"] != "encrypt-resource":
        raise Outcome("decode", why="resource_type")
    key = CLIENTS[client_name].get("apiv3_key")
    if key is None or len(key.encode("utf-8")) != 32:
        raise Outcome("invalid_key")
    if res["algorithm"] != NOTIFY_ALGORITHM:
        raise Outcome("decryption", why="algorithm")
    try:
        blob = base64.b64decode(res["ciphertext"], validate=True)
    except ValueError:
        raise Outcome("decryption", why="ciphertext is not base64")
    if len(blob) < 16:
        raise Outcome("decryption", why="ciphertext shorter than the tag")
    try:
        plain = AESGCM(key.encode("utf-8")).decrypt(
            res["nonce"].encode("utf-8"), blob, res.get("associated_data", "").encode("utf-8"))
    except InvalidTag:
        raise Outcome("decryption", why="tag")
    try:
        obj = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Outcome("decode", why="plaintext is not JSON")
    schema = N_SCHEMAS.get(env["event_type"])
    resource = obj if schema is None else n_type(schema, obj, env["event_type"])
    out = {k: env[k] for k in ("id", "create_time", "event_type", "resource_type")}
    if "summary" in env:
        out["summary"] = env["summary"]
    if "original_type" in res:
        out["original_type"] = res["original_type"]
    out["resource"] = resource
    return out, plain


def n_dropped(plain, out, where="") -> list[str]:
    """Paths of plaintext keys that do not reach the typed output (alternates count as kept)."""
    back = {v: k for k, v in N_ALIASES.items()}
    dropped = []
    for k, v in plain.items():
        name = back.get(k, k)
        if name not in out and not (k == "amount" and "total" in out):
            dropped.append(f"{where}/{k}")
        elif isinstance(v, dict) and isinstance(out.get(name), dict):
            dropped += n_dropped(v, out[name], f"{where}/{k}")
    return dropped


# --- realistic plaintexts (reference notifications.md §2; values in the style of the official examples) ---

N_UNKNOWN = {"unknown_field_for_test": "must be dropped"}
N_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
N_SUB_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p"
N_APPID = "wxd678efh567hg6787"

PT_ENTRUST_DIRECT = {
    "mchid": "1234567890", "appid": N_APPID, "contract_id": "Wx15463511252015071056489715", "plan_id": 12535,
    "out_contract_code": "wxwtdk20200910100000", "contract_display_account": "微信代扣", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2099-12-31T23:59:59+08:00",
    "openid": N_OPENID,
    "contract_terminate_info": {"contract_termination_mode": "USER_TERMINATE",
                                "contract_terminated_time": "2024-11-24T10:59:58.120+08:00",
                                "contract_termination_remark": "用户主动解约", "terminate_channel": "WECHAT_APP"},
    "deduct_schedule": {"estimated_deduct_date": "2024-12-01",
                        "estimated_deduct_amount": {"amount": 2990, "currency": "CNY"},
                        "schedule_state": "SCHEDULED", "scheduled_amount": {"amount": 2990, "currency": "CNY"},
                        "deduct_amount": {"amount": 0}, "deduct_date": "2024-11-01"},
    "out_user_code": "user_20240101", **N_UNKNOWN,
}
PT_ENTRUST_PARTNER = {
    "contract_id": "Wx15463511252015071056489716", "sp_mchid": "1230000109", "sp_appid": N_APPID,
    "sub_mchid": "1900000109", "sub_appid": "wx8888888888888888", "plan_id": "12535",
    "out_contract_code": "wxwtdk20200910100001", "contract_display_account": "张三的会员", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2099-12-31T23:59:59+08:00",
    "sp_openid": N_OPENID, "sub_openid": N_SUB_OPENID,
    "contract_terminate_info": {"contract_termination_mode": "MCH_API_TERMINATE",
                                "contract_terminated_time": "2024-11-24T11:02:00+08:00"},
    "deduct_schedule": {"estimated_deduct_date": "2024-12-01", "estimated_deduct_amount": {"total": 100, "currency": "CNY"},
                        "schedule_state": "NO_SCHEDULED", "schedule_unknown": 1},
    **N_UNKNOWN,
}
PT_INSURANCE = {
    "mchid": "1900007291", "contract_id": "Wx15463511252015071056489717", "appid": N_APPID, "plan_id": 10086,
    "out_contract_code": "ins20240101000001", "insured_display_name": "张*", "contract_state": "TERMINATED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00", "contract_expired_time": "2025-01-01T10:00:00+08:00",
    "openid": N_OPENID,
    "contract_terminate_info": {"contract_termination_mode": "CUSTOMER_SERVICE_TERMINATE",
                                "contract_terminated_time": "2024-11-24T11:03:00+08:00",
                                "contract_termination_remark": "客服解约"},
    "out_user_code": "insured_user_0001", "insurance_product_id": "INS-0001", **N_UNKNOWN,
}
PT_ECOMMERCE = {
    "mchid": "1234567890", "out_contract_code": "combine20240101000001", "plan_id": 12535, "appid": N_APPID,
    "openid": N_OPENID, "operate_time": "2024-11-24T11:04:00+08:00", "contract_termination_mode": "MCH_API_TERMINATE",
    "attach": "merchant-attach-1", **N_UNKNOWN,
}
PT_CREDIT = {
    "sp_mchid": "1230000109", "contract_id": "100005698", "plan_id": 200001, "out_contract_code": "100001256",
    "display_name": "*明", "contract_state": "CONTRACT_STATE_TERMINATED", "contract_signed_time": "2024-01-01T10:00:00+08:00",
    "contract_terminated_time": "2024-11-24T11:05:00+08:00", "contract_terminated_mode": "TERMINATION_MODE_BY_USER",
    "contract_termination_remark": "用户解约", "repayment_day": 5, "repayment_amount_limit": "50000", "appid": N_APPID,
    "openid": N_OPENID, "bank_type": "CMB_CREDIT", **N_UNKNOWN,
}
PT_PAPAY_GLOBAL_MIN = {"contract_id": "201710180325670965", **N_UNKNOWN}
PT_PAPAY_GLOBAL_FULL = {
    "mchid": "1900007291", "out_contract_code": "globalpapay20240101", "appid": N_APPID, "openid": N_OPENID,
    "contract_id": "201710180325670966", "plan_id": "123", "operate_time": "2024-11-24T11:07:00+08:00",
    "contract_expired_time": "2099-12-31T23:59:59+08:00", "contract_termination_mode": "USER",
    "sp_mchid": "1230000109", "sp_appid": "wxdace645e0bc2cXXX", "sp_openid": N_OPENID, "sub_mchid": "1900000109",
    "sub_appid": "wx8888888888888888", "sub_openid": N_SUB_OPENID, "contract_state": "TERMINATED", **N_UNKNOWN,
}
PT_RELEASE = {
    "sp_mchid": "1230000109", "appid": N_APPID, "sub_mchid": "1900000109", "sub_appid": "wx8888888888888888",
    "openid": N_OPENID, "sub_openid": N_SUB_OPENID, "plan_id": "10001",
    "contract_information": {"contract_id": "wx2020010112000000000000000000", "contract_status": "DELETE",
                             "create_time": "2024-01-01T10:00:00+08:00", "user_id": "should-be-dropped"},
    **N_UNKNOWN,
}
PT_PAYSCORE = {
    "appid": N_APPID, "mch_id": "1230000109", "sub_appid": "wx8888888888888888", "sub_mch_id": "1900000109",
    "channel_id": "1900009231", "service_id": "500001", "openid": N_OPENID, "sub_openid": N_SUB_OPENID,
    "user_service_status": "USER_CLOSE_SERVICE", "openorclose_time": "2024-11-24T11:09:00+08:00",
    "authorization_code": "1234323JKHDFE1243252", "out_request_no": "1234323JKHDFE1243253", **N_UNKNOWN,
}
PT_PAYSCORE_EDU = {
    "appid": N_APPID, "mchid": "1900007291", "service_id": "500002", "openid": N_OPENID,
    "user_service_status": "USER_CLOSE_SERVICE", "openorclose_time": "2024-11-24T11:10:00+08:00",
    "contract_id": "eduschool20240101000000000001", "plan_id": 1002, "contract_status": "DELETE",
    "out_contract_code": "edu20240101000001", "school_id": "SCHOOL-001", **N_UNKNOWN,
}
PT_FACEPAY = {
    "user_id": "o-0aHsx4xLb6GXHsiQfCDGKXtJN8", "out_user_id": "student_0001", "organization_id": "12345678",
    "mch_id": "1234567890", "notify_create_time": "2024-11-24T11:11:00.120+08:00", "appid": N_APPID,
    "openid": N_OPENID, "contract_id": "facepay20240101000000000001", "user_state": "TERMINATED", **N_UNKNOWN,
}
PT_TRANSFER = {
    "out_authorization_no": "plfk2020042013", "appid": N_APPID, "openid": N_OPENID, "user_display_name": "张*",
    "authorization_id": "1330000114850082", "state": "CLOSED", "authorize_time": "2024-01-01T10:00:00+08:00",
    "close_info": {"close_time": "2024-11-24T11:12:00+08:00", "close_reason": "USER_CLOSE", "close_remark": "x"},
    "transfer_scene_id": "1005", **N_UNKNOWN,
}
PT_WEBIZPAY = {
    "sp_mchid": "1230000109", "sub_mchid": "1900000109", "user_id": "2000000000000000001",
    "authorization_state": "REVOKED", "authorization_revoked_time": "2024-11-24T11:13:00+08:00", "reason": "员工注销",
    "employee_name": "李*", **N_UNKNOWN,
}
PT_ENTRUST_SIGN = {
    "mchid": "1234567890", "appid": N_APPID, "contract_id": "Wx15463511252015071056489718", "plan_id": 12535,
    "out_contract_code": "wxwtdk20200910100002", "contract_display_account": "微信代扣", "contract_state": "SIGNED",
    "contract_signed_time": "2024-11-24T11:14:00+08:00", "contract_expired_time": "2099-12-31T23:59:59+08:00",
    "openid": N_OPENID, "out_user_code": "user_20240102", "change_type": "ADD", "extra": {"nested": [1, "two", None]},
}
PT_TERMINATE_INQUIRY = {
    "code": "SUCCESS", "messsage": "解约问询", "mchid": "1234567890", "appid": N_APPID, "openid": N_OPENID,
    "plan_id": 12535, "out_contract_code": "wxwtdk20200910100000", "out_user_code": "user_20240101",
    "contract_id": "Wx15463511252015071056489715", "contract_display_account": "微信代扣", "contract_state": "SIGNED",
    "contract_signed_time": "2024-01-01T10:00:00+08:00",
}

N_ORIGINAL_TYPE = {
    "ENTRUST.TERMINATE": "entrust", "INSURANCE_ENTRUST.TERMINATE": "insurance_entrust",
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT": "credit_repayment", "PAYSCORE.USER_CLOSE_SERVICE": "payscore",
    "FACEPAY.USER_STATE_CHANGE": "facepay", "MCHTRANSFER.AUTHORIZATION.CLOSED": "mch_payment",
    "WEBIZPAY.REVOKED": "webizpay", "ENTRUST.SIGN": "entrust", "ENTRUST.TERMINATE_INQUIRY": "entrust",
}
N_SUMMARY = {
    "ENTRUST.TERMINATE": "解约成功", "INSURANCE_ENTRUST.TERMINATE": "解约成功", "ECOMMERCE_ENTRUST.TERMINATE": "解约成功",
    "CREDIT_REPAYMENT.TERMINATE_CONTRACT": "信用卡还款协议解约", "PAPAY.TERMINATE": "解约成功",
    "ENTRUST.RELEASE": "解约成功", "PAYSCORE.USER_CLOSE_SERVICE": "解除授权成功",
    "FACEPAY.USER_STATE_CHANGE": "用户状态变更", "MCHTRANSFER.AUTHORIZATION.CLOSED": "授权关闭",
    "WEBIZPAY.REVOKED": "员工授权已撤销", "ENTRUST.SIGN": "签约成功", "ENTRUST.TERMINATE_INQUIRY": "解约问询",
}
N_DEFAULT_SERIAL = {"doc_pubkey": PUB_KEY_ID, "go_platform": CERT_A_HEX, "migration": PUB_KEY_ID}
N_WRONG_APIV3_KEY = "wrong_test_apiv3_key_00000000000"
check(len(N_WRONG_APIV3_KEY.encode()) == 32, "wrong apiv3 key length")
_D = object()  # "use the default"


class N:
    """One notification case description."""

    def __init__(self, name, client, desc, *, event, plain, serial=None, style="compact", order="wechat",
                 summary=_D, original_type=_D, aad=_D, create_time=None, algorithm=NOTIFY_ALGORITHM,
                 resource_type="encrypt-resource", enc_key=None, ct_mutate=None, ct_text=None, raw_body=None,
                 sign_style=None, sig=None, sig_type=SIGNATURE_TYPE, drop=(), lower=False, serial_header=None,
                 now_delta=3, envelope_extra=None, event_id=None, expect_kind=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]


def n_body(env: dict, style: str) -> bytes:
    if style == "compact":
        text = json.dumps(env, ensure_ascii=False, separators=(",", ":"))
    elif style == "spaced":
        text = json.dumps(env, ensure_ascii=False, separators=(", ", ": "))
    elif style == "pretty":
        text = json.dumps(env, ensure_ascii=False, indent=2)
    elif style == "ascii":
        text = json.dumps(env, ensure_ascii=True, separators=(",", ":"))
    elif style == "slashes":
        # PHP-style encoders write '/' as '\/'; '/' only ever occurs inside JSON strings
        text = json.dumps(env, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")
    else:
        raise AssertionError(style)
    return text.encode("utf-8")


def notification_cases() -> list[N]:
    A, B = CERT_A_HEX, CERT_B_HEX
    ET = "ENTRUST.TERMINATE"
    base = dict(event=ET, plain=PT_ENTRUST_DIRECT)
    return [
        # --- one or more per termination event type ---
        N("entrust_terminate_direct_cert_a", "go_platform",
          "ENTRUST.TERMINATE, papay direct merchant (mchid/appid/openid), signed by platform cert A, compact body. "
          "deduct_schedule amounts sent as {amount, currency} come out as {total, currency} (currency stays absent when "
          "absent); the millisecond contract_terminated_time is kept as the string sent; unknown top-level and nested "
          "fields are dropped.", **base),
        N("entrust_terminate_partner_pubkey", "doc_pubkey",
          "ENTRUST.TERMINATE, papay partner shape (sp_/sub_ ids, no mchid) signed with the WeChat Pay public key, body "
          "with spaces after ',' and ':'; plan_id sent as the string \"12535\" comes out as the integer 12535; optional "
          "deduct_schedule fields absent stay absent; unknown fields dropped.",
          event=ET, plain=PT_ENTRUST_PARTNER, style="spaced"),
        N("insurance_entrust_terminate_migration_pubkey", "migration",
          "INSURANCE_ENTRUST.TERMINATE on the migration client, signed with the WeChat Pay public key (PUB_KEY_ID serial); "
          "envelope keys in another order (event_type before resource_type, summary last).",
          event="INSURANCE_ENTRUST.TERMINATE", plain=PT_INSURANCE, order="alt"),
        N("ecommerce_entrust_terminate_cert_b", "go_platform",
          "ECOMMERCE_ENTRUST.TERMINATE (combine-papay, flat, no contract_id) signed by platform cert B; no "
          "resource.original_type (so none in the output) and associated_data is the empty string.",
          event="ECOMMERCE_ENTRUST.TERMINATE", plain=PT_ECOMMERCE, serial=B, aad=""),
        N("credit_repayment_terminate_pubkey", "doc_pubkey",
          "CREDIT_REPAYMENT.TERMINATE_CONTRACT: plan_id sent as the number 200001 comes out as the string \"200001\" "
          "(str in the table); repayment_amount_limit sent as the string \"50000\" comes out as the integer 50000.",
          event="CREDIT_REPAYMENT.TERMINATE_CONTRACT", plain=PT_CREDIT),
        N("papay_terminate_minimal_migration_cert_a", "migration",
          "PAPAY.TERMINATE (cross-border papay, every field optional) with almost nothing in the plaintext (contract_id "
          "and an unknown field), on the migration client signed by platform cert A; no summary, no original_type and "
          "no associated_data key at all (AAD = empty).",
          event="PAPAY.TERMINATE", plain=PT_PAPAY_GLOBAL_MIN, serial=A, summary=None, aad=None),
        N("papay_terminate_full_cert_a", "go_platform",
          "PAPAY.TERMINATE with every documented field; plan_id sent as the string \"123\" comes out as the integer 123; "
          "an undocumented contract_state is dropped; pretty-printed (multi-line) body.",
          event="PAPAY.TERMINATE", plain=PT_PAPAY_GLOBAL_FULL, style="pretty", aad="papay"),
        N("entrust_release_non_rfc3339_create_time", "go_platform",
          "ENTRUST.RELEASE (edu-papay): envelope create_time \"20180225112233\" (not RFC 3339, as in official examples) "
          "is returned as sent; plan_id string kept; unknown field inside contract_information dropped; no original_type.",
          event="ENTRUST.RELEASE", plain=PT_RELEASE, create_time="20180225112233", event_id="EV-2018022511223320873",
          aad=""),
        N("payscore_user_close_service_aliases_pubkey", "doc_pubkey",
          "PAYSCORE.USER_CLOSE_SERVICE (pay-score permissions) with the alternate spellings mch_id and sub_mch_id of a "
          "documented example: they come out as mchid and sub_mchid; summary written with \\uXXXX escapes (ASCII body).",
          event="PAYSCORE.USER_CLOSE_SERVICE", plain=PT_PAYSCORE, style="ascii"),
        N("payscore_user_close_service_eduschoolpay_migration", "migration",
          "PAYSCORE.USER_CLOSE_SERVICE, eduschoolpay variant (contract_id, plan_id, contract_status, out_contract_code); "
          "plan_id sent as the number 1002 comes out as the string \"1002\".",
          event="PAYSCORE.USER_CLOSE_SERVICE", plain=PT_PAYSCORE_EDU, style="spaced"),
        N("facepay_user_state_change_cert_b", "go_platform",
          "FACEPAY.USER_STATE_CHANGE with mch_id (alternate of mchid) and a millisecond notify_create_time kept as sent; "
          "the undocumented user_state is dropped.",
          event="FACEPAY.USER_STATE_CHANGE", plain=PT_FACEPAY, serial=B),
        N("mchtransfer_authorization_closed_pubkey", "doc_pubkey",
          "MCHTRANSFER.AUTHORIZATION.CLOSED; transfer_scene_id (a field of the API response, not of this notification) "
          "and unknown fields inside close_info are dropped; an unknown envelope key is ignored.",
          event="MCHTRANSFER.AUTHORIZATION.CLOSED", plain=PT_TRANSFER, envelope_extra={"envelope_unknown": "ignored"}),
        N("webizpay_revoked_migration_cert_a", "migration",
          "WEBIZPAY.REVOKED on the migration client signed by platform cert A; CJK reason kept.",
          event="WEBIZPAY.REVOKED", plain=PT_WEBIZPAY, serial=A),
        # --- generic events ---
        N("generic_entrust_sign_cert_a", "go_platform",
          "ENTRUST.SIGN is not a termination event: generic, resource = the decrypted plaintext exactly as sent "
          "(unknown fields, nested array and null kept).",
          event="ENTRUST.SIGN", plain=PT_ENTRUST_SIGN),
        N("generic_entrust_terminate_inquiry_pubkey", "doc_pubkey",
          "ENTRUST.TERMINATE_INQUIRY (pre-termination hook) is generic: resource = plaintext as sent, including the "
          "docs' misspelt 'messsage' field.",
          event="ENTRUST.TERMINATE_INQUIRY", plain=PT_TERMINATE_INQUIRY, style="spaced"),
        # --- transport variants that are accepted ---
        N("missing_request_id_ok", "doc_pubkey", "No Request-ID header (reported in real notifications) → accepted.",
          **base, drop=("Request-ID",)),
        N("missing_signature_type_ok", "go_platform",
          "No Wechatpay-Signature-Type header (the Go SDK assumes RSA) → accepted.", **base, drop=("Wechatpay-Signature-Type",)),
        N("lowercase_header_names_ok", "migration",
          "All header names in lower case (as Node/HTTP2 frameworks deliver them) → accepted.", **base, lower=True),
        N("clock_skew_plus_300_ok", "migration", "now = ts + 300 is still accepted (boundary).", **base, now_delta=300),
        N("clock_skew_minus_300_ok", "doc_pubkey", "now = ts − 300 is still accepted (boundary).", **base, now_delta=-300),
        N("escaped_slashes_signed_as_sent_ok", "doc_pubkey",
          "Body written with '\\/' escapes (PHP style) and signed exactly as sent → accepted: the bytes signed are the "
          "bytes verified, and the ciphertext is the unescaped base64 string.", **base, style="slashes"),
        # --- verification failures ---
        N("signature_probe", "doc_pubkey", "Probe signature 'WECHATPAY/SIGNTEST/' + base64 garbage → signature_probe.",
          **base, sig="PROBE", expect_kind="signature_probe"),
        N("bad_signature_wrong_key", "go_platform",
          "Announces platform cert A but is signed with cert B's key → invalid_signature.", **base, sig="WRONGKEY",
          expect_kind="invalid_signature"),
        N("signature_type_sm2", "doc_pubkey",
          "Wechatpay-Signature-Type WECHATPAY2-SM2-WITH-SM3 (the RSA signature itself is valid) → invalid_signature.",
          **base, sig_type="WECHATPAY2-SM2-WITH-SM3", expect_kind="invalid_signature"),
        N("body_respaced_after_signing", "go_platform",
          "Signed over the compact body but delivered re-serialised with spaces (a framework that parsed and re-encoded "
          "it) → invalid_signature.", **base, style="spaced", sign_style="compact", expect_kind="invalid_signature"),
        N("clock_skew_plus_301", "doc_pubkey", "now = ts + 301 → clock_skew.", **base, now_delta=301,
          expect_kind="clock_skew"),
        N("clock_skew_minus_301", "go_platform", "now = ts − 301 (notification from the future) → clock_skew.", **base,
          now_delta=-301, expect_kind="clock_skew"),
        N("unknown_serial_hex", "go_platform", "Wechatpay-Serial is an unknown certificate serial → unknown_serial.",
          **base, serial_header="7132D72A03E93CDDF8C03BBD1F37EEDF204A5427", expect_kind="unknown_serial"),
        N("unknown_serial_cert_on_pubkey_client", "doc_pubkey",
          "Signed by platform cert A, received by a client that only has the public key → unknown_serial.", **base,
          serial=A, expect_kind="unknown_serial"),
        N("missing_timestamp_header", "doc_pubkey", "No Wechatpay-Timestamp → unsigned_response.", **base,
          drop=("Wechatpay-Timestamp",), expect_kind="unsigned_response"),
        N("missing_nonce_header", "go_platform", "No Wechatpay-Nonce → unsigned_response.", **base,
          drop=("Wechatpay-Nonce",), expect_kind="unsigned_response"),
        N("missing_signature_header", "migration", "No Wechatpay-Signature → unsigned_response.", **base,
          drop=("Wechatpay-Signature",), expect_kind="unsigned_response"),
        N("missing_serial_header", "doc_pubkey", "No Wechatpay-Serial → unsigned_response.", **base,
          drop=("Wechatpay-Serial",), expect_kind="unsigned_response"),
        # --- decryption failures (signature valid) ---
        N("tampered_ciphertext_resigned", "go_platform",
          "One ciphertext bit flipped and the body re-signed validly → the GCM tag fails → decryption.", **base,
          ct_mutate="flip", expect_kind="decryption"),
        N("wrong_apiv3_key", "doc_pubkey",
          "Ciphertext made with another 32-byte key (validly signed) → the GCM tag fails → decryption.", **base,
          enc_key=N_WRONG_APIV3_KEY, expect_kind="decryption"),
        N("wrong_associated_data", "migration",
          "associated_data in the envelope differs from the AAD used to encrypt → tag fails → decryption.", **base,
          ct_mutate="aad", expect_kind="decryption"),
        N("unknown_algorithm", "go_platform",
          "resource.algorithm AEAD_SM4_GCM (the ciphertext is valid AES-256-GCM) → decryption.", **base,
          algorithm="AEAD_SM4_GCM", expect_kind="decryption"),
        N("ciphertext_shorter_than_tag", "doc_pubkey",
          "ciphertext decodes to 15 bytes, shorter than the 16-byte tag → decryption.", **base, ct_mutate="short",
          expect_kind="decryption"),
        N("ciphertext_not_base64", "go_platform", "ciphertext '%%not*base64%%' → decryption.", **base,
          ct_text="%%not*base64%%", expect_kind="decryption"),
        # --- decode failures (signature valid) ---
        N("resource_type_not_encrypt_resource", "doc_pubkey",
          "resource_type 'plain-resource' (resource otherwise valid) → decode.", **base, resource_type="plain-resource",
          expect_kind="decode"),
        N("envelope_not_json", "go_platform", "Signed body that is XML (an APIv2-style notification) → decode.", **base,
          raw_body=b"<xml><return_code><![CDATA[SUCCESS]]></return_code><result_code><![CDATA[SUCCESS]]></result_code></xml>",
          expect_kind="decode"),
        N("envelope_not_utf8", "doc_pubkey",
          "Signed body that is not valid UTF-8 (given as body_base64) → decode.", **base,
          raw_body=b'{"id":"\xff\xfe","create_time":"2024-11-24T11:00:00+08:00"}', expect_kind="decode"),
        N("envelope_without_resource", "migration",
          "Signed JSON envelope without its resource object → decode.", **base,
          envelope_extra={"resource": None}, expect_kind="decode"),
        N("missing_required_field", "go_platform",
          "ENTRUST.TERMINATE plaintext without the required contract_id → decode.",
          event=ET, plain={k: v for k, v in PT_ENTRUST_DIRECT.items() if k != "contract_id"}, expect_kind="decode"),
        N("missing_required_nested_field", "doc_pubkey",
          "ENTRUST.TERMINATE whose contract_terminate_info lacks its required contract_termination_mode → decode.",
          event=ET, plain={**PT_ENTRUST_DIRECT, "contract_terminate_info": {"contract_terminated_time": "2024-11-24T10:59:58+08:00"}},
          expect_kind="decode"),
        N("wrong_field_type", "migration",
          "MCHTRANSFER.AUTHORIZATION.CLOSED whose close_info is a string instead of an object → decode.",
          event="MCHTRANSFER.AUTHORIZATION.CLOSED", plain={**PT_TRANSFER, "close_info": "CLOSED"}, serial=A,
          expect_kind="decode"),
    ]


def gen_notifications(keys: KeySet) -> None:
    cases = notification_cases()
    check(len({c.name for c in cases}) == len(cases), "duplicate notification names")
    ok_events = {c.event for c in cases if c.expect_kind is None}
    check(set(N_SCHEMAS) <= ok_events, f"notification successes miss {set(N_SCHEMAS) - ok_events}")
    tz8 = dt.timezone(dt.timedelta(hours=8))
    for i, c in enumerate(cases):
        ts = 1732417200 + 60 * i  # 2024-11-24T11:00:00+08:00 onwards
        client = CLIENTS[c.client]
        serial = c.serial or N_DEFAULT_SERIAL[c.client]
        # plaintext and encryption
        plain_bytes = compact(c.plain).encode("utf-8")
        key_text = c.enc_key or client["apiv3_key"]
        res_nonce = det_b62("notification-resource/" + c.name, 12)
        original_type = N_ORIGINAL_TYPE.get(c.event) if c.original_type is _D else c.original_type
        aad = (original_type or "") if c.aad is _D else c.aad
        enc_aad = aad or ""
        blob = AESGCM(key_text.encode("utf-8")).encrypt(res_nonce.encode("utf-8"), plain_bytes, enc_aad.encode("utf-8"))
        check(len(blob) == len(plain_bytes) + 16, "GCM output is ciphertext || 16-byte tag")
        check(AESGCM(key_text.encode("utf-8")).decrypt(res_nonce.encode("utf-8"), blob, enc_aad.encode("utf-8")) == plain_bytes,
              f"{c.name}: decrypt-back")
        if c.ct_mutate == "flip":
            blob = bytes([blob[0] ^ 0x01]) + blob[1:]
        elif c.ct_mutate == "short":
            blob = blob[:15]
        elif c.ct_mutate == "aad":
            aad = "tampered"
        ciphertext = c.ct_text if c.ct_text is not None else b64(blob)
        # envelope
        summary = N_SUMMARY[c.event] if c.summary is _D else c.summary
        env_id = c.event_id or str(uuid.UUID(bytes=hashlib.sha256(("notification/" + c.name).encode()).digest()[:16], version=5))
        create_time = c.create_time or dt.datetime.fromtimestamp(ts - 2, tz8).isoformat()
        resource = {}
        if original_type is not None:
            resource["original_type"] = original_type
        resource["algorithm"] = c.algorithm
        resource["ciphertext"] = ciphertext
        if aad is not None:
            resource["associated_data"] = aad
        resource["nonce"] = res_nonce
        if c.order == "wechat":
            env = {"id": env_id, "create_time": create_time, "resource_type": c.resource_type, "event_type": c.event}
            if summary is not None:
                env["summary"] = summary
            env["resource"] = resource
        else:
            env = {"id": env_id, "create_time": create_time, "event_type": c.event, "resource_type": c.resource_type,
                   "resource": dict(reversed(list(resource.items())))}
            if summary is not None:
                env["summary"] = summary
        for k, v in (c.envelope_extra or {}).items():
            if v is None:
                del env[k]
            else:
                env[k] = v
        body_bytes = c.raw_body if c.raw_body is not None else n_body(env, c.style)
        sign_body = n_body(env, c.sign_style) if c.sign_style else body_bytes
        if c.sign_style:
            check(sign_body != body_bytes and json.loads(sign_body) == json.loads(body_bytes), f"{c.name}: re-serialised")
        # headers and signature
        nonce = det_b62("notification/" + c.name)
        message = str(ts).encode() + b"\n" + nonce.encode() + b"\n" + sign_body + b"\n"
        if c.sig is None:
            sig = sign_checked(keys.response_signer[serial], message)
        elif c.sig == "PROBE":
            sig = "WECHATPAY/SIGNTEST/" + b64(hashlib.sha256(b"probe/" + c.name.encode()).digest() * 8)
        elif c.sig == "WRONGKEY":
            other = CERT_B_HEX if serial == CERT_A_HEX else CERT_A_HEX
            sig = sign_checked(keys.response_signer[other], message)
        else:
            raise AssertionError(c.sig)
        full_message = str(ts).encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n"
        pub = keys.wxpub if serial == PUB_KEY_ID else keys.cert_pub[serial]
        if c.sig is None and c.sign_style is None:
            check(verifies(pub, full_message, sig), f"{c.name}: signature does not verify")
        else:
            check(not verifies(pub, full_message, sig), f"{c.name}: bad signature unexpectedly verifies")
        headers = [
            ["Content-Type", "application/json"],
            ["Request-ID", "08" + det_hex("notification-rid/" + c.name, 40)],
            ["Wechatpay-Nonce", nonce],
            ["Wechatpay-Serial", c.serial_header or serial],
            ["Wechatpay-Signature", sig],
            ["Wechatpay-Signature-Type", c.sig_type],
            ["Wechatpay-Timestamp", str(ts)],
        ]
        headers = [h for h in headers if h[0] not in c.drop]
        if c.lower:
            headers = [[k.lower(), v] for k, v in headers]
        now = ts + c.now_delta
        # derive the expectation with the reference model and compare with the declared one
        try:
            out, plain_back = process_notification(c.client, now, headers, body_bytes, keys)
            got = ("ok", out)
        except Outcome as o:
            got = (o.kind, o.kw)
        declared = c.expect_kind or "ok"
        check(got[0] == declared, f"notification/{c.name}: model says {got[0]} ({got[1]}), case says {declared}")
        if declared == "ok":
            check(plain_back == plain_bytes, f"{c.name}: decrypted plaintext differs")
            if c.event in N_SCHEMAS:
                check(bool(n_dropped(c.plain, out["resource"])), f"{c.name}: no unknown field is dropped")
            else:
                check(out["resource"] == c.plain, f"{c.name}: generic resource must be the plaintext")
            check(("summary" in out) == (summary is not None), f"{c.name}: summary")
            check(("original_type" in out) == (original_type is not None), f"{c.name}: original_type")
            expect = {"ok": out}
        else:
            expect = {"error": {"kind": declared}}
        notification = {"headers": headers}
        try:
            notification["body"] = body_bytes.decode("utf-8")
        except UnicodeDecodeError:
            notification["body_base64"] = b64(body_bytes)
        emit("notification", c.name, {
            "type": "notification", "description": c.desc, "source": ORACLE, "client": c.client, "now": now,
            "notification": notification, "expect": expect,
        })

    # hand-written spot checks of a few expectations (independent of the model above)
    def ok(name):
        return WRITTEN[f"notification/{name}.json"]["expect"]["ok"]

    def body_of(name):
        return WRITTEN[f"notification/{name}.json"]["notification"]["body"]

    d = ok("entrust_terminate_direct_cert_a")["resource"]
    check(d["deduct_schedule"]["estimated_deduct_amount"] == {"total": 2990, "currency": "CNY"}, "amount alias")
    check(d["deduct_schedule"]["deduct_amount"] == {"total": 0}, "amount alias without currency")
    check(d["contract_terminate_info"] == {"contract_termination_mode": "USER_TERMINATE",
                                           "contract_terminated_time": "2024-11-24T10:59:58.120+08:00",
                                           "contract_termination_remark": "用户主动解约"}, "terminate info")
    check("unknown_field_for_test" not in d and d["plan_id"] == 12535, "direct")
    p = ok("entrust_terminate_partner_pubkey")["resource"]
    check(p["plan_id"] == 12535 and "mchid" not in p and p["sub_mchid"] == "1900000109", "partner")
    check(p["deduct_schedule"] == {"estimated_deduct_date": "2024-12-01", "estimated_deduct_amount": {"total": 100, "currency": "CNY"},
                                   "schedule_state": "NO_SCHEDULED"}, "partner schedule")
    cr = ok("credit_repayment_terminate_pubkey")["resource"]
    check(cr["plan_id"] == "200001" and cr["repayment_amount_limit"] == 50000 and cr["repayment_day"] == 5, "credit coercions")
    check(ok("papay_terminate_full_cert_a")["resource"]["plan_id"] == 123, "global plan_id")
    m = ok("papay_terminate_minimal_migration_cert_a")
    check(m["resource"] == {"contract_id": "201710180325670965"} and "summary" not in m and "original_type" not in m, "minimal")
    check('"associated_data"' not in body_of("papay_terminate_minimal_migration_cert_a"), "aad absent")
    check('"associated_data":""' in body_of("ecommerce_entrust_terminate_cert_b"), "aad empty")
    check("original_type" not in ok("ecommerce_entrust_terminate_cert_b"), "no original_type")
    r = ok("entrust_release_non_rfc3339_create_time")
    check(r["create_time"] == "20180225112233" and r["resource"]["contract_information"] == {
        "contract_id": "wx2020010112000000000000000000", "contract_status": "DELETE",
        "create_time": "2024-01-01T10:00:00+08:00"}, "release")
    ps = ok("payscore_user_close_service_aliases_pubkey")["resource"]
    check(ps["mchid"] == "1230000109" and ps["sub_mchid"] == "1900000109" and "mch_id" not in ps and "sub_mch_id" not in ps, "payscore aliases")
    check("\\u" in body_of("payscore_user_close_service_aliases_pubkey"), "ascii-escaped body")
    check(ok("payscore_user_close_service_aliases_pubkey")["summary"] == "解除授权成功", "escaped summary")
    check(ok("payscore_user_close_service_eduschoolpay_migration")["resource"]["plan_id"] == "1002", "edu plan_id")
    f = ok("facepay_user_state_change_cert_b")["resource"]
    check(f["mchid"] == "1234567890" and f["notify_create_time"] == "2024-11-24T11:11:00.120+08:00" and "user_state" not in f, "facepay")
    t = ok("mchtransfer_authorization_closed_pubkey")
    check(t["resource"]["close_info"] == {"close_time": "2024-11-24T11:12:00+08:00", "close_reason": "USER_CLOSE"}
          and "transfer_scene_id" not in t["resource"] and "envelope_unknown" not in t, "transfer")
    check(ok("generic_entrust_terminate_inquiry_pubkey")["resource"]["messsage"] == "解约问询", "inquiry")
    check(ok("generic_entrust_sign_cert_a")["resource"]["extra"] == {"nested": [1, "two", None]}, "generic sign")
    sl = body_of("escaped_slashes_signed_as_sent_ok")
    check("\\/" in sl and "/" in json.loads(sl)["resource"]["ciphertext"], "escaped slashes inside the ciphertext")
    check("\n" in body_of("papay_terminate_full_cert_a"), "pretty body")
    check(set(ok("entrust_terminate_direct_cert_a")) == {"id", "create_time", "event_type", "resource_type", "summary",
                                                         "original_type", "resource"}, "envelope keys")


# ---------------------------------------------------------------------------
# certificates cases: GET /v3/certificates (platform certificate download)
# ---------------------------------------------------------------------------
#
# Reference notifications.md §5 and wechatpay-apiv3.md §2.5: the body is
# {"data":[{"serial_no","effective_time","expire_time","encrypt_certificate":{"algorithm":
# "AEAD_AES_256_GCM","nonce","associated_data":"certificate","ciphertext"}}]}, ciphertext =
# base64(AES-256-GCM(apiv3_key, nonce, aad, PEM text) ‖ tag); the response is signed like any other.

CERT_ALGORITHM = "AEAD_AES_256_GCM"
CERT_AAD = "certificate"
CERT_UNKNOWN_SERIAL = "7132D72A03E93CDDF8C03BBD1F37EEDF204A5427"
C_WRONG_APIV3_KEY = "another_merchant_apiv3_key_00009"
check(len(C_WRONG_APIV3_KEY.encode()) == 32, "wrong certificate key length")


def cert_validity_s(cert: x509.Certificate) -> tuple[int, int]:
    return int(cert.not_valid_before_utc.timestamp()), int(cert.not_valid_after_utc.timestamp())


def process_certificates(client_name: str, now: int, status: int, headers: list, body_bytes: bytes, keys: KeySet):
    """Reference model of the certificate download: decrypt, check serials, pick the key, verify, drop invalid."""
    hmap = {}
    for k, v in headers:
        hmap.setdefault(k.lower(), v)
    request_id = hmap.get("request-id")
    if not 200 <= status <= 299:
        code = message = detail = None
        try:
            obj = json.loads(body_bytes.decode("utf-8"))
            if isinstance(obj, dict):
                code = obj.get("code") if isinstance(obj.get("code"), str) else None
                message = obj.get("message") if isinstance(obj.get("message"), str) else None
                detail = obj.get("detail")
        except (UnicodeDecodeError, ValueError):
            pass
        raise Outcome("api", status=status, code=code, message=message, request_id=request_id,
                      retryable=status >= 500 or status == 429, detail=detail)
    for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"):
        if h not in hmap:
            raise Outcome("unsigned_response")
    ts_s, nonce, sig, serial = (hmap[h] for h in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"))
    if not re.fullmatch(r"[0-9]+", ts_s):
        raise Outcome("invalid_signature")
    if sig.startswith("WECHATPAY/SIGNTEST/"):
        raise Outcome("signature_probe")
    # 1. decrypt every entry and check it (the set is needed to find the verification key)
    try:
        obj = json.loads(body_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Outcome("decode", why="body is not JSON")
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise Outcome("decode", why="no data array")
    key = CLIENTS[client_name]["apiv3_key"].encode("utf-8")
    decrypted = []  # (certificate, pem text), response order
    for i, entry in enumerate(obj["data"]):
        enc = entry.get("encrypt_certificate") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("serial_no"), str) or not isinstance(enc, dict):
            raise Outcome("decode", why=f"data[{i}]")
        for f in ("algorithm", "nonce", "ciphertext"):
            if not isinstance(enc.get(f), str):
                raise Outcome("decode", why=f"data[{i}].encrypt_certificate.{f}")
        if "associated_data" in enc and not isinstance(enc["associated_data"], str):
            raise Outcome("decode", why=f"data[{i}] associated_data")
        if enc["algorithm"] != CERT_ALGORITHM:
            raise Outcome("decryption", why="algorithm")
        try:
            blob = base64.b64decode(enc["ciphertext"], validate=True)
        except ValueError:
            raise Outcome("decryption", why="ciphertext is not base64")
        if len(blob) < 16:
            raise Outcome("decryption", why="ciphertext shorter than the tag")
        try:
            plain = AESGCM(key).decrypt(enc["nonce"].encode("utf-8"), blob, enc.get("associated_data", "").encode("utf-8"))
        except InvalidTag:
            raise Outcome("decryption", why="tag")
        try:
            pem = plain.decode("utf-8")
            cert = x509.load_pem_x509_certificate(plain)
        except (UnicodeDecodeError, ValueError):
            raise Outcome("decode", why=f"data[{i}] is not a PEM certificate")
        if format(cert.serial_number, "X") != entry["serial_no"].upper():
            raise Outcome("decode", why=f"data[{i}] serial_no differs from the certificate serial")
        decrypted.append((cert, pem))
    usable = [(c, pem) for c, pem in decrypted if cert_validity_s(c)[0] <= now <= cert_validity_s(c)[1]]
    # 2. the verification key: one the client already trusts, else a usable certificate of the set
    c = CLIENTS[client_name]
    pub = None
    if c["wechatpay_public_key_id"] and serial == c["wechatpay_public_key_id"]:
        pub = keys.wxpub
    for f in c["platform_certificates"] or []:
        if keys.cert_file_serial[f].upper() == serial.upper():
            pub = keys.cert_pub[keys.cert_file_serial[f]]
    if pub is None:
        for cert, _ in usable:
            if format(cert.serial_number, "X") == serial.upper():
                pub = cert.public_key()
    if pub is None:
        raise Outcome("unknown_serial")
    if not verifies(pub, ts_s.encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n", sig):
        raise Outcome("invalid_signature")
    if abs(now - int(ts_s)) > SKEW:
        raise Outcome("clock_skew")
    # 3. output: the usable certificates in response order
    return {"certificates": [
        {"serial_no": format(cert.serial_number, "X"), "not_before": cert_validity_s(cert)[0],
         "not_after": cert_validity_s(cert)[1], "pem": pem}
        for cert, pem in usable
    ]}


class CE:
    """One certificate entry of a download response: the certificate `cert` (hex serial of keys.platform)
    with optional faults."""

    def __init__(self, cert, *, serial_no=None, algorithm=CERT_ALGORITHM, enc_key=None, ct_mutate=None, plaintext=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]


class CC:
    """One certificates case description. `signer` is a hex serial of keys.platform, PUB_KEY_ID, or 'MERCHANT_GO'
    (a key no WeChat Pay party uses; announced as CERT_UNKNOWN_SERIAL unless serial_header is given)."""

    def __init__(self, name, client, desc, *, entries=None, signer=CERT_C_HEX, serial_header=None, status=200, raw=None,
                 sign_body=None, drop=(), wechat_headers=True, ts=None, now_delta=3, expect_kind=None, expect_serials=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]


def certificates_cases() -> list[CC]:
    A, B, C, D = CERT_A_HEX, CERT_B_HEX, CERT_C_HEX, CERT_D_HEX
    CD = [CE(C), CE(D)]
    c_nb, _ = (int(t.timestamp()) for t in CERT_C_VALIDITY)
    _, d_na = (int(t.timestamp()) for t in CERT_D_VALIDITY)
    return [
        # --- successes ---
        CC("new_cert_signed_by_itself_go_platform", "go_platform",
           "Download listing C (valid) and D (expired), signed by C, which the client does not trust yet: C comes from "
           "the decrypted set and verifies the response; expired D is dropped silently → [C].",
           entries=CD, signer=C, expect_serials=[C]),
        CC("signed_by_trusted_cert_a", "go_platform",
           "Listing B, C, D signed by the already trusted cert A: B (160-bit serial, DER leading 00) and C are kept in "
           "response order, expired D is dropped → [B, C].",
           entries=[CE(B), CE(C), CE(D)], signer=A, expect_serials=[B, C]),
        CC("new_cert_signed_by_itself_pubkey_client", "doc_pubkey",
           "Public-key-only client; listing D, C, A signed by C (in the set, valid) → [C, A] (response order, D dropped).",
           entries=[CE(D), CE(C), CE(A)], signer=C, expect_serials=[C, A]),
        CC("signed_by_public_key_migration", "migration",
           "Migration client (public key + cert A): listing C, D signed with the WeChat Pay public key → [C].",
           entries=CD, signer=PUB_KEY_ID, expect_serials=[C]),
        CC("serial_no_lowercase", "go_platform",
           "serial_no sent in lower-case hex: compared case-insensitively with the certificate serial; the output "
           "serial_no is the certificate's upper-case hex → [C].",
           entries=[CE(C, serial_no=C.lower())], signer=C, expect_serials=[C]),
        CC("none_valid_yet_signed_by_trusted", "go_platform",
           "now = C's notBefore − 1 day: C is not yet valid and D has expired, both dropped; signed by trusted cert A → [].",
           entries=CD, signer=A, ts=c_nb - 86400 - 3, expect_serials=[]),
        CC("valid_from_exact_not_before", "go_platform",
           "now = C's notBefore exactly (validity is inclusive): C is usable and verifies its own response → [C].",
           entries=CD, signer=C, ts=c_nb - 3, expect_serials=[C]),
        CC("valid_until_exact_not_after", "doc_pubkey",
           "now = D's notAfter exactly (inclusive): D is usable and verifies its own response; C is not yet valid → [D].",
           entries=CD, signer=D, ts=d_na - 3, expect_serials=[D]),
        # --- key selection / verification failures ---
        CC("signed_by_expired_cert_d", "go_platform",
           "Signed by D, which is in the set but expired at now: an expired certificate never verifies → unknown_serial.",
           entries=CD, signer=D, expect_kind="unknown_serial"),
        CC("signed_by_unknown_key", "go_platform",
           "Valid set, but the response is signed by a key that is neither in the set nor trusted, announced with an "
           "unknown serial → unknown_serial.",
           entries=CD, signer="MERCHANT_GO", expect_kind="unknown_serial"),
        CC("signature_over_other_body", "go_platform",
           "Valid set, Wechatpay-Serial = C, but the signature was made over a different body → invalid_signature.",
           entries=CD, signer=C, sign_body=b'{"data":[]}', expect_kind="invalid_signature"),
        CC("clock_skew_plus_301", "go_platform", "Signed by C, now = ts + 301 → clock_skew.",
           entries=CD, signer=C, now_delta=301, expect_kind="clock_skew"),
        CC("missing_signature_header", "go_platform", "2xx without Wechatpay-Signature → unsigned_response.",
           entries=CD, signer=A, drop=("Wechatpay-Signature",), expect_kind="unsigned_response"),
        # --- decryption failures (signed by a trusted key) ---
        CC("tampered_ciphertext_resigned", "go_platform",
           "C's ciphertext has one byte flipped and the response is re-signed validly (trusted cert A) → decryption.",
           entries=[CE(C, ct_mutate="flip"), CE(D)], signer=A, expect_kind="decryption"),
        CC("wrong_apiv3_key", "doc_pubkey",
           "Certificates encrypted under another merchant's APIv3 key, signed with the trusted public key → decryption.",
           entries=[CE(C, enc_key=C_WRONG_APIV3_KEY), CE(D, enc_key=C_WRONG_APIV3_KEY)], signer=PUB_KEY_ID,
           expect_kind="decryption"),
        CC("unknown_algorithm", "go_platform",
           "encrypt_certificate.algorithm AEAD_SM4_GCM (the ciphertext is valid AES-256-GCM), signed by cert A → decryption.",
           entries=[CE(C, algorithm="AEAD_SM4_GCM")], signer=A, expect_kind="decryption"),
        # --- decode failures (signed by a trusted key) ---
        CC("serial_no_mismatch", "go_platform",
           "serial_no names D but the encrypted certificate is C, signed by cert A → decode.",
           entries=[CE(C, serial_no=D)], signer=A, expect_kind="decode"),
        CC("plaintext_not_a_certificate", "migration",
           "The decrypted plaintext is a PUBLIC KEY PEM, not a certificate; signed with the trusted public key → decode.",
           entries=[CE(C, plaintext="PUBKEY")], signer=PUB_KEY_ID, expect_kind="decode"),
        CC("body_not_json", "go_platform", "Signed 200 (cert A) whose body is not JSON → decode.",
           raw=b"<xml><return_code>SUCCESS</return_code></xml>", signer=A, expect_kind="decode"),
        CC("no_data_array", "doc_pubkey", "Signed 200 (public key) whose JSON body has no data array → decode.",
           raw=b'{"total_count":0}', signer=PUB_KEY_ID, expect_kind="decode"),
        # --- API error ---
        CC("error_404_resource_not_exists", "doc_pubkey",
           "404 RESOURCE_NOT_EXISTS (a public-key-only merchant has no platform certificate), unsigned → api.",
           status=404, raw=compact({"code": "RESOURCE_NOT_EXISTS",
                                     "message": "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。"}).encode(),
           wechat_headers=False, expect_kind="api"),
    ]


def cert_time_text(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


def gen_certificates(keys: KeySet) -> None:
    cases = certificates_cases()
    check(len({c.name for c in cases}) == len(cases), "duplicate certificates names")
    signer_keys = {**{h: v[2] for h, v in keys.platform.items()}, PUB_KEY_ID: keys.wxpub_priv, "MERCHANT_GO": keys.go}
    signer_pubs = {**{h: v[0].public_key() for h, v in keys.platform.items()}, PUB_KEY_ID: keys.wxpub,
                   "MERCHANT_GO": keys.go.public_key()}
    for i, c in enumerate(cases):
        ts = c.ts if c.ts is not None else 1732500000 + 10 * i
        client = CLIENTS[c.client]
        if c.raw is not None:
            body_bytes = c.raw
        else:
            data = []
            for j, e in enumerate(c.entries):
                cert, pem, _ = keys.platform[e.cert]
                plain = (KEYS / "wechatpay_public_key.pem").read_bytes() if e.plaintext == "PUBKEY" else pem.encode("utf-8")
                key_text = e.enc_key or client["apiv3_key"]
                enc_nonce = det_b62(f"certificates-entry/{c.name}/{j}", 12)
                aesgcm = AESGCM(key_text.encode("utf-8"))
                blob = aesgcm.encrypt(enc_nonce.encode(), plain, CERT_AAD.encode())
                check(len(blob) == len(plain) + 16, "GCM output is ciphertext || 16-byte tag")
                check(aesgcm.decrypt(enc_nonce.encode(), blob, CERT_AAD.encode()) == plain, f"{c.name}: decrypt-back")
                if e.ct_mutate == "flip":
                    blob = blob[:40] + bytes([blob[40] ^ 0x01]) + blob[41:]
                data.append({
                    "serial_no": e.serial_no or e.cert,
                    "effective_time": cert_time_text(cert.not_valid_before_utc),
                    "expire_time": cert_time_text(cert.not_valid_after_utc),
                    "encrypt_certificate": {"algorithm": e.algorithm, "nonce": enc_nonce, "associated_data": CERT_AAD,
                                            "ciphertext": b64(blob)},
                })
            body_bytes = compact({"data": data}).encode("utf-8")
        nonce = det_b62("certificates/" + c.name)
        serial_header = c.serial_header or (CERT_UNKNOWN_SERIAL if c.signer == "MERCHANT_GO" else c.signer)
        sign_body = c.sign_body if c.sign_body is not None else body_bytes
        message = str(ts).encode() + b"\n" + nonce.encode() + b"\n" + sign_body + b"\n"
        sig = sign_checked(signer_keys[c.signer], message)
        full_message = str(ts).encode() + b"\n" + nonce.encode() + b"\n" + body_bytes + b"\n"
        check(verifies(signer_pubs[c.signer], full_message, sig) == (c.sign_body is None),
              f"{c.name}: signature verifies iff it was made over the body sent")
        headers = [["Content-Type", "application/json"],
                   ["Request-ID", "08" + det_hex("certificates-rid/" + c.name, 40)]]
        if c.wechat_headers:
            headers += [
                ["Wechatpay-Nonce", nonce],
                ["Wechatpay-Serial", serial_header],
                ["Wechatpay-Signature", sig],
                ["Wechatpay-Signature-Type", SIGNATURE_TYPE],
                ["Wechatpay-Timestamp", str(ts)],
            ]
        headers = [h for h in headers if h[0] not in c.drop]
        now = ts + c.now_delta
        try:
            got = ("ok", process_certificates(c.client, now, c.status, headers, body_bytes, keys))
        except Outcome as o:
            got = (o.kind, o.kw)
        declared = c.expect_kind or "ok"
        check(got[0] == declared, f"certificates/{c.name}: model says {got[0]} ({got[1]}), case says {declared}")
        if declared == "ok":
            check([x["serial_no"] for x in got[1]["certificates"]] == c.expect_serials,
                  f"certificates/{c.name}: model keeps {[x['serial_no'] for x in got[1]['certificates']]}")
            expect = {"ok": got[1]}
        elif declared == "api":
            expect = {"error": {"kind": "api", **got[1]}}
        else:
            expect = {"error": {"kind": declared}}
        emit("certificates", c.name, {
            "type": "certificates", "description": c.desc, "source": ORACLE, "client": c.client, "now": now,
            "response": {"status": c.status, "headers": headers, "body": body_bytes.decode("utf-8")}, "expect": expect,
        })

    # --- independent checks of the fault construction (not via process_certificates) ---
    def case(name):
        return WRITTEN[f"certificates/{name}.json"]

    def entries(name):
        return json.loads(case(name)["response"]["body"])["data"]

    def open_entry(e, key_text):
        ec_ = e["encrypt_certificate"]
        return AESGCM(key_text.encode()).decrypt(ec_["nonce"].encode(), base64.b64decode(ec_["ciphertext"]),
                                                 ec_["associated_data"].encode())

    trusted = {cl: ({PUB_KEY_ID} if CLIENTS[cl]["wechatpay_public_key_id"] else set())
               | {keys.cert_file_serial[f] for f in CLIENTS[cl]["platform_certificates"] or []} for cl in CLIENTS}
    go_key, doc_key = CLIENTS["go_platform"]["apiv3_key"], CLIENTS["doc_pubkey"]["apiv3_key"]
    # every ok case: each entry opens under the client's key to the exact PEM file text
    for c in cases:
        w = case(c.name)
        hdr = dict((k.lower(), v) for k, v in w["response"]["headers"])
        if c.expect_kind is None:
            for e in entries(c.name):
                check(open_entry(e, CLIENTS[c.client]["apiv3_key"]).decode() == keys.platform[e["serial_no"].upper()][1],
                      f"{c.name}: entry plaintext")
            out = w["expect"]["ok"]["certificates"]
            check(all(x["pem"] == keys.platform[x["serial_no"]][1] for x in out), f"{c.name}: pem text")
        # faults signed by a trusted key must be signed by a trusted key (so any check order gives the same kind)
        if c.expect_kind in ("decryption", "decode", "unsigned_response"):
            check(c.signer in trusted[c.client], f"{c.name}: fault case must be signed by a trusted key")
        if c.expect_kind in ("unknown_serial",):
            check(hdr["wechatpay-serial"] not in trusted[c.client], f"{c.name}: serial is trusted")
    check(case("new_cert_signed_by_itself_go_platform")["expect"]["ok"]["certificates"] == [
        {"serial_no": CERT_C_HEX, "not_before": 1704067200, "not_after": 1861920000,
         "pem": (KEYS / "platform_cert_c.pem").read_text()}], "C output spot check")
    check(CERT_C_HEX not in trusted["go_platform"] and CERT_C_HEX not in trusted["doc_pubkey"], "C is not trusted")
    check(case("valid_until_exact_not_after")["expect"]["ok"]["certificates"][0]["not_after"] == 1672531200
          == case("valid_until_exact_not_after")["now"], "D boundary")
    check(case("valid_from_exact_not_before")["now"] == 1704067200, "C boundary")
    check(case("none_valid_yet_signed_by_trusted")["expect"]["ok"]["certificates"] == [], "none valid")
    check([x["serial_no"] for x in case("signed_by_trusted_cert_a")["expect"]["ok"]["certificates"]] == [CERT_B_HEX, CERT_C_HEX],
          "order B, C")
    check(entries("serial_no_lowercase")[0]["serial_no"] == CERT_C_HEX.lower(), "lower-case serial_no sent")
    e = entries("new_cert_signed_by_itself_go_platform")[0]
    check(e["effective_time"] == "2024-01-01T08:00:00+08:00" and e["expire_time"] == "2029-01-01T08:00:00+08:00"
          and e["encrypt_certificate"]["associated_data"] == "certificate" and len(e["encrypt_certificate"]["nonce"]) == 12,
          "entry shape")
    try:
        open_entry(entries("tampered_ciphertext_resigned")[0], go_key)
        fail("tampered ciphertext opens")
    except InvalidTag:
        pass
    for e in entries("wrong_apiv3_key"):
        try:
            open_entry(e, doc_key)
            fail("wrong-key ciphertext opens under the client's key")
        except InvalidTag:
            pass
        check(open_entry(e, C_WRONG_APIV3_KEY).decode() == keys.platform[e["serial_no"]][1], "wrong key entry")
    mm = entries("serial_no_mismatch")[0]
    check(mm["serial_no"] == CERT_D_HEX and
          x509.load_pem_x509_certificate(open_entry(mm, go_key)).serial_number == CERT_C_SERIAL, "mismatch")
    check(open_entry(entries("plaintext_not_a_certificate")[0], CLIENTS["migration"]["apiv3_key"]).startswith(
        b"-----BEGIN PUBLIC KEY-----"), "not a certificate")
    check(entries("unknown_algorithm")[0]["encrypt_certificate"]["algorithm"] == "AEAD_SM4_GCM", "algorithm")
    e404 = case("error_404_resource_not_exists")["expect"]["error"]
    check(e404["status"] == 404 and e404["code"] == "RESOURCE_NOT_EXISTS" and e404["retryable"] is False, "404")
    sk = case("clock_skew_plus_301")
    check(sk["now"] - int(dict(sk["response"]["headers"])["Wechatpay-Timestamp"]) == 301, "skew")


# ---------------------------------------------------------------------------
# certificates_request cases: the signed GET that downloads the certificates
# ---------------------------------------------------------------------------

CERTIFICATES_PATH = {"api": "/v3/certificates?algorithm_type=RSA", "global": "/v3/global/certificates"}


def build_certificates_request(client_name: str, host: str, ts, nonce, keys: KeySet):
    validate_ts_nonce(ts, nonce)
    c = CLIENTS[client_name]
    base = (c["global_base_url"] or DEFAULT_GLOBAL_BASE_URL) if host == "global" else (c["base_url"] or DEFAULT_BASE_URL)
    return request_expect(client_name, "GET", base + CERTIFICATES_PATH[host], None, ts, nonce, keys)


def gen_certificates_requests(keys: KeySet) -> None:
    items = [
        ("api_go_platform", "go_platform", "api",
         "GET /v3/certificates?algorithm_type=RSA on the platform-certificate client: its base_url (api2), the query is "
         "part of the canonical URL, empty body line, no Content-Type, no Wechatpay-Serial."),
        ("global_doc_pubkey", "doc_pubkey", "global",
         "Cross-border GET /v3/global/certificates (no query) on the default global host apihk; the public-key client "
         "sends Wechatpay-Serial = its public key id."),
    ]
    for i, (name, client, host, desc) in enumerate(items):
        ts, nonce = 1732500500 + i, det_hex("certificates_request/" + name)
        exp = build_certificates_request(client, host, ts, nonce, keys)
        emit("certificates_request", name, {
            "type": "certificates_request", "description": desc, "source": ORACLE, "client": client, "host": host,
            "timestamp": ts, "nonce": nonce, "expect": exp,
        })
    # hand-written spot checks
    a = WRITTEN["certificates_request/api_go_platform.json"]
    check(a["expect"]["request"]["url"] == "https://api2.mch.weixin.qq.com/v3/certificates?algorithm_type=RSA", "api url")
    check(a["expect"]["string_to_sign"] == f"GET\n/v3/certificates?algorithm_type=RSA\n{a['timestamp']}\n{a['nonce']}\n\n", "api msg")
    check(a["expect"]["request"]["absent_headers"] == ["Content-Type", "Wechatpay-Serial"] and a["expect"]["request"]["body"] is None,
          "api headers")
    check(verifies(keys.go.public_key(), a["expect"]["string_to_sign"].encode(), a["expect"]["signature"]), "api signature")
    g = WRITTEN["certificates_request/global_doc_pubkey.json"]
    check(g["expect"]["request"]["url"] == "https://apihk.mch.weixin.qq.com/v3/global/certificates", "global url")
    check(g["expect"]["string_to_sign"] == f"GET\n/v3/global/certificates\n{g['timestamp']}\n{g['nonce']}\n\n", "global msg")
    check(g["expect"]["request"]["headers"]["Wechatpay-Serial"] == PUB_KEY_ID, "global serial header")
    check(verifies(keys.doc.public_key(), g["expect"]["string_to_sign"].encode(), g["expect"]["signature"]), "global signature")


# ---------------------------------------------------------------------------


def main() -> int:
    if sys.version_info < (3, 11):
        print("generate.py needs Python >= 3.11", file=sys.stderr)
        return 2
    created = ensure_keys()
    keys = KeySet()
    gen_signing(keys)
    gen_requests(keys)
    gen_generic(keys)
    gen_request_errors(keys)
    gen_client_errors(keys)
    gen_responses(keys)
    gen_notifications(keys)
    gen_certificates(keys)
    gen_certificates_requests(keys)
    # last: every case must be valid JSON round-trip and have a known type
    for rel, case in WRITTEN.items():
        check(case["type"] in {"signing", "request", "request_generic", "request_error", "client_error", "response",
                                    "notification", "certificates", "certificates_request"}, rel)
        check(json.loads(json.dumps(case, ensure_ascii=False)) == case, f"{rel}: JSON round-trip")
    flush()
    counts: dict[str, int] = {}
    for rel in WRITTEN:
        counts[rel.split("/")[0]] = counts.get(rel.split("/")[0], 0) + 1
    if created:
        print("created keys: " + ", ".join(created))
    print("wrote clients.json and %d cases (%s)" % (len(WRITTEN), ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
    print(ORACLE)
    if OUT == HERE:
        # The committed set: record every file's hash for the runners (manifest.py).
        import manifest

        manifest.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
