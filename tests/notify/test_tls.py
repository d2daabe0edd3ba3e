"""Email over TLS against the real SMTP server with a certificate made for the test: STARTTLS
when the server offers it (smtp://), TLS from the first byte (smtps://), the login only inside
TLS, and a certificate the client does not trust refused, never sent in clear."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from receivers import mail_server

from scheduler.notify.channels import ChannelError
from scheduler.notify.channels.smtp import EmailChannel
from scheduler.notify.messages import Message
from scheduler.settings import Settings


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return key, cert


def server_context(key: Path, cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_tls_with_the_login_inside_it(certificate: tuple[Path, Path], scheme: str) -> None:
    key, cert = certificate
    login = ("crier@example.com", "app-password-123")
    with mail_server(login=login, tls=server_context(key, cert),
                     implicit_tls=scheme == "smtps") as mail:
        settings = Settings.from_env({
            "CRIER_SMTP_URL": f"{scheme}://crier%40example.com:{login[1]}@127.0.0.1:{mail.port}",
            "CRIER_NOTIFY_EMAIL": "author@example.com"})
        assert settings.smtp is not None and settings.sender_address == login[0]
        trusted = ssl.create_default_context(cafile=str(cert))
        channel = EmailChannel(settings.smtp, login[0], settings.notify_email, timeout=5,
                               tls_context=trusted)
        channel.send(Message("Crier: over TLS", "body"))
        (email,) = mail.wait_for(1)
        assert email["Subject"] == "Crier: over TLS" and mail.logins == [login]

        stranger = EmailChannel(settings.smtp, login[0], settings.notify_email, timeout=5)
        with pytest.raises(ChannelError) as refused:  # the system does not trust this one
            stranger.send(Message("Crier: never sent", "body"))
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
        assert login[1] not in str(refused.value)
        assert len(mail.messages) == 1 and mail.logins == [login]
