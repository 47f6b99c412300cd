"""Differential tests of compiled reads (schema/compiled/): the same request, from the same
caller, answered by an app with the compiled path and by one without it (`HUB_COMPILED_READS=
off`) gives the same status and the same JSON: values, key order (a float stays a float),
errors, extensions; bodies are compared parsed, since PostgreSQL spaces the JSON it builds
otherwise than Python.

The corpus: the read documents of the benchmark, every query document written in the test
suite (collected from its modules' string constants), and documents hypothesis draws over the
planned types (fields, aliases, fragments, `@include`/`@skip` on variables, `first`/`after`
valid and not, `totalCount`, filters). Every document goes to every role. The number of drawn
examples per role comes from `HUB_COMPILED_EXAMPLES` (CI: 20); `bench/compiled_reads.py` runs
longer."""

from __future__ import annotations

import ast
import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from tortoise import connections

import schema
from hub.app import create_app
from hub.core import encode_global_id
from hub.core.database import is_postgres
from hub.core.ids import encode_cursor
from hub.core.settings import Settings
from models.directory import Community, Mentor
from models.enums import RegionLevel
from models.regions import Region
from schema.compiled import Compiled
from tests.api.participation_world import build_participation_world
from tests.conftest import GRAPHQL, Tokens, count_statements, make_tokens

pytestmark = [
    pytest.mark.usefixtures("demo_data"),
    # When a field error nulls a parent, graphql-core's executor cancels the sibling fields
    # still pending (`gather_with_cancel`); a sibling cancelled before it started leaves
    # Strawberry's resolver coroutine unawaited. The executor's behaviour, on both paths (the
    # compiled path gives such requests back), which drawn documents with bad arguments reach.
    pytest.mark.filterwarnings(
        "ignore:coroutine 'GraphQLCoreConverter.from_resolver.<locals>._async_resolver' was "
        "never awaited:RuntimeWarning"
    ),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <coroutine object GraphQLCoreConverter.from_resolver"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
]

ROLES = (None, "partner", "coordinator", "staff", "admin")
EXAMPLES = int(os.environ.get("HUB_COMPILED_EXAMPLES", "20"))
TESTS = Path(__file__).resolve().parents[1]

NESTED = """query Nested {
  kecamatans(first: 100) { edges { node {
    code name kota { name }
    centre { name mentors(first: 100) { edges { node {
      name active skills { capacity sector { code name } }
    } } } }
  } } }
}"""

KECAMATAN = """query Kecamatan($code: String!, $kota: String!) {
  kecamatan(code: $code) { code name centre { name } needs { sector { code } demand } }
  communities(first: 100, filter: {areaCode: $kota, includeAnywhere: false}) {
    edges { node { name kind } }
  }
}"""

EVERYTHING = """query Everything($flag: Boolean!, $after: String) {
  kotas { __typename id code name officialName
    kecamatans(first: 3, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage
      startCursor endCursor } edges { cursor node { ...K } } } }
  sectors { code name nameEn }
  c: communities(first: 5, filter: {kind: SECTOR}) { totalCount edges { node {
    id name kind description audiences memberCount servesAnywhere
    areas { code name level } sectors { code }
    mentors(first: 2) { totalCount edges { node { ...M } } } } } }
  mentors(first: 7, filter: {active: true}) { edges { node { ...M centre { id kecamatan { code } } } } }
  kota(code: "31.71") { name }
  missing: kecamatan(code: "99.99.99") { name }
}
fragment K on Kecamatan { id code lat lon name @include(if: $flag) kota { code }
  centre { id name address contactEmail contactPhone } needs { sector { code } demand supply
  gap waiting } }
fragment M on Mentor { __typename id name active @skip(if: $flag)
  skills { capacity free sector { code nameEn } } community { name } }
"""

# Mixed documents: compiled fields beside fields the executor answers (schema/compiled/
# fallback.py): personal data, computed matching fields, root fields without a statement.
MENTOR_CONTACTS = """query Contacts($community: ID) {
  mentors(first: 20, filter: {communityId: $community}) { totalCount edges { node {
    id name email phone centre { name } community { name } } } }
}"""

