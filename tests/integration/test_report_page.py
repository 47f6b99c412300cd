"""The HTML report in a real browser: Debian's Chromium driven by Playwright opens the file as
an admin saved it, offline (every request that is not the file itself is refused), and draws
its three SVG charts. Skipped when /usr/bin/chromium is missing (CI installs it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright
from starlette.applications import Starlette

from hub.reports import jakarta_day, take_snapshot
from hub.reports.monthly import Month
from models.reports import KecamatanSnapshot, SnapshotDay
from tests.conftest import make_tokens

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="the report is checked in Debian's Chromium: `apt-get install -y chromium`",
    ),
    pytest.mark.usefixtures("demo_data"),
]

SET_DEMAND = """
mutation ($input: SetDemandInput!) { setDemand(input: $input) { errors { code message } } }
"""


async def test_the_html_report_opens_offline_with_its_charts(
    app: Starlette, tmp_path: Path
) -> None:
    # Given the demo, a snapshot early in the month, more demand at Gambir, a later snapshot
    today = jakarta_day()
    month = Month(today.year, today.month)
    await KecamatanSnapshot.all().delete()
    await SnapshotDay.all().delete()
    tokens = await make_tokens()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        await take_snapshot(day=month.first_day + dt.timedelta(days=2))
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": SET_DEMAND,
                    "variables": {
                        "input": {
                            "kecamatanCode": "31.71.01",
                            "sectorCode": "DIGITAL",
                            "demand": 500,
                        }
                    },
                },
                headers=tokens.headers("admin"),
            )
        ).json()
        assert body["data"]["setDemand"]["errors"] == [], body
        await take_snapshot(day=month.first_day + dt.timedelta(days=12))

        # When an admin downloads the month's report and opens the file
        answer = await http.get(f"/reports/{month.label}.html", headers=tokens.headers("admin"))
    assert answer.status_code == 200
    page_file = tmp_path / f"report-{month.label}.html"
    page_file.write_text(answer.text, "utf-8")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = await browser.new_context(viewport={"width": 1300, "height": 1000})
        refused: list[str] = []

        async def only_the_file(route: Any) -> None:
            if route.request.url.startswith("file://"):
                await route.continue_()
            else:
                refused.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_the_file)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(page_file.as_uri())

        # Then it draws the three charts from the file alone
        charts = await page.eval_on_selector_all(
            "svg.chart", "els => els.map(e => [e.dataset.chart, e.getBoundingClientRect().width])"
        )
        assert [c[0] for c in charts] == ["coverage", "gaps", "activity"]
        assert all(width > 100 for _, width in charts)
        lines = await page.eval_on_selector_all(
            "svg[data-chart=coverage] polyline",
            "els => els.map(e => [e.dataset.kota, e.getAttribute('points').split(' ').length])",
        )
        # six kota of Jakarta, each with a point per snapshot day
        assert len(lines) == 6
        assert {points for _, points in lines} == {2}
        bars = await page.eval_on_selector_all(
            "svg[data-chart=gaps] rect", "els => els.map(e => e.textContent)"
        )
        assert len(bars) == 10
        assert any("Gambir" in b for b in bars)
        rows = await page.eval_on_selector_all("table tbody tr", "els => els.length")
        assert rows == 44
        shot = tmp_path / "report.png"
        await page.screenshot(path=str(shot), full_page=True)
        await browser.close()
    assert shot.stat().st_size > 10_000
    assert refused == [], f"the page reached beyond its file: {refused}"
    assert problems == [], problems
