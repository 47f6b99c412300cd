"""One log line per request, found by its X-Request-ID, with no variables, tokens or personal
data; JSON lines with the keys of DESIGN section 13."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from hub.web.logs import AccessLogFilter, make_formatter, operation_name, safe_path
from hub.web.requests import RequestIdFilter
from tests.conftest import make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

MENTORS = """
query FindMentors($search: String) {
  mentors(filter: { search: $search }) { totalCount edges { node { name email } } }
}
"""


def _fields(record: logging.LogRecord) -> tuple[object, ...]:
    return tuple(getattr(record, k) for k in ("operation", "role", "status"))


def _lines(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "hub.requests" and getattr(r, "request_id", None) == request_id
    ]


async def test_one_line_per_request_found_by_its_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given a signed-in request with variables
    tokens = await make_tokens()
    secret = tokens.secrets["admin"]
    caplog.set_level(logging.INFO, logger="hub.requests")
    caplog.handler.addFilter(RequestIdFilter())

    # when it is sent with an X-Request-ID
    response = await client.post(
        "/graphql",
        json={"query": MENTORS, "variables": {"search": "Rahmawati"}},
        headers={"X-Request-ID": "log-test-1", "Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "log-test-1"

    # then exactly one line carries its id, with what section 13 asks, and nothing else
    [line] = _lines(caplog, "log-test-1")
    fields = {k: getattr(line, k) for k in ("operation", "role", "status", "cost")}
    assert fields == {"operation": "FindMentors", "role": "ADMIN", "status": 200, "cost": 20}
    assert line.duration_ms >= 0
    text = line.getMessage()
    assert text.startswith("POST /graphql operation=FindMentors role=ADMIN status=200 cost=20")
    for secret_part in ["Rahmawati", secret, "@example.org"]:
        assert secret_part not in text


async def test_anonymous_get_and_refused_token(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.requests")
    caplog.handler.addFilter(RequestIdFilter())
    await client.get(
        "/graphql",
        params={"query": "query Kotas { kotas { code } }"},
        headers={"X-Request-ID": "log-test-2", "Accept": "application/json"},
    )
    await client.post(
        "/graphql",
        json={"query": "{ kotas { code } }"},
        headers={"X-Request-ID": "log-test-3", "Authorization": "Bearer okh_unknown"},
    )
    [get] = _lines(caplog, "log-test-2")
    assert _fields(get) == ("Kotas", "ANONYMOUS", 200)
    [refused] = _lines(caplog, "log-test-3")
    assert _fields(refused) == (None, None, 401)
    assert "okh_unknown" not in refused.getMessage()


def test_json_lines_have_the_keys_of_section_13(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_LOG_FORMAT", "json")
    record = logging.LogRecord("hub.requests", logging.INFO, "", 0, "POST /graphql", None, None)
    for key, value in {
        "request_id": "r-1",
        "operation": "Who",
        "role": "STAFF",
        "status": 200,
        "cost": 12,
        "duration_ms": 3.5,
    }.items():
        setattr(record, key, value)
    line = json.loads(make_formatter().format(record))
    assert {k: line[k] for k in ("request_id", "operation", "role", "status", "cost")} == {
        "request_id": "r-1",
        "operation": "Who",
        "role": "STAFF",
        "status": 200,
        "cost": 12,
    }
    assert line["duration_ms"] == 3.5
    assert line["logger"] == "hub.requests"


def test_paths_and_operation_names_as_they_may_be_logged() -> None:
    assert safe_path("/graphql?query=x&variables=%7B%7D") == "/graphql"
    assert safe_path("/unsubscribe/abc.def-secret") == "/unsubscribe/…"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/unsubscribe/tok?x=1", "1.1", 200),
        None,
    )
    AccessLogFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:1 - "GET /unsubscribe/… HTTP/1.1" 200'

    assert operation_name(None, "mutation Go { a }") == "Go"
    assert operation_name("B", "query A { a } query B { b }") == "B"
    assert operation_name(None, "{ kotas { code } }") is None
    assert operation_name("not a name!", 42) is None
