"""The README's "Filtering lists": its table names exactly the schema's filter fields, and its
examples run on the Jakarta demo and find what they say, read from README.md itself."""

from __future__ import annotations

import re
from pathlib import Path

import graphql
import pytest

from hub.access import create_token
from hub.seed.demo import DEMO_ACCOUNTS
from models.accounts import Account
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("demo_data")

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SDL = ROOT / "schema" / "schema.graphql"


def filter_table() -> dict[str, set[str]]:
    """List name -> the filter fields the README's table names for it."""
    text = README.read_text("utf-8")
    table = text.split("<!-- filters -->", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in table.splitlines()[3:]:
        _, list_cell, fields_cell, _ = line.split("|")
        # Field names are the code spans at the start of each comma-separated item.
        fields = {m[1] for m in re.finditer(r"(?:^|, )`(\w+)`", fields_cell.strip())}
        rows[list_cell.strip().strip("`")] = fields
    return rows


def schema_filters() -> dict[str, set[str]]:
    """List field of Query -> the fields of its filter input, from the committed SDL."""
    schema = graphql.build_schema(SDL.read_text("utf-8"))
    assert schema.query_type is not None
    found = {}
    for name, field in schema.query_type.fields.items():
        argument = field.args.get("filter")
        if argument is not None:
            filter_type = graphql.get_named_type(argument.type)
            assert isinstance(filter_type, graphql.GraphQLInputObjectType)
            found[name] = set(filter_type.fields)
    return found


def examples() -> dict[str, tuple[str, str | None]]:
    """Example name -> its operation and the demo role whose token it needs (or None)."""
    pattern = re.compile(
        r"<!-- filter:(?P<name>[\w-]+)(?: as:(?P<role>\w+))? -->\n```graphql\n(?P<op>.*?)```",
        re.S,
    )
    return {m["name"]: (m["op"], m["role"]) for m in pattern.finditer(README.read_text("utf-8"))}


async def _headers(role: str | None) -> dict[str, str]:
    if role is None:
        return {}
    email, _, role_value, centre, _community = next(a for a in DEMO_ACCOUNTS if a[2].value == role)
    account = await Account.get(email=email)
    issued = await create_token(
        email=email, role=role_value, centre_code=centre, community_id=account.community_id
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def test_the_table_names_every_filter_field_of_the_schema_and_no_other() -> None:
    assert filter_table() == schema_filters()


async def test_the_filter_examples_run_and_find_what_they_say(gql: GraphQLClient) -> None:
    operations = examples()
    assert set(operations) == {"communities", "mentors", "kecamatans", "trainings", "plans"}
    results = {}
    for name, (operation, role) in operations.items():
        body = await gql(operation, headers=await _headers(role))
        assert "errors" not in body, (name, body)
        results[name] = body["data"]

    communities = [e["node"] for e in results["communities"]["communities"]["edges"]]
    names = {c["name"] for c in communities}
    assert {"Komunitas Kuliner Nusantara", "Komunitas Gambir Kreatif"} <= names
    assert "Sentra Kuliner Senen" not in names  # serves Senen, another kecamatan
    assert "Komunitas Digitalpreneur Jakarta" not in names  # serves anywhere, and not culinary
    assert all(c["areas"] for c in communities)  # includeAnywhere: false

    mentors = [e["node"] for e in results["mentors"]["mentors"]["edges"]]
    assert mentors
    assert all(any(s["sector"]["code"] == "KULINER" for s in m["skills"]) for m in mentors), mentors

    kecamatans = [e["node"] for e in results["kecamatans"]["kecamatans"]["edges"]]
    assert kecamatans == [{"code": "31.71.01", "name": "Gambir"}]

    trainings = [e["node"] for e in results["trainings"]["trainings"]["edges"]]
    assert [t["title"] for t in trainings] == ["Pelatihan Kuliner: Pendampingan kuliner Senen"]
    assert {t["status"] for t in trainings} == {"SCHEDULED"}

    plans = [e["node"] for e in results["plans"]["plans"]["edges"]]
    assert plans == [{"title": "Kedai kopi Tebet", "status": "ACTIVE"}]
