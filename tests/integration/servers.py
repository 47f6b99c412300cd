"""`hub serve` processes for tests: several on the test database, stopped with SIGTERM after."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from hub.core import Settings
from hub.notify.sink import free_port

HUB = [sys.executable, "-m", "hub.cli"]


async def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.1)


@asynccontextmanager
async def serving(
    settings: Settings,
    tmp_path: Path,
    envs: list[Mapping[str, str]],
    args: Sequence[str] = (),
) -> AsyncIterator[list[int]]:
    """One `hub serve --no-demo` on the test database per entry of `envs` (extra variables for
    that process), each with a data folder of its own and `args` (e.g. `--workers 2`); yields
    their ports once all answer."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    ports = [free_port() for _ in envs]
    processes = []
    try:
        for index, (port, extra) in enumerate(zip(ports, envs, strict=True)):
            env = {
                **clean,
                "HUB_DATABASE_URL": settings.database_url,
                "HUB_DATA_DIR": str(tmp_path / f"var{index}"),
                "HUB_AUTO_MIGRATE": "off",
                **extra,
            }
            processes.append(
                await asyncio.create_subprocess_exec(
                    *HUB,
                    "serve",
                    "--port",
                    str(port),
                    "--no-demo",
                    *args,
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        for port in ports:
            await wait_until_up(port)
        yield ports
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            await asyncio.wait_for(process.wait(), 60)
