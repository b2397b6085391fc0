#!/usr/bin/env python3
"""Creates the sandbox's own TEST keys in tests/sandbox/keys/ (run once; the output is committed).

Never overwrites a file that exists: keys are generated once so that applications and
tests configured with them keep working. If one half of a pair is missing the script stops
rather than re-generate the other half.

Files:
  wechatpay_public_key.pem / .private.pem  WeChat Pay public-key mode (id below)
  platform_cert.pem / platform_cert.private.pem  self-signed "platform certificate" (20-byte serial)
  tls_cert.pem / tls_key.pem                 self-signed TLS certificate for 127.0.0.1 and localhost
  merchant_1900007291.pub.pem                public half of the official doc test key (reference §5.1)
  merchant_1234567890.pub.pem                public half of the wechatpay-go test key (V2)

The two merchant public keys come from the merchant test keys in tests/vectors/keys/; the
sandbox itself only ever needs the public halves.

Usage: python3 tests/sandbox/make_keys.py      Requires: Python >= 3.9, cryptography.
"""

import datetime as dt
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
VECTOR_KEYS = HERE.parent / "vectors" / "keys"

# 20 bytes, top bit clear so DER needs no leading 0x00 and X.509's 20-octet limit holds.
PLATFORM_CERT_SERIAL = 0x3C5E2E7D9A1B4F6081C2D3E4F5A6B7C8D9E0F1A2

# The official doc key's public half, as published (reference §5.1); checked against the PEM file.
DOC_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAptpm+qvIDCh/9wjU26SQ
CK26ogYkBhDrYxnAaw2JbbBsp1oDbHKk+1r381NeBUG2HEFAuU+Fr72u5ot3yKdz
oF/FajAzQNKnm569/D3upKoi8mYBaST15Uig8j8qoUW1U217LL0jEHlSnHV3lcaD
TXqDpTRR4Bfz9IqOgJgFZ8/oTfEomSrjrLYef81Eyxr7ZIMQXEKKEK7V4UXKS0+/
fDsiG/cXidhzt8UbTL9vqXqxM2+IDImyO+FAc/tkBG55LmzxPto1Nq0WbnZzRM/w
Tzrd0I/8NlevxtFbphg4evlHjFNI7+GrqR87ViEwuAJJ9Je5QQjct5YJfFRWiZ5C
MQIDAQAB
-----END PUBLIC KEY-----
"""

VALID_FROM = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
VALID_UNTIL = dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)


def pem_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def missing(*names: str) -> bool:
    """True when all files are missing; stops when only some of a set exist."""
    present = [n for n in names if (KEYS / n).exists()]
    if present and len(present) != len(names):
        sys.exit(f"keys/: {present} exist but not all of {list(names)}; restore them, they are never regenerated")
    return not present


def write(name: str, data: bytes, created: list) -> None:
    path = KEYS / name
    if path.exists():  # belt and braces: never overwrite
        sys.exit(f"refusing to overwrite {path}")
    path.write_bytes(data)
    created.append(name)


def platform_cert(key) -> bytes:
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxpay-terminate sandbox (TEST ONLY)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox WeChat Pay platform certificate"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(PLATFORM_CERT_SERIAL)
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def tls_cert(key) -> bytes:
    # A self-signed end-entity certificate (CA:FALSE) can be trusted directly by Python ssl,
    # rustls/webpki, Java and Node, which all reject a CA certificate used as a server cert.
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxpay-terminate sandbox (TEST ONLY)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=True, content_commitment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def merchant_public(private_file: str) -> bytes:
    key = serialization.load_pem_private_key((VECTOR_KEYS / private_file).read_bytes(), password=None)
    return pem_public(key.public_key())


def main() -> int:
    KEYS.mkdir(parents=True, exist_ok=True)
    created: list = []
    if missing("wechatpay_public_key.pem", "wechatpay_public_key.private.pem"):
        key = new_rsa()
        write("wechatpay_public_key.private.pem", pem_private(key), created)
        write("wechatpay_public_key.pem", pem_public(key.public_key()), created)
    if missing("platform_cert.pem", "platform_cert.private.pem"):
        key = new_rsa()
        write("platform_cert.private.pem", pem_private(key), created)
        write("platform_cert.pem", platform_cert(key), created)
    if missing("tls_cert.pem", "tls_key.pem"):
        key = new_rsa()
        write("tls_key.pem", pem_private(key), created)
        write("tls_cert.pem", tls_cert(key), created)
    if missing("merchant_1900007291.pub.pem"):
        pem = merchant_public("merchant_doc_pkcs8.pem")
        if pem != DOC_PUBLIC_KEY:
            sys.exit("tests/vectors/keys/merchant_doc_pkcs8.pem is not the official doc test key")
        write("merchant_1900007291.pub.pem", pem, created)
    if missing("merchant_1234567890.pub.pem"):
        write("merchant_1234567890.pub.pem", merchant_public("merchant_go_pkcs8.pem"), created)
    print("created: " + (", ".join(created) if created else "nothing (all keys exist)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
