"""The daily snapshot as the worker takes it: `hub worker` processes started together write
today's snapshot (Asia/Jakarta) once, with the figures the coverage report shows."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import matching
from hub.core import Settings
from hub.reports import jakarta_day
from hub.reports.snapshots import covered_places
from models.reports import KecamatanSnapshot, SnapshotDay

pytestmark = pytest.mark.usefixtures("reference_data")

HUB = [sys.executable, "-m", "hub.cli"]
WORKERS = 3


@pytest.fixture
async def no_snapshots(reference_data: None) -> AsyncIterator[None]:
    await KecamatanSnapshot.all().delete()
    await SnapshotDay.all().delete()
    yield
    await KecamatanSnapshot.all().delete()
    await SnapshotDay.all().delete()


async def test_workers_started_together_take_todays_snapshot_once(
    settings: Settings, tmp_path: Path, no_snapshots: None
) -> None:
    # Given no snapshot yet, when three workers start at once
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    processes = [
        await asyncio.create_subprocess_exec(
            *HUB,
            "worker",
            env={
                **clean,
                "HUB_DATABASE_URL": settings.database_url,
                "HUB_DATA_DIR": str(tmp_path / f"var{n}"),
                "HUB_AUTO_MIGRATE": "off",
            },
        )
        for n in range(WORKERS)
    ]
    try:
        deadline = time.monotonic() + 60
        while not await SnapshotDay.exists():
            assert time.monotonic() < deadline, "no worker took the snapshot"
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # the others have looked by now
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(p.wait(), 30) for p in processes]
    assert codes == [0] * WORKERS

    # Then today (in Jakarta) has one snapshot of every kecamatan
    today = jakarta_day()
    (day,) = await SnapshotDay.all()
    assert (day.day, day.kecamatans) == (today, 44)
    rows = await KecamatanSnapshot.filter(day=today).order_by("kecamatan_id")
    assert len(rows) == 44

    # With the figures of the coverage report
    expected = {r.kecamatan.id: r for r in await matching.coverage()}
    for row in rows:
        report_row = expected[row.kecamatan_id]
        assert (row.demand, row.supply, row.gap, row.waiting) == (
            report_row.demand,
            report_row.supply,
            report_row.gap,
            report_row.waiting,
        )
        assert row.coverage == report_row.coalition_coverage
        assert row.covered == covered_places(report_row.gap, report_row.coalition_coverage)
