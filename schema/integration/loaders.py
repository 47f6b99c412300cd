"""DataLoaders of the event stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise import connections
from tortoise.functions import Count

from hub.core import is_postgres
from models.integration import Event
from models.webhooks import WebhookDelivery
from schema.loading import ModelByKeyLoader


class EventByPositionLoader(ModelByKeyLoader[Event]):
    model = Event
    key = "position"


class DeliveriesByWebhookLoader(
    DataLoader[tuple[int, int, int], tuple[list[WebhookDelivery], int]]
):
    """A page of each endpoint's deliveries, newest first, for a list of endpoints: keyed by
    (webhook id, offset, page size); three statements per distinct page (the totals grouped,
    the page's ids through a window function, the rows), however many endpoints."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(
        self, keys: Sequence[tuple[int, int, int]]
    ) -> list[tuple[list[WebhookDelivery], int]]:
        found: dict[tuple[int, int, int], tuple[list[WebhookDelivery], int]] = {}
        pages: dict[tuple[int, int], list[int]] = {}
        for webhook_id, start, limit in keys:
            pages.setdefault((start, limit), []).append(webhook_id)
        ids = sorted({k[0] for k in keys})
        totals = dict(
            await WebhookDelivery.filter(webhook_id__in=ids)
            .annotate(total=Count("id"))
            .group_by("webhook_id")
            .values_list("webhook_id", "total")
        )
        for (start, limit), webhook_ids in pages.items():
            rows_by_webhook: dict[int, list[WebhookDelivery]] = {w: [] for w in webhook_ids}
            if limit > 0:
                for row in await _page(webhook_ids, start=start, limit=limit):
                    rows_by_webhook[row.webhook_id].append(row)
            for webhook_id in webhook_ids:
                found[(webhook_id, start, limit)] = (
                    rows_by_webhook[webhook_id],
                    int(totals.get(webhook_id, 0)),
                )
        return [found[k] for k in keys]


async def _page(webhook_ids: Sequence[int], *, start: int, limit: int) -> list[WebhookDelivery]:
    """Rows `start + 1 … start + limit + 1` (one more: is there a next page?) of each
    endpoint's deliveries, newest first."""
    connection = connections.get("default")
    postgres = is_postgres(connection)
    marks = ", ".join(f"${i + 3}" if postgres else "?" for i in range(len(webhook_ids)))
    low, high = ("$1", "$2") if postgres else ("?", "?")
    sql = (
        "SELECT id FROM (SELECT d.id, ROW_NUMBER() OVER"
        " (PARTITION BY d.webhook_id ORDER BY d.id DESC) AS position"
        f" FROM webhook_delivery d WHERE d.webhook_id IN ({marks})) AS numbered"
        f" WHERE position > {low} AND position <= {high}"
    )
    bounds = [start, start + limit + 1]
    params: list[Any] = [*bounds, *webhook_ids] if postgres else [*webhook_ids, *bounds]
    ids = [int(r["id"]) for r in await connection.execute_query_dict(sql, params)]
    if not ids:
        return []
    return list(await WebhookDelivery.filter(id__in=ids).order_by("webhook_id", "-id"))
