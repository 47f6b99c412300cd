"""Which requests of a subscription share one execution per event (besides the viewer)."""

from __future__ import annotations

import json
from typing import Any

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from hub.core.settings import Settings
from schema.integration.sharing import SharedData, document_key, next_message_text

DOCUMENT = """
subscription ($filter: PlanEventFilter, $after: String, $first: Int) {
  planEvents(filter: $filter, after: $after) { kind plan { trainings(first: $first) { totalCount } } }
}
"""


def key(document: str, variables: dict[str, Any]) -> object:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = [d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)]
    return document_key(operation, fragments, variables)


def test_the_root_fields_arguments_do_not_part_subscribers() -> None:
    # Given two subscribers that differ only in their cursor and filter
    first = key(DOCUMENT, {"after": "MTA=", "filter": {"planId": "a"}, "first": 5})
    second = key(DOCUMENT, {"after": "MjA=", "filter": {"planId": "b"}, "first": 5})
    # Then their events' results are the same
    assert first == second is not None


def test_a_variable_used_below_the_root_field_parts_them() -> None:
    assert key(DOCUMENT, {"first": 5}) != key(DOCUMENT, {"first": 6})


def test_a_variable_in_a_fragment_or_a_root_directive_parts_them() -> None:
    document = """
    subscription ($show: Boolean!, $n: Int) {
      planEvents @include(if: $show) { ...F }
    }
    fragment F on PlanEvent { plan { trainings(first: $n) { totalCount } } }
    """
    assert key(document, {"show": True, "n": 1}) != key(document, {"show": False, "n": 1})
    assert key(document, {"show": True, "n": 1}) != key(document, {"show": True, "n": 2})


def test_another_document_or_operation_parts_them() -> None:
    other = DOCUMENT.replace("kind", "kind at")
    assert key(DOCUMENT, {}) != key(other, {})
    named = "subscription A { planEvents { kind } } subscription B { planEvents { kind } }"
    parsed = parse(named)
    a, b = parsed.definitions
    assert isinstance(a, OperationDefinitionNode)
    assert isinstance(b, OperationDefinitionNode)
    assert document_key(a, [], {}) != document_key(b, [], {})


def test_a_fragment_at_the_root_is_not_shared() -> None:
    document = "subscription { ...R } fragment R on Subscription { planEvents { kind } }"
    assert key(document, {}) is None


def test_a_shared_next_message_differs_only_in_its_id() -> None:
    data = SharedData({"planEvents": {"kind": "PROPOSED", "title": 'say "hi" \u00e9'}})
    extensions = {"cost": {"requested": 3, "maxCost": 500000}}
    first = next_message_text("a", {"data": data, "extensions": extensions})
    second = next_message_text('b"\\', {"data": data, "extensions": dict(extensions)})
    for text, operation_id in ((first, "a"), (second, 'b"\\')):
        assert json.loads(text) == {
            "id": operation_id,
            "type": "next",
            "payload": {"data": dict(data), "extensions": extensions},
        }
    assert first.split(",", 1)[1] == second.split(",", 1)[1]


def test_a_shared_next_message_with_other_extensions_or_errors_is_made_anew() -> None:
    data = SharedData({"planEvents": None})
    errors = [{"message": "gone", "path": ["planEvents"], "extensions": {"code": "NOT_FOUND"}}]
    plain = next_message_text("1", {"data": data, "extensions": {"cost": {"requested": 1}}})
    other = next_message_text("1", {"data": data, "extensions": {"cost": {"requested": 2}}})
    failed = next_message_text("1", {"data": data, "errors": errors})
    assert json.loads(plain)["payload"]["extensions"] == {"cost": {"requested": 1}}
    assert json.loads(other)["payload"]["extensions"] == {"cost": {"requested": 2}}
    assert json.loads(failed)["payload"] == {"data": {"planEvents": None}, "errors": errors}


def test_websockets_offer_per_message_deflate_only_when_switched_on() -> None:
    assert Settings.from_env({}).ws_per_message_deflate is False
    assert Settings.from_env({"HUB_WS_PER_MESSAGE_DEFLATE": "on"}).ws_per_message_deflate is True
