"""Running the delivery worker as a process: `hub worker`, and the one `hub serve` starts.

With `HUB_SMTP_URL` unset the process also runs the embedded sink, so mail lands in
`<data folder>/mail`. SIGTERM or SIGINT stop it gracefully: the message in flight is finished,
rows claimed but not sent are handed back, the connection is closed with QUIT. Beside the
mail it runs the webhook delivery worker (hub.integration.webhook_worker), the daily
retention purges of participants (hub.participation.retention) and of the event stream
(hub.integration.retention), and the daily snapshot of every kecamatan's figures
(hub.reports.snapshots)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hub.core import Settings, open_database
from hub.notify import outbox
from hub.notify.delivery import DeliveryWorker, SmtpTarget, parse_smtp_url
from hub.notify.sink import HOST, LocalSink, mail_dir


@asynccontextmanager
async def mail_target(settings: Settings) -> AsyncIterator[SmtpTarget]:
    """The configured relay, or the embedded sink, started for the duration."""
    if settings.smtp_url:
        yield parse_smtp_url(settings.smtp_url)
        return
    sink = LocalSink(mail_dir(settings.data_dir))
    await asyncio.to_thread(sink.start)
    try:
        yield SmtpTarget(host=HOST, port=sink.port)
    finally:
        await asyncio.to_thread(sink.stop)


async def serve_worker(
    settings: Settings,
    *,
    lease_seconds: float = 60.0,
    batch_size: int = 100,
    parent_pid: int | None = None,
) -> None:
    """Open the database and deliver until SIGTERM/SIGINT (or the parent process is gone)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    outbox.configure(settings)
    from hub.integration import purge_events_daily
    from hub.integration.webhook_worker import WebhookWorker
    from hub.participation import purge_daily
    from hub.reports import snapshot_daily

    async with open_database(settings), mail_target(settings) as target:
        worker = DeliveryWorker(
            settings=settings,
            target=target,
            lease_seconds=lease_seconds,
            batch_size=max(1, batch_size),
        )
        background = [
            asyncio.create_task(purge_daily(settings, stop)),
            asyncio.create_task(purge_events_daily(settings, stop)),
            asyncio.create_task(snapshot_daily(stop)),
            asyncio.create_task(
                WebhookWorker(settings=settings, lease_seconds=lease_seconds).run(
                    stop, parent_pid=parent_pid
                )
            ),
        ]
        try:
            await worker.run(stop, parent_pid=parent_pid)
        finally:
            stop.set()
            await asyncio.gather(*background)


def run_worker(
    settings: Settings,
    *,
    lease_seconds: float = 60.0,
    batch_size: int = 100,
    parent_pid: int | None = None,
) -> int:
    asyncio.run(
        serve_worker(
            settings, lease_seconds=lease_seconds, batch_size=batch_size, parent_pid=parent_pid
        )
    )
    return 0
