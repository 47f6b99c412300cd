"""The two tables of compiled fields agree: what the lean completion answers from rows
(schema/compiled/specs.py) is what PostgreSQL builds (schema/compiled/jsonsql.py), so a field
added to one is not silently read only one way."""

from __future__ import annotations

from schema.compiled.jsonsql import FIELDS, NODE_TABLES
from schema.compiled.specs import TYPES


def test_the_database_builds_every_compiled_field() -> None:
    assert {name: sorted(fields) for name, fields in FIELDS.items()} == {
        name: sorted(fields) for name, fields in TYPES.items()
    }


def test_node_types_are_compiled_types() -> None:
    assert set(NODE_TABLES) <= set(TYPES)
