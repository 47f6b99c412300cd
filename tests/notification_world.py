"""A plan built directly with the ORM for the notification tests, as the Jakarta demo does:
Gambir's centre and one community, their accounts, mentors of every kind, one training."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hub.access import create_token
from models.accounts import Account
from models.directory import Centre, Community, Mentor, Sector
from models.enums import CommunityKind, PartyStatus, PlanStatus, Role, TrainingStatus
from models.plans import Allocation, Plan, PlanParty, Training, TrainingMentor, TrainingOrganiser

START = dt.datetime(2031, 3, 3, 2, 0, tzinfo=dt.UTC)
"""Monday 3 March 2031, 09:00 in Jakarta."""


@dataclass
class NotificationWorld:
    plan: Plan
    training: Training
    accounts: dict[str, Account] = field(default_factory=dict)
    mentors: dict[str, Mentor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def email(self, who: str) -> str:
        if who in self.accounts:
            return self.accounts[who].email
        address = self.mentors[who].email
        assert address is not None
        return address.lower()


async def build_notification_world(tag: str) -> NotificationWorld:
    """Accounts: `staff` (Indonesian) and `staff_en` (English) of Gambir, `coordinator` of the
    community, `other` STAFF of another centre, `admin`. Mentors: `allocated` (community),
    `teacher` (centre, teaches the training), `inactive` (allocated), `no_email` (teaches),
    `twin` (allocated, same address as `staff`, in other capitals), `outsider` (no part)."""
    kuliner = await Sector.get(code="KULINER")
    gambir = await Centre.get(kecamatan__code="31.71.01")
    community = await Community.create(name=f"Komunitas {tag}", kind=CommunityKind.SECTOR)
    world_tokens: dict[str, str] = {}
    accounts: dict[str, Account] = {}
    for who, role, scope in [
        ("staff", Role.STAFF, {"centre_code": "31.71.01"}),
        ("staff_en", Role.STAFF, {"centre_code": "31.71.01"}),
        ("coordinator", Role.COORDINATOR, {"community_id": community.id}),
        ("other", Role.STAFF, {"centre_code": "31.74.01"}),
        ("admin", Role.ADMIN, {}),
    ]:
        issued = await create_token(email=f"{who}.{tag}@test.example.org", role=role, **scope)
        accounts[who] = issued.account
        world_tokens[who] = issued.secret
    accounts["staff_en"].locale = "en"
    await accounts["staff_en"].save()
    accounts["staff"].name = "Staf Gambir"
    await accounts["staff"].save()

    mentors = {
        "allocated": await Mentor.create(
            name=f"Mentor Komunitas {tag}",
            email=f"allocated.{tag}@example.org",
            community=community,
        ),
        "teacher": await Mentor.create(
            name=f"Mentor Pusat {tag}", email=f"teacher.{tag}@example.org", centre=gambir
        ),
        "inactive": await Mentor.create(
            name=f"Mentor Cuti {tag}",
            email=f"inactive.{tag}@example.org",
            community=community,
            active=False,
        ),
        "no_email": await Mentor.create(name=f"Mentor Tanpa Surel {tag}", centre=gambir),
        "twin": await Mentor.create(
            name=f"Kembaran {tag}", email=f"STAFF.{tag}@test.example.org", community=community
        ),
        "outsider": await Mentor.create(
            name=f"Mentor Lain {tag}", email=f"outsider.{tag}@example.org", centre=gambir
        ),
    }
    plan = await Plan.create(
        title=f"Kuliner Gambir {tag}",
        goals="Mendampingi pelaku usaha kuliner.",
        status=PlanStatus.ACTIVE,
        version=2,
        starts_on=START.date(),
        ends_on=START.date() + dt.timedelta(days=90),
        centre=gambir,
        proposed_by=accounts["coordinator"],
    )
    await PlanParty.create(plan=plan, centre=gambir, status=PartyStatus.ACCEPTED)
    await PlanParty.create(plan=plan, community=community, status=PartyStatus.ACCEPTED)
    for who in ("allocated", "inactive", "twin"):
        await Allocation.create(plan=plan, mentor=mentors[who], sector=kuliner, mentees=2)
    training = await Training.create(
        plan=plan,
        centre=gambir,
        sector=kuliner,
        title=f"Pelatihan Kuliner {tag}",
        starts_at=START,
        ends_at=START + dt.timedelta(hours=3),
        venue="Jl. Tanah Abang I No. 1, Gambir",
        capacity=30,
        status=TrainingStatus.SCHEDULED,
        revision=2,
    )
    await TrainingOrganiser.create(training=training, community=community)
    for who in ("teacher", "no_email"):
        await TrainingMentor.create(training=training, mentor=mentors[who])
    return NotificationWorld(
        plan=plan, training=training, accounts=accounts, mentors=mentors, tokens=world_tokens
    )


EXPECTED_RECIPIENTS = ("staff", "staff_en", "coordinator", "allocated", "teacher")
"""Who an event of the world's plan reaches when nobody in it acted."""
