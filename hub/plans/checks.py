"""The checks of a plan's content against the database: sectors, mentors, free capacity and
double booking. Mentor rows are locked (in id order) while they are checked, so that two plans
never both take a mentor's last free places or the same hour (DESIGN section 4)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tortoise.functions import Sum

from hub.core import CapacityExceeded, DoubleBooked, ErrorCode, HubError, Invalid
from hub.plans.rules import JAKARTA, TrainingTimes, as_utc, check_training_times, overlaps
from models.directory import Mentor, MentorSkill, Sector
from models.enums import OPEN_PLAN_STATUSES, TrainingStatus
from models.plans import Allocation, TrainingMentor

MAX_MENTEES = 1000


@dataclass(frozen=True)
class AllocationSpec:
    """A mentor's commitment as asked for: mentees in one sector."""

    mentor_id: int
    sector_code: str
    mentees: int


@dataclass(frozen=True)
class TrainingSpec:
    """A training as asked for. `organiser_ids` None: all of the plan's communities organise.
    `training_id` names the stored training it describes, when it is one."""

    title: str
    sector_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str = ""
    capacity: int | None = None
    mentor_ids: tuple[int, ...] = ()
    organiser_ids: tuple[int, ...] | None = None
    training_id: int | None = None


@dataclass
class PlanContent:
    """Checked content, ready to write."""

    sectors: dict[str, Sector]
    communities: tuple[int, ...]
    allocations: list[AllocationSpec] = field(default_factory=list)
    trainings: list[TrainingSpec] = field(default_factory=list)


_ORDER = {ErrorCode.INVALID: 0, ErrorCode.CAPACITY_EXCEEDED: 1, ErrorCode.DOUBLE_BOOKED: 2}


def _when(start: dt.datetime, end: dt.datetime) -> str:
    a, b = start.astimezone(JAKARTA), end.astimezone(JAKARTA)
    return f"{a:%Y-%m-%d %H:%M} to {b:%H:%M} WIB"


class _Checker:
    """Collects every error of one plan's content, INVALID first, then CAPACITY_EXCEEDED,
    then DOUBLE_BOOKED."""

    def __init__(
        self,
        *,
        centre_id: int,
        community_ids: Sequence[int],
        sectors: dict[str, Sector],
        mentors: dict[int, Mentor],
        plan_id: int | None,
        training_id: int | None,
    ) -> None:
        self.centre_id = centre_id
        self.community_ids = tuple(community_ids)
        self.sectors = sectors
        self.mentors = mentors
        self.plan_id = plan_id
        self.training_id = training_id
        self.errors: list[HubError] = []

    def mentor(self, mentor_id: int, where: list[str]) -> Mentor | None:
        """The mentor, if it exists, is active and belongs to a party of the plan."""
        mentor = self.mentors.get(mentor_id)
        if mentor is None:
            self.errors.append(Invalid(f"no mentor with id {mentor_id}", field=where))
        elif not mentor.active:
            self.errors.append(Invalid(f"mentor {mentor.name} is no longer active", field=where))
        elif mentor.centre_id != self.centre_id and mentor.community_id not in self.community_ids:
            self.errors.append(
                Invalid(
                    f"mentor {mentor.name} belongs to no party of this plan (its centre or one "
                    "of its communities)",
                    field=where,
                )
            )
        else:
            return mentor
        return None

    def sector(self, code: str, where: list[str]) -> Sector | None:
        sector = self.sectors.get(code)
        if sector is None:
            self.errors.append(Invalid(f"no sector with code {code!r}", field=where))
        return sector

    async def allocations(self, specs: Sequence[AllocationSpec]) -> None:
        """Each allocation: a usable mentor with a skill in the sector and enough free places
        (capacity minus what PROPOSED and ACTIVE plans, other than this one, already hold)."""
        held = await _held_places([s.mentor_id for s in specs], exclude_plan_id=self.plan_id)
        skills = await _capacities([s.mentor_id for s in specs])
        seen: set[tuple[int, str]] = set()
        for i, spec in enumerate(specs):
            where = ["allocations", str(i)]
            mentor = self.mentor(spec.mentor_id, [*where, "mentorId"])
            sector = self.sector(spec.sector_code, [*where, "sectorCode"])
            if not 1 <= spec.mentees <= MAX_MENTEES:
                self.errors.append(
                    Invalid(
                        f"mentees must be between 1 and {MAX_MENTEES}", field=[*where, "mentees"]
                    )
                )
                continue
            if mentor is None or sector is None:
                continue
            if (mentor.id, sector.code) in seen:
                self.errors.append(
                    Invalid(
                        f"mentor {mentor.name} is allocated twice in {sector.name}",
                        field=[*where, "mentorId"],
                    )
                )
                continue
            seen.add((mentor.id, sector.code))
            capacity = skills.get((mentor.id, sector.id))
            if capacity is None:
                self.errors.append(
                    Invalid(
                        f"mentor {mentor.name} does not mentor in {sector.name}",
                        field=[*where, "sectorCode"],
                    )
                )
                continue
            free = max(0, capacity - held.get((mentor.id, sector.id), 0))
            if spec.mentees > free:
                self.errors.append(
                    CapacityExceeded(
                        f"mentor {mentor.name} has {free} free places in {sector.name} "
                        f"(capacity {capacity}), not {spec.mentees}",
                        field=[*where, "mentees"],
                    )
                )

    async def trainings(
        self,
        specs: Sequence[TrainingSpec],
        *,
        starts_on: dt.date,
        ends_on: dt.date,
        path: str,
    ) -> None:
        """Each training: a title, a sector, times within the plan, organisers among the plan's
        communities, usable mentors, none of them already teaching at that time."""
        times = [TrainingTimes(i, s.title, s.starts_at, s.ends_at) for i, s in enumerate(specs)]
        self.errors += check_training_times(times, starts_on, ends_on, path=path)
        for i, spec in enumerate(specs):
            where = [path, str(i)]
            if not spec.title.strip():
                self.errors.append(Invalid("a training needs a title", field=[*where, "title"]))
            self.sector(spec.sector_code, [*where, "sectorCode"])
            if spec.capacity is not None and spec.capacity < 0:
                self.errors.append(
                    Invalid("capacity must not be negative", field=[*where, "capacity"])
                )
            for community_id in spec.organiser_ids or ():
                if community_id not in self.community_ids:
                    self.errors.append(
                        Invalid(
                            f"community {community_id} organises a training but is not a "
                            "party of the plan",
                            field=[*where, "organiserIds"],
                        )
                    )
            if len(set(spec.mentor_ids)) != len(spec.mentor_ids):
                self.errors.append(Invalid("a mentor is listed twice", field=[*where, "mentorIds"]))
            for mentor_id in spec.mentor_ids:
                self.mentor(mentor_id, [*where, "mentorIds"])
        await self._double_bookings(specs, path)

    async def _double_bookings(self, specs: Sequence[TrainingSpec], path: str) -> None:
        ids = sorted({m for s in specs for m in s.mentor_ids})
        query = TrainingMentor.filter(mentor_id__in=ids).exclude(
            training__status=TrainingStatus.CANCELLED
        )
        if self.plan_id is not None:
            query = query.exclude(training__plan_id=self.plan_id)
        if self.training_id is not None:
            query = query.exclude(training_id=self.training_id)
        booked = await query.select_related("training") if ids else []
        for i, spec in enumerate(specs):
            if spec.ends_at <= spec.starts_at:
                continue
            slot = (spec.starts_at, spec.ends_at)
            for mentor_id in spec.mentor_ids:
                mentor = self.mentors.get(mentor_id)
                if mentor is None:
                    continue
                clashes = [
                    (b.training.title, b.training.starts_at, b.training.ends_at)
                    for b in booked
                    if b.mentor_id == mentor_id
                    and overlaps(slot, (b.training.starts_at, b.training.ends_at))
                ] + [
                    (other.title, other.starts_at, other.ends_at)
                    for other in specs[:i]
                    if mentor_id in other.mentor_ids
                    and overlaps(slot, (other.starts_at, other.ends_at))
                ]
                for title, start, end in clashes[:1]:
                    self.errors.append(
                        DoubleBooked(
                            f"mentor {mentor.name} already teaches {title!r} at "
                            f"{_when(start, end)}, which overlaps {spec.title!r} "
                            f"({_when(spec.starts_at, spec.ends_at)})",
                            field=[path, str(i), "mentorIds"],
                        )
                    )


