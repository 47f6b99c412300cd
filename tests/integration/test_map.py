"""`GET /map` in a real browser: Debian's Chromium driven by Playwright against `hub serve` on
loopback, with every request that leaves the machine refused, so a page that needed the
internet would fail here instead of hanging. Skipped when /usr/bin/chromium is missing (CI
installs it, see .ci/run)."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from hub.seed.reference import jakarta_kecamatan
from tests.integration.test_operating import Served, serving

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="the map is tested in Debian's Chromium: `apt-get install -y chromium` (CI does)",
)

ROWS = """
query Rows($sectors: [String!], $maxCommunities: Int) {
  coverage(sectors: $sectors, maxCommunities: $maxCommunities) {
    kecamatan { code } gap coalitionCoverage demand
  }
}
"""

DETAILS = """
query Details($code: String!) {
  kecamatan(code: $code) { complements(first: 3) { community { name } } }
}
"""


@pytest.fixture(scope="module")
def hub_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`hub serve` with the Jakarta demo in a SQLite database of its own."""
    folder = tmp_path_factory.mktemp("map-hub")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**clean, "HUB_DATA_DIR": str(folder / "var"), "HUB_WORKER": "off"}
    with serving(env, folder / "serve.log") as served:
        yield served


async def api(served: Served, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(
            f"{served.base}/graphql", json={"query": query, "variables": variables}
        )
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def gaps_of(served: Served, **variables: Any) -> dict[str, int]:
    rows = (await api(served, ROWS, **variables))["coverage"]
    return {r["kecamatan"]["code"]: r["gap"] for r in rows}


@pytest.fixture
async def page(hub_served: Served) -> AsyncIterator[Any]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = await browser.new_context(viewport={"width": 1300, "height": 1000})
        refused: list[str] = []

        async def only_loopback(route: Any) -> None:
            host = urlsplit(route.request.url).hostname
            if host in {"127.0.0.1", "localhost"} or route.request.url.startswith("data:"):
                await route.continue_()
            else:
                refused.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_loopback)
        problems: list[str] = []
        tab = await context.new_page()
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        yield tab
        await browser.close()
        assert refused == [], f"the page reached beyond loopback: {refused}"
        assert problems == [], problems


async def circles(page: Any) -> dict[str, dict[str, float]]:
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        "#map circle",
        """els => els.map(c => ({code: c.dataset.code, gap: Number(c.dataset.gap),
            r: Number(c.getAttribute('r')), fill: c.getAttribute('fill')}))""",
    )
    return {c["code"]: c for c in found}


async def table_column(page: Any, index: int) -> list[str]:
    cells: list[str] = await page.eval_on_selector_all(
        f"#table tbody tr td:nth-child({index})", "tds => tds.map(td => td.textContent)"
    )
    return cells