MIXED = [
    """{ kecamatans(first: 3) { edges { node { code centre { name
      mentors(first: 2) { edges { node { name email skills { capacity } } } } } } } } }""",
    """{ communities(first: 3, filter: {kind: SECTOR}) { edges { node { name
      opportunities(first: 2) { score reach filled kecamatan { code centre { name } } }
      mentors(first: 2) { edges { node { name phone } } } } } } }""",
    """query($code: String!) { kecamatan(code: $code) { code name
      complements(first: 3) { score reach filled community { name mentors(first: 2) {
        edges { node { name email } } } } sectors { sector { code } gap free filled } }
      coalition(maxCommunities: 2) { gap covered coverage members { community { name } filled } }
      kota { name } } }""",
    """query($mentor: ID!) { node(id: $mentor) { id ... on Mentor { name email } }
      kecamatans(first: 2) { totalCount edges { node { code } } } }""",
    """{ viewer { role email centre { name } community { name } } sectors { code } }""",
    """{ plans(first: 3) { edges { node { title status } } } kotas { code name } }""",
    """{ trainings(first: 2) { edges { node { title } } } kecamatan(code: "31.71.01") { name } }""",
    """{ coverage(kotaCode: "31.71") { kecamatan { code } gap } k: kecamatan(code: "31.71.02") {
      name complements(first: 1) { score } } }""",
    """query($flag: Boolean!) { mentors(first: 4) { edges { node { ...Contact } } }
      kecamatans(first: 2) { edges { node { ... on Kecamatan @include(if: $flag) {
        complements(first: 1) { score } } code } } } }
    fragment Contact on Mentor { name email @include(if: $flag) phone @skip(if: $flag)
      ... on Mentor @skip(if: $flag) { community { name opportunities(first: 1) { score } } } }""",
    # Fallback fields that fail: an argument the resolver refuses, one its guard refuses
    """{ kecamatan(code: "31.71.01") { name complements(first: 101) { score } } }""",
    """{ kecamatan(code: "31.71.01") { name coalition(maxCommunities: -1) { gap } } }""",
    """{ communities(first: 2) { edges { node { name
      opportunities(sectors: ["KU\\u0000"]) { score } } } } }""",
    """{ kotas { name } node(id: "Tm9wZToz") { id ... on Mentor { email } } }""",
]


@pytest.fixture(scope="module")
def compiled_app(app: Starlette, settings: Settings) -> Starlette:
    return create_app(replace(settings, cache_enabled=False, compiled_reads=True))


@pytest.fixture(scope="module")
def reference_app(app: Starlette, settings: Settings) -> Starlette:
    return create_app(replace(settings, cache_enabled=False, compiled_reads=False))


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    return await make_tokens()


def same_json(body: bytes) -> str:
    """The body as it reads: values, key order and errors kept (a float stays a float), the
    spacing of PostgreSQL's JSON functions left out."""
    try:
        return json.dumps(json.loads(body))
    except ValueError:
        return body.decode(errors="replace")


class Pair:
    """Posts a request to both apps and says whether their bodies differ."""

    def __init__(
        self,
        compiled: httpx.AsyncClient,
        reference: httpx.AsyncClient,
        tokens: Tokens,
        reads: Any = None,
    ) -> None:
        self.compiled, self.reference, self.tokens = compiled, reference, tokens
        self.reads = reads
        """The compiled app's compiled path (`CompiledReads`), to tell who answered."""

    async def differences(
        self, query: str, variables: dict[str, Any] | None, who: str | None
    ) -> list[str]:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        headers = self.tokens.headers(who)
        before = self.reads.answered if self.reads is not None else None
        a = await self.compiled.post(GRAPHQL, json=body, headers=headers)
        b = await self.reference.post(GRAPHQL, json=body, headers=headers)
        if (a.status_code, same_json(a.content)) == (b.status_code, same_json(b.content)):
            return []
        if before is not None and self.reads.answered == before and _only_errors_differ(a, b):
            # The compiled path gave the request back, so the executor answered both; when an
            # error nulls `data`, which of the fields still running report theirs before the
            # result is made depends on timing, in the executor alone.
            return []
        return [
            f"as {who or 'anonymous'}, {variables}:\n{query}\ncompiled {a.status_code} "
            f"{a.text[:600]}\nreference {b.status_code} {b.text[:600]}"
        ]


def _only_errors_differ(a: httpx.Response, b: httpx.Response) -> bool:
    """Both answers null `data` with errors and differ in nothing else."""
    one, other = a.json(), b.json()
    return (
        a.status_code == b.status_code
        and one.get("data") is None
        and other.get("data") is None
        and bool(one.get("errors"))
        and bool(other.get("errors"))
        and one.get("extensions") == other.get("extensions")
    )


@pytest.fixture
async def pair(
    compiled_app: Starlette, reference_app: Starlette, tokens: Tokens
) -> AsyncIterator[Pair]:
    def client(app: Starlette) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")

    async with client(compiled_app) as compiled, client(reference_app) as reference:
        yield Pair(compiled, reference, tokens, compiled_of(compiled_app))


def compiled_of(app: Starlette) -> Any:
    """The app's compiled path (its GraphQL route's endpoint holds it)."""
    for route in app.routes:
        compiled = getattr(getattr(route, "endpoint", None), "compiled", None)
        if compiled is not None:
            return compiled
    raise AssertionError("the app has no compiled path")


