"""Each operation as the hub, PostGraphile and the floor are asked it, and the answer to expect.

The hub's documents are what a partner app would send. PostGraphile's ask for the same data
in the schema PostGraphile 4.14 generates from the tables (names checked by introspection).
The floor's SQL builds the hub's whole response body, in the hub's shape, inside PostgreSQL.
`read_facts` works out each answer from the tables with plain SQL, independently of every
server, and `canonical` reduces each server's answer to the same plain values to compare.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from read_compare.common import FIRST, BenchError, Json, ServerKind, plain_dsn

HUB_NESTED = """query Nested {
  kecamatans(first: 100) { edges { node {
    code name kota { name }
    centre { name mentors(first: 100) { edges { node {
      name active skills { capacity sector { code name } }
    } } } }
  } } }
}"""

POSTGRAPHILE_NESTED = """query Nested {
  allRegions(condition: {level: "KECAMATAN"}, orderBy: CODE_ASC, first: 100) { edges { node {
    code name regionByParentId { name }
    centreByKecamatanId { name mentorsByCentreId(orderBy: [NAME_ASC, ID_ASC], first: 100) {
      edges { node {
        name active mentorSkillsByMentorIdList(orderBy: SECTOR_ID_ASC) {
          capacity sectorBySectorId { code name }
        }
      } }
    } }
  } } }
}"""

HUB_KECAMATAN = """query Kecamatan($code: String!, $kota: String!) {
  kecamatan(code: $code) { code name centre { name } needs { sector { code } demand } }
  communities(first: 100, filter: {areaCode: $kota, includeAnywhere: false}) {
    edges { node { name kind } }
  }
}"""

POSTGRAPHILE_KECAMATAN = """query Kecamatan($code: String!, $kota: String!) {
  kecamatan: regionByCode(code: $code) {
    code name centreByKecamatanId {
      name demandsByCentreIdList(orderBy: SECTOR_ID_ASC) { demand sectorBySectorId { code } }
    }
  }
  kota: regionByCode(code: $kota) {
    communityAreasByRegionIdList { communityByCommunityId { name kind } }
    regionByParentId { communityAreasByRegionIdList { communityByCommunityId { name kind } } }
    regionsByParentIdList {
      communityAreasByRegionIdList { communityByCommunityId { name kind } }
    }
  }
}"""

HUB_NODE = """query Node($id: ID!) {
  node(id: $id) { ... on Community { name kind memberCount } }
}"""

POSTGRAPHILE_NODE = """query Node($id: ID!) {
  node(nodeId: $id) { ... on Community { name kind memberCount } }
}"""

# The floor: each query returns the whole response body, in the hub's shape, as text.
FLOOR_NESTED_SQL = """
SELECT json_build_object('data', json_build_object('kecamatans', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'code', k.code,
    'name', k.name,
    'kota', json_build_object('name', kota.name),
    'centre', (
      SELECT json_build_object('name', c.name, 'mentors', json_build_object('edges', COALESCE((
        SELECT json_agg(json_build_object('node', json_build_object(
          'name', m.name,
          'active', m.active,
          'skills', COALESCE((
            SELECT json_agg(json_build_object(
              'capacity', ms.capacity,
              'sector', json_build_object('code', s.code, 'name', s.name)
            ) ORDER BY ms.sector_id)
            FROM mentor_skill ms JOIN sector s ON s.id = ms.sector_id
            WHERE ms.mentor_id = m.id
          ), '[]'::json)
        )) ORDER BY m.name, m.id)
        FROM (
          SELECT id, name, active FROM mentor WHERE centre_id = c.id
          ORDER BY name, id LIMIT $1
        ) m
      ), '[]'::json)))
      FROM centre c WHERE c.kecamatan_id = k.id
    )
  )) ORDER BY k.code), '[]'::json)
)))::text
FROM (SELECT * FROM region WHERE level = 'KECAMATAN' ORDER BY code LIMIT $1) k
JOIN region kota ON kota.id = k.parent_id
"""

FLOOR_KECAMATAN_SQL = """
SELECT json_build_object('data', json_build_object(
  'kecamatan', (
    SELECT json_build_object(
      'code', k.code,
      'name', k.name,
      'centre', (
        SELECT json_build_object('name', c.name) FROM centre c WHERE c.kecamatan_id = k.id
      ),
      'needs', COALESCE((
        SELECT json_agg(json_build_object(
          'sector', json_build_object('code', s.code), 'demand', d.demand
        ) ORDER BY s.position, s.code)
        FROM centre c JOIN demand d ON d.centre_id = c.id JOIN sector s ON s.id = d.sector_id
        WHERE c.kecamatan_id = k.id
      ), '[]'::json)
    )
    FROM region k WHERE k.code = $1 AND k.level = 'KECAMATAN'
  ),
  'communities', json_build_object('edges', COALESCE((
    SELECT json_agg(json_build_object('node', json_build_object('name', cm.name, 'kind', cm.kind))
                    ORDER BY cm.name, cm.id)
    FROM (
      SELECT id, name, kind FROM community
      WHERE id IN (
        SELECT a.community_id FROM community_area a JOIN region r ON r.id = a.region_id
        WHERE r.code = ANY($2::text[]) OR starts_with(r.code, $3)
      )
      ORDER BY name, id LIMIT $4
    ) cm
  ), '[]'::json))
))::text
"""

FLOOR_NODE_SQL = """
SELECT json_build_object('data', json_build_object('node', (
  SELECT json_build_object('name', name, 'kind', kind, 'memberCount', member_count)
  FROM community WHERE id = $1
)))::text
"""


@dataclass(frozen=True)
class Request:
    """One request of an operation to one server: POSTed as JSON to `path`."""

    path: str
    body: Json


def requests_for(kind: ServerKind, facts: Facts, postgraphile_node_id: str) -> dict[str, Request]:
    """The request of every operation for a server of this kind."""
    where = {"code": facts.kecamatan_code, "kota": facts.kota_code}
    if kind == "hub":
        return {
            "nested": Request("/graphql", {"query": HUB_NESTED}),
            "kecamatan": Request("/graphql", {"query": HUB_KECAMATAN, "variables": where}),
            "node": Request(
                "/graphql", {"query": HUB_NODE, "variables": {"id": facts.community_global_id}}
            ),
        }
    if kind == "postgraphile":
        return {
            "nested": Request("/graphql", {"query": POSTGRAPHILE_NESTED}),
            "kecamatan": Request("/graphql", {"query": POSTGRAPHILE_KECAMATAN, "variables": where}),
            "node": Request(
                "/graphql",
                {"query": POSTGRAPHILE_NODE, "variables": {"id": postgraphile_node_id}},
            ),
        }
    return {
        "nested": Request("/nested", {}),
        "kecamatan": Request("/kecamatan", where),
        "node": Request("/node", {"id": facts.community_global_id}),
    }


def ancestor_codes(code: str) -> list[str]:
    """`31.71` -> [`31`, `31.71`]: the region and every region above it (codes nest by
    prefix), as the hub's area filter reads them."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def decode_community_id(global_id: str) -> int | None:
    """The primary key inside the hub's global id of a Community (base64 of `Community:<pk>`,
    see hub/core/ids.py), or None."""
    try:
        kind, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
        return int(pk) if kind == "Community" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class Facts:
    """What the tables hold, read with plain SQL: the requests' arguments and the answers."""

    postgres_version: str
    kecamatan_code: str
    kota_code: str
    community_pk: int
    community_global_id: str
    expected: dict[str, Any]  # operation -> canonical answer
    counts: dict[str, int]