async def test_the_map_draws_every_kecamatan_filters_opens_details_and_sorts(
    hub_served: Served, page: Any, tmp_path: Path
) -> None:
    base = hub_served.base
    # given the demo's figures, as a partner app reads them
    all_gaps = await gaps_of(hub_served)
    culinary_gaps = await gaps_of(hub_served, sectors=["KULINER"])

    # when staff open the map
    await page.goto(f"{base}/map")
    await page.wait_for_selector("body[data-state=ready]")

    # then there is one circle per kecamatan of Jakarta, with its code and its gap
    drawn = await circles(page)
    assert sorted(drawn) == sorted(k.code for k in jakarta_kecamatan())
    assert len(drawn) == 44
    assert {code: int(c["gap"]) for code, c in drawn.items()} == all_gaps
    # areas proportional to the gap: r² / gap is the same for every circle
    ratios = [c["r"] ** 2 / c["gap"] for c in drawn.values() if c["gap"] > 0]
    assert max(ratios) / min(ratios) == pytest.approx(1, abs=0.02)
    # colours from the legend's bands, and the legend has all five
    assert len(await page.query_selector_all("#legend-colours li")) == 5
    assert await page.locator("#status").text_content() == (
        f"44 kecamatan, {sum(all_gaps.values()):,} places missing (query cost 1000)."
    )

    # when the coalitions are smaller, the colours follow their coverage
    await page.select_option("#size", "1")
    await expect(page).to_have_url(re.compile(r"[?&]communities=1$"))
    await page.wait_for_selector("body[data-state=ready]")
    one = (await api(hub_served, ROWS, maxCommunities=1))["coverage"]
    small = await circles(page)
    bands = ["#b2182b", "#ef8a62", "#fddbc7", "#92c5de", "#2166ac"]
    for row in one:
        band = min(4, math.floor(row["coalitionCoverage"] / 0.2 + 1e-9))
        assert small[row["kecamatan"]["code"]]["fill"] == bands[band], row
    assert len({c["fill"] for c in small.values()}) >= 2
    await page.select_option("#size", "5")
    await page.wait_for_selector("body[data-state=ready]")

    # when the culinary sector is chosen, the circles show the culinary gaps only
    await page.select_option("#sector", "KULINER")
    await expect(page.locator("#status")).to_contain_text("in Kuliner")
    filtered = await circles(page)
    assert {code: int(c["gap"]) for code, c in filtered.items()} == culinary_gaps
    assert culinary_gaps != all_gaps
    assert filtered["31.71.01"]["r"] != drawn["31.71.01"]["r"]
    assert "sector=KULINER" in page.url

    # when a circle gets the keyboard focus, its numbers and top complements show
    await page.focus("#size")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.dataset.code")
    assert focused in culinary_gaps
    await page.wait_for_selector(f'#details[data-code="{focused}"] ol.complements, #details p')
    await page.locator('#map circle[data-code="31.71.01"]').focus()
    await page.wait_for_selector('#details[data-code="31.71.01"] ol.complements')
    figures = await page.eval_on_selector_all(
        "#details dd", "dds => Object.fromEntries(dds.map(d => [d.dataset.figure, d.textContent]))"
    )
    assert figures["Gap"] == str(culinary_gaps["31.71.01"])
    gambir = (await api(hub_served, ROWS, sectors=["KULINER"]))["coverage"]
    demand = next(r["demand"] for r in gambir if r["kecamatan"]["code"] == "31.71.01")
    assert figures["Demand"] == str(demand)
    sector_rows = await page.eval_on_selector_all(
        "#details table.needs td:first-child", "tds => tds.map(td => td.textContent)"
    )
    assert sector_rows == ["Kuliner"]
    complements = await page.eval_on_selector_all(
        "#details ol.complements li", "lis => lis.map(li => li.textContent)"
    )
    expected = (await api(hub_served, DETAILS, code="31.71.01"))["kecamatan"]["complements"]
    assert len(complements) == len(expected) > 0
    # ... with a link that opens the same query in GraphiQL
    link = await page.get_attribute("#details a", "href")
    assert link is not None
    opened = parse_qs(urlsplit(link).query)
    assert "kecamatan(code: $code)" in opened["q"][0]
    assert json.loads(opened["variables"][0]) == {"code": "31.71.01", "sectors": ["KULINER"]}
    async with httpx.AsyncClient(timeout=30) as http:
        graphiql = await http.get(f"{base}{link}", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    # Enter keeps the details, Escape closes them
    await page.keyboard.press("Enter")
    await page.keyboard.press("Escape")
    assert await page.locator("#details").is_hidden()

    # the table holds the same rows, and sorts by any column, both ways
    codes = await page.eval_on_selector_all(
        "#table tbody tr", "trs => trs.map(tr => tr.dataset.code)"
    )
    assert sorted(codes) == sorted(culinary_gaps)
    gap_column = [int(v) for v in await table_column(page, 5)]
    assert gap_column == sorted(culinary_gaps.values(), reverse=True)
    await page.click("#table th[data-key=demand] button")
    demands = [int(v) for v in await table_column(page, 3)]
    assert demands == sorted(demands, reverse=True)
    assert await page.get_attribute("#table th[data-key=demand]", "aria-sort") == "descending"
    await page.keyboard.press("Enter")  # the header button keeps the focus
    demands = [int(v) for v in await table_column(page, 3)]
    assert demands == sorted(demands)
    assert await page.get_attribute("#table th[data-key=demand]", "aria-sort") == "ascending"
    await page.click("#table th[data-key=name] button")
    names = await table_column(page, 1)
    assert names == sorted(names, key=str.casefold)

    # a picture of it, for people
    await page.select_option("#sector", "")
    await page.wait_for_selector("body[data-state=ready]")
    shot = tmp_path / "map.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