async def test_the_benchmark_reads_compile_and_answer_alike(
    pair: Pair, compiled_app: Starlette
) -> None:
    # Given the two reads the benchmark measures, and one over every compiled field
    compiled = compiled_of(compiled_app)
    cases = [
        (NESTED, None),
        (KECAMATAN, {"code": "31.71.01", "kota": "31.71"}),
        (EVERYTHING, {"flag": True}),
        (EVERYTHING, {"flag": False, "after": encode_cursor(1)}),
    ]
    for query, _ in cases:
        assert compiled.how(query, None) is Compiled.FULLY, query
    # When every role asks each, then both paths answer the same bytes
    found = [
        d
        for query, variables in cases
        for who in ROLES
        for d in await pair.differences(query, variables, who)
    ]
    assert found == []


async def test_the_compiled_path_answers_without_the_executor(
    compiled_app: Starlette, pair: Pair
) -> None:
    # Given the compiled path's count of answers
    compiled = compiled_of(compiled_app)
    before = compiled.answered
    # When the nested read is asked, then it was answered there, with data
    response = await pair.compiled.post(GRAPHQL, json={"query": NESTED})
    assert compiled.answered == before + 1
    kecamatans = response.json()["data"]["kecamatans"]["edges"]
    assert len(kecamatans) == 44
    codes = [edge["node"]["code"] for edge in kecamatans]
    assert codes == sorted(codes)
    assert "31.71.01" in codes


async def test_bad_arguments_and_personal_data_are_left_to_the_executor(
    compiled_app: Starlette, pair: Pair
) -> None:
    compiled = compiled_of(compiled_app)
    community = await Community.filter().order_by("id").first()
    assert community is not None
    cases: list[tuple[str, dict[str, Any] | None]] = [
        ("{ kecamatans(first: 101) { totalCount } }", None),
        ('{ kecamatans(after: "bm9wZQ==") { totalCount } }', None),
        ("{ kotas { kecamatans(first: -1) { totalCount } } }", None),
        ('{ kecamatans(filter: {search: "a\\u0000b"}) { totalCount } }', None),
        ("query($n: Int!) { kecamatans(first: $n) { totalCount } }", {"n": "x"}),
        ("query($n: Int!) { kecamatans(first: $n) { totalCount } }", None),
        ('{ mentors(filter: {communityId: "Tm9wZToz"}) { totalCount } }', None),
        (
            "query($id: ID!) { mentors(filter: {communityId: $id}) { edges { node { name } } } }",
            {"id": encode_global_id("Community", community.id)},
        ),
        ("{ mentors(first: 3) { edges { node { name email phone } } } }", None),
        ('{ kecamatan(code: "31.71.01") { complements { score } } }', None),
        ("{ kecamatans { nope } }", None),
        ("query A { kotas { name } } query B { sectors { code } }", None),
        ("mutation { __typename }", None),
    ]
    found = [
        d
        for query, variables in cases
        for who in ROLES
        for d in await pair.differences(query, variables, who)
    ]
    assert found == []
    # Personal data compiles partly: its fields are the executor's, run as the viewer
    assert compiled.how("{ mentors { edges { node { email } } } }", None) is Compiled.PARTLY
    # `node` alone is compiled where PostgreSQL builds the JSON; elsewhere it is the executor's
    node = '{ node(id: "Tm9wZToz") { id } }'
    assert compiled.compiles(node, None) is is_postgres(connections.get("default"))
    assert not compiled.compiles("{ __schema { queryType { name } } kotas { name } }", None)


async def test_mixed_documents_answer_alike(compiled_app: Starlette, pair: Pair) -> None:
    # Given documents that compile partly, and a mentor of the coordinator's community
    compiled = compiled_of(compiled_app)
    community = await Community.filter().order_by("id").first()
    assert community is not None
    mentor = await Mentor.filter(community_id=community.id).order_by("id").first()
    assert mentor is not None
    variables = {
        "code": "31.71.01",
        "mentor": encode_global_id("Mentor", mentor.id),
        "community": encode_global_id("Community", community.id),
    }
    cases: list[tuple[str, dict[str, Any] | None]] = [(MENTOR_CONTACTS, None)]
    cases += [(MENTOR_CONTACTS, {"community": variables["community"]})]
    for query in MIXED:
        used = variables_for(query, variables)
        if "$flag" in query:
            cases += [(query, {**used, "flag": True}), (query, {**used, "flag": False})]
        else:
            cases.append((query, used or None))
    for query, _ in cases:
        assert compiled.how(query, None) is Compiled.PARTLY, query
    # When every role asks each, then both paths answer the same bytes
    before = compiled.answered_partly
    found = [
        d
        for query, variables in cases
        for who in ROLES
        for d in await pair.differences(query, variables, who)
    ]
    assert found == []
    # and the compiled path answered many of them (those without errors for the role)
    assert compiled.answered_partly - before >= len(cases)


