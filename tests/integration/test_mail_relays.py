"""Relays as `HUB_SMTP_URL` names them: STARTTLS and implicit TLS with a private CA, login."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from tortoise.transactions import in_transaction

from hub.core import Settings
from hub.notify import NotificationKind, notify_plan_event
from hub.notify.delivery import DeliveryWorker, parse_smtp_url
from models.enums import NotificationStatus
from models.notifications import Notification
from tests.integration.mail_server import MailServer
from tests.notification_world import NotificationWorld, build_notification_world

pytestmark = pytest.mark.usefixtures("reference_data")

USER, PASSWORD = "hub@okoce", "s:cret pass"


@pytest.fixture(scope="module")
async def world(reference_data: None) -> NotificationWorld:
    return await build_notification_world("relay")


@pytest.fixture(autouse=True)
async def empty_outbox(reference_data: None) -> AsyncIterator[None]:
    await Notification.all().delete()
    yield
    await Notification.all().delete()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, standing in for a relay's private CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
            *["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"],
            *["-addext", "subjectAltName=IP:127.0.0.1"],
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


async def queue(world: NotificationWorld) -> int:
    async with in_transaction():
        return await notify_plan_event(
            kind=NotificationKind.PLAN_PROPOSED,
            plan_id=world.plan.id,
            actor_id=None,
            settings=Settings(mail_coalesce_seconds=0),
        )


async def deliver(url: str, settings: Settings) -> None:
    worker = DeliveryWorker(settings=settings, target=parse_smtp_url(url), timeout=5)
    await worker.drain()
    await worker.close()


def quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


async def test_starttls_with_login(
    world: NotificationWorld, settings: Settings, certificate: tuple[Path, Path]
) -> None:
    written = await queue(world)
    server = MailServer(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    with server:
        url = (
            f"smtp://{quoted(USER)}:{quoted(PASSWORD)}@127.0.0.1:{server.port}"
            f"?starttls=1&cafile={certificate[0]}"
        )
        await deliver(url, settings)
    assert len(server.recorder.messages) == written
    assert await Notification.filter(status=NotificationStatus.SENT).count() == written


async def test_implicit_tls(
    world: NotificationWorld, settings: Settings, certificate: tuple[Path, Path]
) -> None:
    written = await queue(world)
    with MailServer(ssl_context=server_context(certificate)) as server:
        await deliver(f"smtps://127.0.0.1:{server.port}?cafile={certificate[0]}", settings)
    assert len(server.recorder.messages) == written


async def test_a_wrong_password_keeps_the_mail_for_later(
    world: NotificationWorld, settings: Settings, certificate: tuple[Path, Path]
) -> None:
    written = await queue(world)
    server = MailServer(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    with server:
        url = f"smtp://{quoted(USER)}:wrong@127.0.0.1:{server.port}?starttls=1&cafile={certificate[0]}"
        worker = DeliveryWorker(settings=settings, target=parse_smtp_url(url), timeout=5)
        report = await worker.run_once()
        await worker.close()
    assert report.retried == written
    assert server.recorder.messages == []
    row = await Notification.filter().first()
    assert row is not None
    assert row.status is NotificationStatus.PENDING
    assert (row.last_error or "").startswith("relay refused the connection: 535")
