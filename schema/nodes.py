"""`node(id:)` and `nodes(ids:)`: any object with an identity, by its global id.

Strawberry's `relay.node()` accepts any text its base64 decoder can split at a colon, so
`Mentor: 5`, Arabic-Indic digits or keys past the database's integers reached the loaders, and
an unknown type name ended in an unexpected error. Here an id is checked in its canonical form
(`hub.core.ids`) before anything is loaded: a malformed id or an unknown type is INVALID naming
the argument; a well-formed id of nothing the viewer may see is null."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

import strawberry
from strawberry import relay

from hub.core import Invalid
from hub.core.ids import parse_global_id, quote_input
from schema.accounts.types import Account
from schema.context import Info
from schema.directory.types import Centre, Community, Mentor
from schema.integration.webhooks import Webhook
from schema.participation.types import Participant, Registration
from schema.plans.types import Plan, Training
from schema.regions.types import Kecamatan, Kota

NODE_TYPES: list[type[Any]] = [
    Kota,
    Kecamatan,
    Centre,
    Community,
    Mentor,
    Training,
    Plan,
    Account,
    Registration,
    Participant,
    Webhook,
]
_BY_NAME = {t.__name__: t for t in NODE_TYPES}


def _parse(value: str, field: list[str]) -> tuple[type[Any], str]:
    parsed = parse_global_id(value)
    if parsed is None:
        raise Invalid(f"{quote_input(value)} is not a valid id", field=field)
    type_name, pk = parsed
    node_type = _BY_NAME.get(type_name)
    if node_type is None:
        raise Invalid(f"{quote_input(value)} is not the id of anything in the hub", field=field)
    return node_type, str(pk)


async def resolve_nodes(info: Info, ids: list[str], *, argument: str) -> list[Any]:
    """The objects of `ids`, in order, null where hidden or gone: one batch per type."""
    wanted = [
        _parse(value, [argument, str(i)] if argument == "ids" else [argument])
        for i, value in enumerate(ids)
    ]
    keys_by_type: defaultdict[type[Any], list[str]] = defaultdict(list)
    for node_type, key in wanted:
        keys_by_type[node_type].append(key)
    found: dict[tuple[type[Any], str], Any] = {}
    for node_type, keys in keys_by_type.items():
        unique = list(dict.fromkeys(keys))
        rows = await node_type.resolve_nodes(info=info, node_ids=unique, required=False)
        found.update(zip(((node_type, k) for k in unique), rows, strict=True))
    return [found[item] for item in wanted]


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object with an `id`, by that id.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The ID of the object.")],
    ) -> relay.Node | None:
        return (await resolve_nodes(info, [id], argument="id"))[0]  # type: ignore[no-any-return]

    @strawberry.field(
        description=(
            "Objects by their ids, in the same order; null for ids not found or hidden. "
            "Cost: one per id."
        )
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The IDs of the objects.")
        ],
    ) -> list[relay.Node | None]:
        return await resolve_nodes(info, list(ids), argument="ids")
