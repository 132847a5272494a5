"""Mutual TLS: the client presents its certificate and trusts the server via a CA bundle.

The certificates are made on the fly with `cryptography` (present in the test environment,
not a runtime dependency); the test is skipped without it.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.registers.brp.client import HaalCentraalBrpClient
from app.registers.brp.protocol import raadpleeg_met_bsn
from app.registers.settings import BrpSettings
from handlers import HandlerError
from tests.fakes import brp_server as fake

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(tmp: Path, stem: str, subject: str, issuer=None, *, ca: bool = False, usage=None):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer[2]) if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage == "server":
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if usage == "client":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    signer = issuer[1] if issuer else key
    cert = builder.sign(signer, hashes.SHA256())
    cert_path, key_path = tmp / f"{stem}.pem", tmp / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key, subject, key_path


@pytest.fixture
def tls_brp(tmp_path: Path) -> Iterator[tuple[fake.FakeBrp, dict[str, str]]]:
    ca = _issue(tmp_path, "ca", "Test-CA Stroom", ca=True)
    server_cert = _issue(tmp_path, "server", "127.0.0.1", ca, usage="server")
    client_cert = _issue(tmp_path, "client", "gemeente-teststad", ca, usage="client")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert[0], server_cert[3])
    context.load_verify_locations(ca[0])
    context.verify_mode = ssl.CERT_REQUIRED
    brp = fake.FakeBrp()
    server = make_server("127.0.0.1", 0, brp, threaded=True, ssl_context=context)
    brp.base_url = f"https://127.0.0.1:{server.server_port}/haalcentraal/api/brp"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    paths = {"ca": str(ca[0]), "cert": str(client_cert[0]), "key": str(client_cert[3])}
    try:
        yield brp, paths
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _query() -> dict:
    return raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"])


def test_client_certificate_and_ca_bundle(tls_brp, clock) -> None:
    brp, paths = tls_brp
    client = HaalCentraalBrpClient(
        BrpSettings(
            base_url=brp.base_url,
            api_key="test-sleutel",
            client_cert=paths["cert"],
            client_key=paths["key"],
            ca_bundle=paths["ca"],
        )
    )
    assert client.personen(_query())["personen"] == [{"burgerservicenummer": fake.VADER}]
    client.close()


def test_without_client_certificate_the_server_refuses(tls_brp, clock) -> None:
    brp, paths = tls_brp
    client = HaalCentraalBrpClient(
        BrpSettings(base_url=brp.base_url, api_key="test-sleutel", ca_bundle=paths["ca"])
    )
    with pytest.raises(HandlerError, match="^BRP niet bereikbaar"):
        client.personen(_query())
    client.close()


def test_untrusted_server_certificate(tls_brp, clock) -> None:
    brp, paths = tls_brp
    client = HaalCentraalBrpClient(
        BrpSettings(
            base_url=brp.base_url,
            api_key="test-sleutel",
            client_cert=paths["cert"],
            client_key=paths["key"],
        )
    )
    with pytest.raises(HandlerError, match="CERTIFICATE_VERIFY_FAILED"):
        client.personen(_query())
    client.close()


def test_missing_certificate_file_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(HandlerError, match="BRP-certificaten niet te laden"):
        HaalCentraalBrpClient(
            BrpSettings(base_url="https://brp.invalid", client_cert=str(tmp_path / "geen.pem"))
        )