async def test_fallback_fields_run_the_executor_as_the_viewer(
    compiled_app: Starlette, pair: Pair
) -> None:
    # Given the coordinator's community and its mentors' contact data
    compiled = compiled_of(compiled_app)
    community = await Community.filter().order_by("id").first()
    assert community is not None
    mentors = await Mentor.filter(community_id=community.id).order_by("name", "id")
    assert mentors
    variables = {"community": encode_global_id("Community", community.id)}
    body = {"query": MENTOR_CONTACTS, "variables": variables}
    # When the coordinator asks for them
    before = (compiled.answered, compiled.answered_partly)
    response = await pair.compiled.post(
        GRAPHQL, json=body, headers=pair.tokens.headers("coordinator")
    )
    # Then the compiled path answered, with the executor's email and phone: their own mentors'
    assert (compiled.answered, compiled.answered_partly) == (before[0] + 1, before[1] + 1)
    answer = response.json()
    assert "errors" not in answer
    nodes = [edge["node"] for edge in answer["data"]["mentors"]["edges"]]
    assert [(n["name"], n["email"], n["phone"]) for n in nodes] == [
        (m.name, m.email, m.phone) for m in mentors
    ]
    assert any(n["email"] for n in nodes)
    # When a partner app asks the same, then the executor answers it (FORBIDDEN, nulls)
    response = await pair.compiled.post(GRAPHQL, json=body, headers=pair.tokens.headers("partner"))
    assert compiled.answered == before[0] + 1
    answer = response.json()
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    assert all(edge["node"]["email"] is None for edge in answer["data"]["mentors"]["edges"])


async def test_mixed_reads_take_a_bounded_number_of_statements(
    compiled_app: Starlette, pair: Pair
) -> None:
    # Given a list of mentors with their email (an admin sees every one), and kecamatan with
    # their complements, at two page sizes
    compiled = compiled_of(compiled_app)
    mentors = "{ mentors(first: %d) { edges { node { name email skills { capacity } } } } }"
    kecamatans = (
        "{ kecamatans(first: %d) { edges { node { code complements(first: 2) { score"
        " community { name } } centre { mentors { edges { node { name phone } } } } } } } }"
    )
    admin = pair.tokens.headers("admin")
    # (the token's last use is written at most once a while: not inside the counts)
    await pair.compiled.post(GRAPHQL, json={"query": "{ sectors { code } }"}, headers=admin)
    for template in (mentors, kecamatans):
        counts = []
        for size in (3, 20):
            before = compiled.answered_partly
            with count_statements() as counter:
                response = await pair.compiled.post(
                    GRAPHQL, json={"query": template % size}, headers=admin
                )
            assert "errors" not in response.json()
            assert compiled.answered_partly == before + 1
            counts.append(counter.count)
        # Then the statements do not grow with the page
        assert counts[0] == counts[1], (template, counts)


async def test_root_filters_written_as_sql_answer_alike(
    compiled_app: Starlette, pair: Pair
) -> None:
    """The root statements written without the ORM: each filter alone and together, codes
    that are no region (LIKE wildcards, letters), pages and totals."""
    compiled = compiled_of(compiled_app)
    before = compiled.answered
    page = "totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name kind } }"
    filters = [
        "{}",
        '{areaCode: "31.71"}',
        '{areaCode: "31"}',
        '{areaCode: "31.71.01", includeAnywhere: false}',
        '{areaCode: "3_"}',
        '{areaCode: "3%", includeAnywhere: false}',
        '{areaCode: "a.b"}',
        "{kind: SECTOR}",
        '{sectorCode: "KULINER", kind: REGION}',
        '{sectorCode: "NOPE"}',
        '{sectorCode: "KULINER", areaCode: "31.71", includeAnywhere: false}',
        '{search: "a", areaCode: "31.71"}',
    ]
    cases = [f"{{ communities(first: 3, filter: {f}) {{ {page} }} }}" for f in filters]
    cases += [
        '{ communities(first: 2, after: "YXJyYXljb25uZWN0aW9uOjE=") { totalCount edges { node { name } } } }',
        '{ kecamatans(first: 2, filter: {kotaCode: "31.71"}) { totalCount edges { node { code } } } }',
        '{ kecamatans(first: 0, filter: {kotaCode: "nope"}) { totalCount pageInfo { hasNextPage } } }',
        '{ kecamatan(code: "31.71") { code } kota(code: "31.71") { code name } }',
        '{ kecamatan(code: "31.71.01") { code lat lon } kota(code: "31.71.01") { code } }',
        "{ kotas { code } sectors { code nameEn } }",
    ]
    found = [
        d for query in cases for who in ROLES for d in await pair.differences(query, None, who)
    ]
    assert found == []
    assert compiled.answered > before


def suite_documents() -> Iterator[str]:
    """Every string constant of the test modules that parses as a document with a query."""
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if "{" not in text or not any(w in text for w in ("query", "{ ")):
                continue
            try:
                document = graphql.parse(text)
            except graphql.GraphQLError:
                continue
            if any(
                isinstance(d, graphql.OperationDefinitionNode)
                and d.operation is graphql.OperationType.QUERY
                for d in document.definitions
            ):
                yield text


