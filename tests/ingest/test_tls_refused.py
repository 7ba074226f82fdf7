"""A server whose TLS certificate this machine does not trust (self-signed, or a proxy's):
`pull ads` and `pull logs` say so at once. Waiting does not mend a certificate, and `pull ads`
retried it for three minutes, saying only "network: ConnectError"."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ingest import fetch, remote
from ingest.errors import SourceError
from ingest.graph import GraphError
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN
from tests.local_http import served

REFUSED = "TLS certificate was refused"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


@pytest.fixture
def untrusted(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            self.send_response(200)
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b'{"data":[]}')

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with served(Handler, tls=context) as url:
        yield url


def test_pull_ads_says_the_certificate_was_refused_and_does_not_wait(
    untrusted: str, db_path: Path
) -> None:
    waits: list[float] = []
    with pytest.raises(GraphError, match=REFUSED) as exc:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=untrusted, sleep=waits.append,
                        since=TODAY, today=TODAY)  # fmt: skip
    assert "self-signed" in str(exc.value) or "self signed" in str(exc.value)
    assert waits == [] and TOKEN not in str(exc.value)


def test_pull_logs_says_the_certificate_was_refused_and_does_not_wait(
    untrusted: str, tmp_path: Path
) -> None:
    waits: list[float] = []
    with pytest.raises(SourceError, match=REFUSED):
        fetch.pull(untrusted + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == []
    assert list(tmp_path.glob(fetch.SPOOL_PREFIX + "*")) == []
