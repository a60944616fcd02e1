"""Self-signed certificates for serving the emulator over https on loopback.

:func:`generate_certificate` writes a small private CA and a server certificate signed by it
(like ``trustme`` or ``mkcert`` do), valid for ``127.0.0.1``, ``::1`` and ``localhost``.
Clients trust the CA file (``CertificateFiles.ca_path``); the server presents the leaf.
A CA + leaf pair, rather than one self-signed leaf, passes OpenSSL's strict X.509 checks.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sfbulk_frames._exceptions import ConfigurationError

DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")
_VALIDITY = dt.timedelta(days=30)


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of the generated PEM files (the key file is a secret: never print it)."""

    ca_path: str      # the certificate clients trust (``verify=ca_path``)
    cert_path: str    # the server's certificate chain (leaf + CA)
    key_path: str     # the server's private key

    def __repr__(self) -> str:
        return f"CertificateFiles(ca_path={self.ca_path!r}, cert_path={self.cert_path!r})"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sfbulk_frames emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _ca_certificate(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name("sfbulk_frames emulator CA"))
        .issuer_name(_name("sfbulk_frames emulator CA"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: tuple[str, ...],
    now: dt.datetime,
) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def generate_certificate(
    directory: str | Path | None = None, *, hosts: tuple[str, ...] = DEFAULT_HOSTS
) -> CertificateFiles:
    """Write ``ca.pem``, ``server.pem`` and ``server-key.pem`` into ``directory``.

    ``directory`` defaults to a new temporary directory (left in place so the printed path
    stays usable while the emulator runs). Raises ``ValueError`` if ``hosts`` is empty.
    """
    if not hosts:
        raise ConfigurationError("generate_certificate needs at least one host name or IP address")
    target = Path(directory) if directory is not None else Path(
        tempfile.mkdtemp(prefix="sfbulk-emulator-tls-")
    )
    target.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key, now)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = _leaf_certificate(leaf_key, ca_key, ca_cert, hosts, now)

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    ca_path = target / "ca.pem"
    cert_path = target / "server.pem"
    key_path = target / "server-key.pem"
    ca_path.write_bytes(ca_pem)
    cert_path.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return CertificateFiles(ca_path=str(ca_path), cert_path=str(cert_path), key_path=str(key_path))