async def read_facts(database_url: str, kecamatan_code: str) -> Facts:
    import asyncpg

    from hub.core import encode_global_id

    connection = await asyncpg.connect(plain_dsn(database_url), timeout=60)
    try:
        version = await connection.fetchval("SHOW server_version")
        kecamatans = await connection.fetch(
            """SELECT k.code, k.name, kota.name AS kota, c.id AS centre_id, c.name AS centre
               FROM region k JOIN region kota ON kota.id = k.parent_id
               LEFT JOIN centre c ON c.kecamatan_id = k.id
               WHERE k.level = 'KECAMATAN' ORDER BY k.code LIMIT $1""",
            FIRST,
        )
        mentors = await connection.fetch(
            "SELECT id, centre_id, name, active FROM mentor WHERE centre_id IS NOT NULL "
            "ORDER BY name, id"
        )
        skills = await connection.fetch(
            "SELECT ms.mentor_id, ms.capacity, s.code, s.name FROM mentor_skill ms "
            "JOIN sector s ON s.id = ms.sector_id ORDER BY ms.sector_id"
        )
        target = await connection.fetchrow(
            """SELECT k.code, k.name, kota.code AS kota, c.id AS centre_id, c.name AS centre
               FROM region k JOIN region kota ON kota.id = k.parent_id
               LEFT JOIN centre c ON c.kecamatan_id = k.id
               WHERE k.code = $1 AND k.level = 'KECAMATAN'""",
            kecamatan_code,
        )
        if target is None or target["centre_id"] is None:
            raise BenchError(f"no kecamatan {kecamatan_code!r} with a centre (--kecamatan)")
        demand = await connection.fetch(
            "SELECT s.code, d.demand FROM demand d JOIN sector s ON s.id = d.sector_id "
            "WHERE d.centre_id = $1",
            target["centre_id"],
        )
        areas = await connection.fetch(
            "SELECT cm.name, cm.kind, r.code FROM community_area a "
            "JOIN community cm ON cm.id = a.community_id JOIN region r ON r.id = a.region_id"
        )
        community = await connection.fetchrow(
            "SELECT id, name, kind, member_count FROM community ORDER BY id LIMIT 1"
        )
    finally:
        await connection.close()
    if community is None or not mentors:
        raise BenchError("the database holds no demo: it has no mentors or no communities")

    skills_of: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for s in skills:
        skills_of[s["mentor_id"]].append((s["code"], s["name"], s["capacity"]))
    mentors_of: dict[int, list[tuple[str, bool, tuple[tuple[str, str, int], ...]]]]
    mentors_of = defaultdict(list)
    for m in mentors:
        mentors_of[m["centre_id"]].append((m["name"], m["active"], tuple(skills_of[m["id"]])))
    nested = tuple(
        (
            k["code"],
            k["name"],
            k["kota"],
            None
            if k["centre_id"] is None
            else (k["centre"], tuple(mentors_of[k["centre_id"]][:FIRST])),
        )
        for k in kecamatans
    )
    shown = [m for n in nested if n[3] is not None for m in n[3][1]]
    kota = target["kota"]
    serving = sorted(
        {
            (a["name"], a["kind"])
            for a in areas
            if a["code"] in ancestor_codes(kota) or a["code"].startswith(f"{kota}.")
        }
    )[:FIRST]
    return Facts(
        postgres_version=str(version),
        kecamatan_code=kecamatan_code,
        kota_code=kota,
        community_pk=community["id"],
        community_global_id=encode_global_id("Community", community["id"]),
        expected={
            "nested": nested,
            "kecamatan": (
                target["code"],
                target["name"],
                target["centre"],
                tuple(sorted((d["code"], d["demand"]) for d in demand if d["demand"] > 0)),
                tuple(serving),
            ),
            "node": (community["name"], community["kind"], community["member_count"]),
        },
        counts={
            "kecamatan": len(nested),
            "mentors": len(shown),
            "skills": sum(len(m[2]) for m in shown),
            "communities serving the kota": len(serving),
        },
    )


