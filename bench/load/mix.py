"""The working day the load suite plays, shared by the set-up script and the locustfile."""

from __future__ import annotations

MIX = {
    "PartnerReader": 50,
    "Registrar": 15,
    "Subscriber": 12,
    "Coordinator": 10,
    "Staff": 8,
    "DirectoryEditor": 5,
}
"""Share of simulated users per class (of 100), the proportions of a working day: partner apps
reading the graph are half the traffic; registrations at partner desks and open subscriptions
(partner apps' live schedules) next; coordinators and centre staff planning a few times an
hour each; a few directory edits."""

BUSY = ("31.71.01", "31.71.04", "31.74.01", "31.75.03")
"""The centres the planning traffic goes to: Gambir, Senen, Tebet, Jatinegara."""


def split(users: int) -> dict[str, int]:
    """Users per class for `users` in all, by the largest remainder (for 100: the weights)."""
    total = sum(MIX.values())
    exact = {kind: users * weight / total for kind, weight in MIX.items()}
    counts = {kind: int(share) for kind, share in exact.items()}
    left = users - sum(counts.values())
    for kind in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:left]:
        counts[kind] += 1
    return counts
