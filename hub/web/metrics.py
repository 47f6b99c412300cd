"""`GET /metrics`: the Prometheus text format, to loopback callers or with the metrics token.

Who may scrape: a client on the loopback interface, or a caller with
`Authorization: Bearer <HUB_METRICS_TOKEN>`; everyone else gets 403. The client is the one the
rate budgets see (hub/web/ratelimit.py): behind a proxy listed in `HUB_TRUSTED_PROXIES`, the
address the proxy forwarded, so that a request from the internet relayed by a proxy on the same
machine is not mistaken for a local one. A loopback peer that forwards a client without being
a trusted proxy is refused too: it is a proxy the hub was not told about.
"""

from __future__ import annotations

import hmac
import ipaddress

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.core.metrics import OutboxState, multiprocess_dir, outbox_states
from hub.web.ratelimit import TrustedProxies

FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def may_scrape(
    *,
    peer: str | None,
    headers: dict[str, str],
    proxies: TrustedProxies,
    token: str | None,
) -> bool:
    """Whether a request may read the metrics (module docstring)."""
    authorization = headers.get("authorization", "")
    if token and authorization.startswith("Bearer "):
        presented = authorization.removeprefix("Bearer ").strip()
        if hmac.compare_digest(presented.encode(), token.encode()):
            return True
    forwarded = headers.get("x-forwarded-for")
    if peer is not None and peer in proxies:
        return is_loopback(proxies.client_address(peer, forwarded))
    if any(headers.get(name) for name in FORWARDING_HEADERS):
        return False
    return is_loopback(peer)


class OutboxCollector(Collector):
    """The outbox gauges read at this scrape."""

    def __init__(self, states: dict[str, OutboxState]) -> None:
        self.states = states

    def collect(self) -> list[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "hub_outbox_depth",
            "Rows waiting in a channel's outbox (not delivered, not given up).",
            labels=["channel"],
        )
        age = GaugeMetricFamily(
            "hub_outbox_oldest_age_seconds",
            "Seconds since the oldest waiting row of a channel's outbox was written.",
            labels=["channel"],
        )
        for channel, state in self.states.items():
            depth.add_metric([channel], state.depth)
            age.add_metric([channel], state.oldest_age_seconds)
        return [depth, age]


def metrics_routes(*, proxies: TrustedProxies, token: str | None) -> list[Route]:
    async def metrics(request: Request) -> Response:
        peer = request.client.host if request.client else None
        headers = {k: v for k, v in request.headers.items()}
        if not may_scrape(peer=peer, headers=headers, proxies=proxies, token=token):
            return PlainTextResponse(
                "403: /metrics answers loopback clients, or the HUB_METRICS_TOKEN bearer\n",
                status_code=403,
            )
        folder = multiprocess_dir()
        if folder is not None:
            processes = CollectorRegistry()
            MultiProcessCollector(processes, path=folder)  # type: ignore[no-untyped-call]
            body = generate_latest(processes)
        else:
            body = generate_latest(REGISTRY)
        outboxes = CollectorRegistry(auto_describe=False)
        outboxes.register(OutboxCollector(await outbox_states()))
        body += generate_latest(outboxes)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]