SAMPLE_VARIABLES: dict[str, Any] = {
    "code": "31.71.01",
    "kecamatan": "31.71.01",
    "kota": "31.71",
    "kotaCode": "31.71",
    "areaCode": "31.71",
    "sector": "KULINER",
    "sectorCode": "KULINER",
    "first": 3,
    "search": "a",
}


def variables_for(query: str, values: dict[str, Any] = SAMPLE_VARIABLES) -> dict[str, Any]:
    document = graphql.parse(query)
    names = {
        v.variable.name.value
        for d in document.definitions
        if isinstance(d, graphql.OperationDefinitionNode)
        for v in d.variable_definitions or ()
    }
    return {n: values[n] for n in names if n in values}


async def test_every_query_of_the_suite_answers_alike(
    pair: Pair, compiled_app: Starlette, record_property: Callable[[str, Any], None]
) -> None:
    compiled = compiled_of(compiled_app)
    documents = list(dict.fromkeys(suite_documents()))
    assert len(documents) > 50
    full = [q for q in documents if compiled.how(q, None) is Compiled.FULLY]
    partly = [q for q in documents if compiled.how(q, None) is Compiled.PARTLY]
    found = []
    before = compiled.answered, compiled.answered_partly
    for query in documents:
        for who in ROLES:
            found += await pair.differences(query, variables_for(query), who)
    answered = compiled.answered - before[0], compiled.answered_partly - before[1]
    shares = {
        "compiled_share": f"{len(full)}/{len(documents)}",
        "compiled_at_least_partly_share": f"{len(full) + len(partly)}/{len(documents)}",
        "answered_compiled": f"{answered[0]}/{len(documents) * len(ROLES)}",
        "answered_with_fallback": f"{answered[1]}/{len(documents) * len(ROLES)}",
    }
    for name, share in shares.items():
        record_property(name, share)
    print(
        f"suite documents compiled fully: {len(full)} of {len(documents)}, at least partly: "
        f"{len(full) + len(partly)}; requests (a document as a role) answered by the "
        f"compiled path: {answered[0]} of {len(documents) * len(ROLES)}, {answered[1]} of them "
        "with fields the executor answered"
    )
    assert found == []
    assert len(full) >= 10
    assert len(partly) >= 10


# Hypothesis: selections over the planned types.

KECAMATAN_FIELDS = ["id", "code", "name", "lat", "lon", "__typename"]
SECTOR_FIELDS = ["code", "name", "nameEn"]
MENTOR_FIELDS = ["id", "name", "active", "__typename", "email", "phone"]
"""`email` and `phone` are not compiled: the executor answers them (schema/compiled/fallback.py),
as it does the computed fields drawn below (`complements`, `coalition`, `opportunities`)."""


def _leaves(names: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names), min_size=1, max_size=4)


FIRSTS = st.sampled_from(["", "(first: 0)", "(first: 1)", "(first: 2)", "(first: 101)"])
AFTERS = st.sampled_from(["", f'after: "{encode_cursor(0)}"', f'after: "{encode_cursor(5)}"'])


@st.composite
def connection_args(draw: st.DrawFn) -> str:
    first = draw(FIRSTS)
    after = draw(AFTERS)
    if not after:
        return first
    return f"({first[1:-1]}, {after})" if first else f"({after})"


@st.composite
def wrap(draw: st.DrawFn, text: str, on: str) -> str:
    """The selection as it is, aliased, under a directive, or in an inline fragment."""
    how = draw(st.sampled_from(["plain", "alias", "include", "skip", "fragment"]))
    if how == "alias" and not text.startswith("__"):
        name = text.split("(")[0].split(" ")[0]
        return f"{draw(st.sampled_from(['a', 'b']))}_{name}: {text}"
    if how in ("include", "skip"):
        directive = f"@{how}(if: $flag)"
        # On a leaf the field itself, else a fragment around it: directives go before `{`.
        return f"{text} {directive}" if " " not in text else f"... {directive} {{ {text} }}"
    if how == "fragment":
        return f"... on {on} {{ {text} }}"
    return text