def canonical(kind: ServerKind, operation: str, body: Json) -> Any:
    """A server's answer reduced to plain values that the three servers share. Orders are
    kept where every server sorts in PostgreSQL; the kota's communities are compared as a
    set, since a PostGraphile client merges three lists to get them."""
    data = body["data"]
    if operation == "nested":
        if kind == "postgraphile":
            return tuple(
                (
                    n["code"],
                    n["name"],
                    n["regionByParentId"]["name"],
                    _centre(
                        n["centreByKecamatanId"],
                        "mentorsByCentreId",
                        "mentorSkillsByMentorIdList",
                        "sectorBySectorId",
                    ),
                )
                for n in _nodes(data["allRegions"])
            )
        return tuple(
            (
                n["code"],
                n["name"],
                n["kota"]["name"],
                _centre(n["centre"], "mentors", "skills", "sector"),
            )
            for n in _nodes(data["kecamatans"])
        )
    if operation == "kecamatan":
        k = data["kecamatan"]
        if kind == "postgraphile":
            centre, kota = k["centreByKecamatanId"], data["kota"]
            demand = [
                (d["sectorBySectorId"]["code"], d["demand"])
                for d in centre["demandsByCentreIdList"]
            ]
            regions = [kota, kota["regionByParentId"], *kota["regionsByParentIdList"]]
            communities = {
                (a["communityByCommunityId"]["name"], a["communityByCommunityId"]["kind"])
                for region in regions
                if region is not None
                for a in region["communityAreasByRegionIdList"]
            }
        else:
            centre = k["centre"]
            demand = [(need["sector"]["code"], need["demand"]) for need in k["needs"]]
            communities = {(c["name"], c["kind"]) for c in _nodes(data["communities"])}
        return (
            k["code"],
            k["name"],
            centre["name"],
            tuple(sorted((code, d) for code, d in demand if d > 0)),
            tuple(sorted(communities)),
        )
    node = data["node"]
    return (node["name"], node["kind"], node["memberCount"])


def _nodes(connection: Json) -> list[Json]:
    return [edge["node"] for edge in connection["edges"]]


def _centre(centre: Json | None, mentors: str, skills: str, sector: str) -> Any:
    if centre is None:
        return None
    return (
        centre["name"],
        tuple(
            (
                m["name"],
                m["active"],
                tuple((s[sector]["code"], s[sector]["name"], s["capacity"]) for s in m[skills]),
            )
            for m in _nodes(centre[mentors])
        ),
    )
