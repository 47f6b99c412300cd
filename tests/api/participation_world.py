"""A small world for participation tests: an active plan of Gambir's centre with a community,
scheduled trainings, and accounts of every role (among them a second partner app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hub.access import create_token
from hub.core import encode_global_id
from models.directory import Centre, Community, Sector
from models.enums import CommunityKind, PartyStatus, PlanStatus, Role, TrainingStatus
from models.plans import Plan, PlanParty, Training, TrainingOrganiser

NOW = dt.datetime.now(dt.UTC)


@dataclass
class ParticipationWorld:
    tag: str
    plan_id: int = 0
    centre_id: int = 0
    community_id: int = 0
    trainings: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def training(self, name: str) -> str:
        return encode_global_id("Training", self.trainings[name])

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


async def build_participation_world(tag: str, *, capacity: int | None = 2) -> ParticipationWorld:
    """Trainings: `open` (in 10 days, `capacity`), `started` (began an hour ago), `wide` (no
    capacity), `other` (hosted in Menteng, sector DIGITAL). Accounts: admin, staff (Gambir),
    staff2 (Menteng), coordinator (the organising community), outsider (another community),
    partner, partner2."""
    world = ParticipationWorld(tag=tag)
    gambir = await Centre.get(kecamatan__code="31.71.01")
    menteng = await Centre.get(kecamatan__code="31.71.06")
    kuliner = await Sector.get(code="KULINER")
    digital = await Sector.get(code="DIGITAL")
    community = await Community.create(name=f"Organisers {tag}", kind=CommunityKind.SECTOR)
    outsider = await Community.create(name=f"Outsiders {tag}", kind=CommunityKind.SECTOR)
    world.centre_id, world.community_id = gambir.id, community.id
    plans = {}
    for centre in (gambir, menteng):
        plan = await Plan.create(
            title=f"Plan {tag} {centre.id}",
            status=PlanStatus.ACTIVE,
            starts_on=(NOW - dt.timedelta(days=5)).date(),
            ends_on=(NOW + dt.timedelta(days=60)).date(),
            centre=centre,
        )
        await PlanParty.create(plan=plan, centre=centre, status=PartyStatus.ACCEPTED)
        await PlanParty.create(plan=plan, community=community, status=PartyStatus.ACCEPTED)
        plans[centre.id] = plan
    world.plan_id = plans[gambir.id].id
    specs = {
        "open": (gambir, kuliner, NOW + dt.timedelta(days=10), capacity),
        "started": (gambir, kuliner, NOW - dt.timedelta(hours=1), 10),
        "wide": (gambir, kuliner, NOW + dt.timedelta(days=12), None),
        "other": (menteng, digital, NOW + dt.timedelta(days=14), 5),
    }
    for name, (centre, sector, starts, cap) in specs.items():
        training = await Training.create(
            plan=plans[centre.id],
            centre=centre,
            sector=sector,
            title=f"{name} {tag}",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            capacity=cap,
            status=TrainingStatus.SCHEDULED,
            revision=1,
        )
        if name != "other":
            await TrainingOrganiser.create(training=training, community=community)
        world.trainings[name] = training.id
    for who, role, scope in [
        ("admin", Role.ADMIN, {}),
        ("staff", Role.STAFF, {"centre_code": "31.71.01"}),
        ("staff2", Role.STAFF, {"centre_code": "31.71.06"}),
        ("coordinator", Role.COORDINATOR, {"community_id": community.id}),
        ("outsider", Role.COORDINATOR, {"community_id": outsider.id}),
        ("partner", Role.PARTNER, {}),
        ("partner2", Role.PARTNER, {}),
    ]:
        issued = await create_token(email=f"{who}.{tag}@test.example.org", role=role, **scope)
        world.tokens[who] = issued.secret
    return world