@st.composite
def selection(draw: st.DrawFn, type_name: str, depth: int) -> str:
    fields: dict[str, Callable[[], str]] = {
        "Sector": lambda: draw(st.sampled_from(SECTOR_FIELDS)),
        "Kota": lambda: (
            draw(st.sampled_from(["id", "code", "name", "officialName"]))
            if depth <= 0
            else draw(
                st.sampled_from(
                    [
                        "name",
                        "officialName",
                        "kecamatans"
                        + draw(connection_args())
                        + " { totalCount edges { cursor node "
                        "{ "
                        + draw(selection("Kecamatan", depth - 1))
                        + " } } pageInfo { endCursor "
                        "hasNextPage } }",
                    ]
                )
            )
        ),
        "Kecamatan": lambda: (
            draw(st.sampled_from(KECAMATAN_FIELDS))
            if depth <= 0
            else draw(
                st.sampled_from(
                    [
                        "code",
                        "kota { " + draw(selection("Kota", depth - 1)) + " }",
                        "centre { " + draw(selection("Centre", depth - 1)) + " }",
                        "needs { demand gap sector { " + draw(selection("Sector", 0)) + " } }",
                        "complements(first: 2) { score reach community { "
                        + draw(selection("Community", depth - 1))
                        + " } }",
                        "coalition(maxCommunities: 2) { gap coverage members { filled } }",
                    ]
                )
            )
        ),
        "Centre": lambda: (
            draw(st.sampled_from(["id", "name", "address", "contactEmail"]))
            if depth <= 0
            else draw(
                st.sampled_from(
                    [
                        "name",
                        "kecamatan { " + draw(selection("Kecamatan", depth - 1)) + " }",
                        "mentors"
                        + draw(connection_args())
                        + " { totalCount pageInfo { startCursor "
                        "hasPreviousPage } edges { node { "
                        + draw(selection("Mentor", depth - 1))
                        + " } } }",
                    ]
                )
            )
        ),
        "Mentor": lambda: (
            draw(st.sampled_from(MENTOR_FIELDS))
            if depth <= 0
            else draw(
                st.sampled_from(
                    [
                        "name",
                        "email",
                        "skills { capacity free sector { " + draw(selection("Sector", 0)) + " } }",
                        "centre { " + draw(selection("Centre", depth - 1)) + " }",
                        "community { " + draw(selection("Community", depth - 1)) + " }",
                    ]
                )
            )
        ),
        "Community": lambda: (
            draw(
                st.sampled_from(
                    ["id", "name", "kind", "audiences", "memberCount", "servesAnywhere"]
                )
            )
            if depth <= 0
            else draw(
                st.sampled_from(
                    [
                        "name",
                        "areas { code level }",
                        "sectors { " + draw(selection("Sector", 0)) + " }",
                        "opportunities(first: 1) { score kecamatan { "
                        + draw(selection("Kecamatan", 0))
                        + " } }",
                        "mentors"
                        + draw(connection_args())
                        + " { edges { node { "
                        + draw(selection("Mentor", depth - 1))
                        + " } } }",
                    ]
                )
            )
        ),
    }
    count = draw(st.integers(1, 3))
    return " ".join(draw(wrap(fields[type_name](), type_name)) for _ in range(count))


@st.composite
def documents(draw: st.DrawFn) -> str:
    roots = {
        "kecamatans": lambda: (
            "kecamatans"
            + draw(
                st.sampled_from(
                    [
                        "(first: 3)",
                        '(first: 2, filter: {kotaCode: "31.72"})',
                        '(filter: {search: "an"})',
                    ]
                )
            )
            + " { totalCount edges { node { "
            + draw(selection("Kecamatan", 2))
            + " } } }"
        ),
        "kecamatan": lambda: (
            'kecamatan(code: "31.71.01") { ' + draw(selection("Kecamatan", 3)) + " }"
        ),
        "kotas": lambda: "kotas { " + draw(selection("Kota", 2)) + " }",
        "communities": lambda: (
            "communities"
            + draw(
                st.sampled_from(
                    [
                        "(first: 4)",
                        '(filter: {areaCode: "31.71", includeAnywhere: false})',
                        "(first: 2, filter: {kind: REGION})",
                    ]
                )
            )
            + " { totalCount edges { cursor node { "
            + draw(selection("Community", 2))
            + " } } }"
        ),
        "mentors": lambda: (
            "mentors"
            + draw(st.sampled_from(["(first: 3)", "(filter: {active: false})"]))
            + " { edges { node { "
            + draw(selection("Mentor", 2))
            + " } } }"
        ),
    }
    picked = draw(st.lists(st.sampled_from(sorted(roots)), min_size=1, max_size=2, unique=True))
    body = " ".join(draw(wrap(roots[name](), "Query")) for name in picked)
    return "query Drawn($flag: Boolean!) { " + body + " t: __typename @include(if: $flag) }"


@pytest.mark.parametrize("who", ROLES)
async def test_drawn_selections_answer_alike(
    compiled_app: Starlette, pair: Pair, who: str | None
) -> None:
    loop = asyncio.get_running_loop()
    found: list[str] = []
    compiled = compiled_of(compiled_app)
    before = compiled.answered

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=documents(), flag=st.booleans())
    def run(query: str, flag: bool) -> None:
        future = asyncio.run_coroutine_threadsafe(
            pair.differences(query, {"flag": flag}, who), loop
        )
        found.extend(future.result(timeout=60))

    await loop.run_in_executor(None, run)
    assert found == [], found[0]
    # and the drawn documents reach the compiled path (not only the executor, twice)
    assert compiled.answered > before