async def _held_places(
    mentor_ids: Sequence[int], *, exclude_plan_id: int | None
) -> dict[tuple[int, int], int]:
    """Mentees held per (mentor, sector id) by PROPOSED and ACTIVE plans."""
    if not mentor_ids:
        return {}
    query = Allocation.filter(mentor_id__in=list(mentor_ids), plan__status__in=OPEN_PLAN_STATUSES)
    if exclude_plan_id is not None:
        query = query.exclude(plan_id=exclude_plan_id)
    rows = (
        await query.annotate(total=Sum("mentees"))
        .group_by("mentor_id", "sector_id")
        .values("mentor_id", "sector_id", "total")
    )
    held: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        held[(row["mentor_id"], row["sector_id"])] = int(row["total"] or 0)
    return held


async def _capacities(mentor_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    rows = await MentorSkill.filter(mentor_id__in=list(mentor_ids)) if mentor_ids else []
    return {(s.mentor_id, s.sector_id): s.capacity for s in rows}


async def check_content(
    *,
    centre_id: int,
    community_ids: Sequence[int],
    starts_on: dt.date,
    ends_on: dt.date,
    allocations: Sequence[AllocationSpec],
    trainings: Sequence[TrainingSpec],
    plan_id: int | None,
    training_id: int | None = None,
    path: str = "trainings",
) -> tuple[PlanContent, list[HubError]]:
    """Check allocations and trainings for a plan of `centre_id` with `community_ids`.
    `plan_id` (a plan being revised) and `training_id` (a training being moved) are left out
    of the capacity and double-booking counts. Locks the mentors involved until the caller's
    transaction ends."""
    normalised = [
        replace(t, starts_at=as_utc(t.starts_at), ends_at=as_utc(t.ends_at)) for t in trainings
    ]
    codes = {a.sector_code for a in allocations} | {t.sector_code for t in normalised}
    sectors = {s.code: s for s in await Sector.filter(code__in=list(codes))}
    mentor_ids = sorted(
        {a.mentor_id for a in allocations} | {m for t in normalised for m in t.mentor_ids}
    )
    mentors = (
        {
            m.id: m
            for m in await Mentor.select_for_update(no_key=True)
            .filter(id__in=mentor_ids)
            .order_by("id")
        }
        if mentor_ids
        else {}
    )
    checker = _Checker(
        centre_id=centre_id,
        community_ids=community_ids,
        sectors=sectors,
        mentors=mentors,
        plan_id=plan_id,
        training_id=training_id,
    )
    await checker.allocations(allocations)
    await checker.trainings(normalised, starts_on=starts_on, ends_on=ends_on, path=path)
    errors = sorted(checker.errors, key=lambda e: _ORDER.get(e.code, 0))
    content = PlanContent(
        sectors=sectors,
        communities=tuple(community_ids),
        allocations=list(allocations),
        trainings=normalised,
    )
    return content, errors
