"""The GraphiQL page: Strawberry's, with its scripts served locally and the hub's example query."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

STATIC_PREFIX = "/static/graphiql"

# CDN address in Strawberry's page -> the same file, vendored in hub/web/static/graphiql.
_ASSETS = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": (
        "react-dom.production.min.js"
    ),
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": (
        "plugin-explorer.umd.js"
    ),
}

EXAMPLE_QUERY = """\
# OK OCE collaboration hub: Jakarta's entrepreneurship centres and partner communities.
#
# Press the run button (or Ctrl-Enter). To act as a signed-in account, open
# "Headers" below and paste:  {"Authorization": "Bearer <your token>"}
# (`hub serve` prints demo tokens; `hub token create` makes real ones.)

query Gambir {
  kecamatan(code: "31.71.01") {
    name
    kota { name }
    centre { name }
    # What the centre is missing, sector by sector
    needs { sector { code } demand supply gap }
    # The communities that could fill most of it, best first, and why
    complements(first: 5) {
      community { name kind }
      score
      reach
      filled
      sectors { sector { code } gap free filled }
    }
    # A group of communities that together fill the most
    coalition(maxCommunities: 3) {
      gap
      covered
      coverage
      members { community { name } filled }
    }
  }
}
"""


def _static_dir() -> Path:
    return Path(str(resources.files("hub.web").joinpath("static/graphiql")))


@cache
def graphiql_html() -> str:
    page = resources.files("strawberry").joinpath("static/graphiql.html").read_text("utf-8")
    for url, name in _ASSETS.items():
        if url not in page:
            raise RuntimeError(f"Strawberry's GraphiQL page no longer loads {url}")
        page = page.replace(url, f"{STATIC_PREFIX}/{name}")
    start = page.index("const EXAMPLE_QUERY = `")
    end = page.index("`;", start) + 2
    return page[:start] + f"const EXAMPLE_QUERY = {json.dumps(EXAMPLE_QUERY)};" + page[end:]


def static_routes() -> list[BaseRoute]:
    return [Mount(STATIC_PREFIX, app=StaticFiles(directory=_static_dir()), name="graphiql-static")]