def test_drawn_documents_mostly_validate() -> None:
    # The generator itself: most of what it draws is valid, so the comparisons reach the
    # compiler (the rest, conflicting aliases say, checks the executor's errors alike).
    valid: list[bool] = []

    @settings(max_examples=40, deadline=None, database=None, derandomize=True)
    @given(query=documents())
    def check(query: str) -> None:
        valid.append(schema.validate(query, graphql.parse(query)) == [])

    check()
    assert sum(valid) >= 0.7 * len(valid), f"{sum(valid)} of {len(valid)} valid"


async def test_compiled_reads_take_one_statement_per_level(pair: Pair) -> None:
    # Given the nested read over one kota's kecamatan and over all of them
    one_kota = NESTED.replace("kecamatans(first: 100)", 'kecamatans(filter: {kotaCode: "31.71"})')
    counts = []
    for query in (one_kota, NESTED):
        with count_statements() as counter:
            response = await pair.compiled.post(GRAPHQL, json={"query": query})
        assert "errors" not in response.json()
        counts.append(counter.count)
    # Then on PostgreSQL the database builds the whole answer in one statement; on SQLite the
    # page, kota, centre, mentors, skills with their sectors: five, however many
    assert counts == ([1, 1] if is_postgres(connections.get("default")) else [5, 5])


async def test_the_database_builds_what_it_prints_as_python_does(pair: Pair) -> None:
    # Given a read of every kecamatan's coordinates beside one of the communities
    query = """{ kecamatans(first: 3) { edges { node { code lat lon } } }
                 communities(first: 2) { totalCount edges { cursor node { name } } } }"""
    with count_statements() as counter:
        response = await pair.compiled.post(GRAPHQL, json={"query": query})
    body = response.json()
    # Then the floats come from rows (PostgreSQL prints 106.0 as 106), the rest from the
    # database on PostgreSQL: the kecamatan page from rows, the communities built (SQLite:
    # their page and their count)
    assert [type(e["node"]["lat"]) for e in body["data"]["kecamatans"]["edges"]] == [float] * 3
    assert body["data"]["communities"]["totalCount"] > 2
    assert counter.count == (2 if is_postgres(connections.get("default")) else 3)
    assert await pair.differences(query, None, None) == []


async def test_get_and_the_graphql_response_media_type_answer_alike(pair: Pair) -> None:
    # Given a read over GET, asking for application/graphql-response+json
    params = {"query": KECAMATAN, "variables": '{"code": "31.71.02", "kota": "31.72"}'}
    headers = {"Accept": "application/graphql-response+json"}
    # When both paths answer it
    a = await pair.compiled.get(GRAPHQL, params=params, headers=headers)
    b = await pair.reference.get(GRAPHQL, params=params, headers=headers)
    # Then status, media type, validators and body are the same
    assert a.status_code == b.status_code == 200
    for header in ("content-type", "etag", "cache-control", "vary"):
        assert a.headers.get(header) == b.headers.get(header), header
    assert same_json(a.content) == same_json(b.content)


COMPLEMENTED = """{ kecamatans(first: 5) { edges { node { code
  complements(first: 2) { score community { name mentors(first: 2) { edges { node { name } } } } }
  centre { mentors { edges { node { name } } } } } } } }"""
"""A read with fields the executor answers and no error for anonymous callers."""


@pytest.mark.parametrize("query", [NESTED, COMPLEMENTED], ids=["compiled", "with-fallback"])
async def test_a_compiled_read_takes_one_pooled_connection(
    compiled_app: Starlette, pair: Pair, query: str
) -> None:
    # Given the open connections of a PostgreSQL pool, which of them runs a statement noted
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if not is_postgres(client) or pool is None:
        pytest.skip("SQLite has one connection")
    await pair.compiled.post(GRAPHQL, json={"query": query})  # warm: connections opened
    used: list[int] = []
    opened = [h._con for h in pool._holders if h._con is not None]
    loggers = []
    for number, connection in enumerate(opened):
        loggers.append((connection, lambda _query, number=number: used.append(number)))
        connection.add_query_logger(loggers[-1][1])
    try:
        # When the read (siblings side by side, the executor's fields among them) is
        # answered compiled
        before = compiled_of(compiled_app).answered
        response = await pair.compiled.post(GRAPHQL, json={"query": query})
    finally:
        for connection, logger in loggers:
            connection.remove_query_logger(logger)
    # Then its statements ran on one connection, given back to the pool afterwards
    assert "errors" not in response.json()
    assert compiled_of(compiled_app).answered == before + 1
    assert len(opened) > 1
    assert len(set(used)) == 1, used
    assert pool.get_idle_size() == pool.get_size()


