"""A small certificate authority for the secured local stack (and the tests that need one).

`generate(directory, hosts)` writes, as PEM files: a CA, a server certificate for the broker
and PostgreSQL (valid for `hosts`), and a client certificate whose subject is `CN=streamview`,
the principal the broker's ACLs name. Keys are EC P-256: small and quick to make.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_PRINCIPAL = "streamview"
ADMIN_PRINCIPAL = "streamview-admin"
BROKER_PRINCIPAL = "streamview-broker"


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def write(self, cert_path: Path, key_path: Path, password: bytes | None = None) -> None:
        cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
        )
        key_path.chmod(0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "streamview local CA", days: int = 365) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
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
    return Issued(key, certificate)


def issue(
    ca: Issued,
    common_name: str,
    hosts: tuple[str, ...] = (),
    *,
    server: bool = False,
    valid_from: datetime.datetime | None = None,
    days: int = 365,
) -> Issued:
    """A certificate signed by `ca`: for a server (with `hosts` as names) or a client."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = valid_from or datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                if server
                else [ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False
        )
    return Issued(key, builder.sign(ca.key, hashes.SHA256()))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


@dataclass(frozen=True)
class StackCertificates:
    """Where `generate` put the files (all PEM)."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client-key.pem"

    @property
    def admin_cert(self) -> Path:
        return self.directory / "admin.pem"

    @property
    def admin_key(self) -> Path:
        return self.directory / "admin-key.pem"

    def exist(self) -> bool:
        files = (self.ca, self.server_cert, self.server_key, self.client_cert, self.client_key)
        return all(path.is_file() for path in (*files, self.admin_cert, self.admin_key))


def generate(
    directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
) -> StackCertificates:
    """A fresh CA with a server, a client (`CN=streamview`) and an admin certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    files = StackCertificates(directory)
    ca = make_ca()
    files.ca.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    issue(ca, BROKER_PRINCIPAL, hosts, server=True).write(files.server_cert, files.server_key)
    issue(ca, CLIENT_PRINCIPAL).write(files.client_cert, files.client_key)
    issue(ca, ADMIN_PRINCIPAL).write(files.admin_cert, files.admin_key)
    return files
