"""X.509 certificates for the HTTPS links between platforms (city ↔ province, departments).

In production the government PKI issues these; this module makes a self-contained CA and
certificates for tests, demos and acceptance runs (``command-center pki init``). Keys are
ECDSA P-256; private keys are written with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertFiles:
    """A certificate and its private key on disk (PEM)."""

    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hengshui emergency command (test PKI)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertFiles:
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return CertFiles(cert_path, key_path)


def make_ca(folder: Path, common_name: str = "Test Root CA", days: int = 3650) -> CertFiles:
    """A self-signed CA certificate and key in ``folder`` (``ca.crt``, ``ca.key``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _write(folder, "ca", cert, key)


def issue(
    ca: CertFiles,
    folder: Path,
    stem: str,
    common_name: str,
    *,
    hosts: list[str] | None = None,
    days: int = 825,
    not_before: datetime | None = None,
) -> CertFiles:
    """A certificate signed by ``ca``: a server certificate when ``hosts`` (DNS names or IP
    addresses) are given, otherwise a client certificate."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or (datetime.now(UTC) - timedelta(minutes=5))
    usage = ExtendedKeyUsageOID.SERVER_AUTH if hosts else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return _write(folder, stem, cert, key)


def init_test_pki(
    folder: Path, server_hosts: list[str] | None = None, departments: list[str] | None = None
) -> dict[str, CertFiles]:
    """A CA, a provincial server certificate, the city's client certificate, the city
    intake's own server certificate and one client certificate per department common name
    (``fire.dept.hengshui`` → ``fire.crt``) in ``folder``."""
    ca = make_ca(folder, "Hebei test root CA")
    hosts = server_hosts or ["127.0.0.1", "localhost"]
    files = {
        "ca": ca,
        "province": issue(ca, folder, "province", "province.hebei.test", hosts=hosts),
        "city": issue(ca, folder, "city", "131100.emergency.hengshui"),
        "intake": issue(ca, folder, "intake", "intake.131100.emergency.hengshui", hosts=hosts),
    }
    for cn in departments or []:
        stem = cn.split(".", 1)[0]
        files[stem] = issue(ca, folder, stem, cn)
    return files