async def test_a_missing_non_null_object_is_the_executors_error(
    compiled_app: Starlette, pair: Pair
) -> None:
    # Given a kecamatan whose kota is missing (its parent is not set)
    await Region.create(
        code="99.99.99", level=RegionLevel.KECAMATAN, name="Tanpa Kota", official_name="X"
    )
    compiled = compiled_of(compiled_app)
    before = compiled.answered
    query = '{ kecamatan(code: "99.99.99") { code kota { name } } }'
    # When its kota is asked, then the body is the executor's, error and all
    response = await pair.compiled.post(GRAPHQL, json={"query": query})
    assert response.json()["errors"]
    assert compiled.answered == before
    assert await pair.differences(query, None, "staff") == []


async def test_needs_count_the_residents_waiting(pair: Pair) -> None:
    # Given three residents registered for a training of Gambir's centre with two places (one
    # waits) and a fourth interested in another sector there
    world = await build_participation_world("compiled", capacity=2)
    partner = world.headers("partner")
    register = """mutation ($input: RegisterForTrainingInput!) { registerForTraining(input:
        $input) { registration { status } errors { code } } }"""
    interest = """mutation ($input: ExpressInterestInput!) { expressInterest(input: $input) {
        errors { code } } }"""
    consent = {"purpose": "Minat pelatihan", "textVersion": "1", "channel": "WEB"}
    statuses = []
    for i in range(3):
        person = {
            "name": f"Warga {i}",
            "phone": f"0815-3000-{i:04d}",
            "kecamatanCode": "31.71.01",
            "sectorCode": "KULINER",
        }
        variables = {
            "input": {
                "trainingId": world.training("open"),
                "participant": person,
                "consent": consent,
            }
        }
        made = await pair.compiled.post(
            GRAPHQL, json={"query": register, "variables": variables}, headers=partner
        )
        statuses.append(made.json()["data"]["registerForTraining"]["registration"]["status"])
    assert statuses == ["CONFIRMED", "CONFIRMED", "WAITLISTED"]
    person = {
        "name": "Warga 9",
        "phone": "0815-3000-0009",
        "kecamatanCode": "31.71.01",
        "sectorCode": "FESYEN",
    }
    variables = {
        "input": {
            "kecamatanCode": "31.71.01",
            "sectorCode": "FESYEN",
            "participant": person,
            "consent": consent,
        }
    }
    made = await pair.compiled.post(
        GRAPHQL, json={"query": interest, "variables": variables}, headers=partner
    )
    assert made.json()["data"]["expressInterest"]["errors"] == []
    query = """{ kecamatan(code: "31.71.01") { needs { sector { code } demand supply gap
                 waiting } } }"""
    # When the needs are read, then they count the residents waiting, as the executor does
    body = (await pair.compiled.post(GRAPHQL, json={"query": query})).json()
    waiting = {n["sector"]["code"]: n["waiting"] for n in body["data"]["kecamatan"]["needs"]}
    assert waiting["KULINER"] == 1
    assert waiting["FESYEN"] == 1
    for who in ROLES:
        assert await pair.differences(query, None, who) == []


async def test_node_answers_alike_for_every_kind_of_id(compiled_app: Starlette, pair: Pair) -> None:
    # Given ids of each type the database builds, of a type it does not (a plan), of a
    # region of the wrong level, of nothing, and a malformed one
    community = await Community.filter(name__isnull=False).order_by("id").first()
    mentor = await Mentor.all().order_by("id").first()
    gambir = await Region.get(code="31.71.01")
    kota = await Region.get(code="31.71")
    assert community is not None
    assert mentor is not None
    ids = [
        encode_global_id("Community", community.id),
        encode_global_id("Mentor", mentor.id),
        encode_global_id("Kecamatan", gambir.id),
        encode_global_id("Kota", kota.id),
        encode_global_id("Kecamatan", kota.id),  # a kota's row: not a kecamatan
        encode_global_id("Centre", 1),
        encode_global_id("Community", 99999),
        encode_global_id("Plan", 1),
        "not-an-id",
    ]
    query = """query ($id: ID!) { node(id: $id) { __typename id
      ... on Community { name kind memberCount sectors { code } }
      ... on Mentor { name active skills { capacity sector { code } } }
      ... on Kecamatan { code name centre { name } }
      ... on Kota { code officialName }
      ... on Centre { name kecamatan { code } }
      ... on Plan { title } } }"""
    compiled = compiled_of(compiled_app)
    postgres = is_postgres(connections.get("default"))
    # When each is read by every role, then both paths answer alike
    for id_ in ids:
        for who in ROLES:
            assert await pair.differences(query, {"id": id_}, who) == []
    # and on PostgreSQL the database builds a community's node in one statement
    before = compiled.answered
    with count_statements() as counter:
        body = (
            await pair.compiled.post(GRAPHQL, json={"query": query, "variables": {"id": ids[0]}})
        ).json()
    assert body["data"]["node"]["name"] == community.name
    if postgres:
        assert compiled.answered == before + 1
        assert counter.count == 1
