"""GraphQL types of the programme reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub import reports

if TYPE_CHECKING:
    from schema.regions.types import Kecamatan

SNAPSHOT = "from the month's first snapshot (null without one)"
SNAPSHOT_END = "from the month's last snapshot (null without one)"


@strawberry.type(
    description=(
        "One kecamatan's line of the monthly report, or the total. Start and end figures come "
        "from the kecamatan's first and last daily snapshot of the month (null without one); "
        "the counts are of what happened in the month (Asia/Jakarta time)."
    )
)
class ReportRow:
    kecamatan: Annotated[Kecamatan, strawberry.lazy("schema.regions.types")] | None = (
        strawberry.field(description="The kecamatan; null in the total.")
    )
    demand_start: int | None = strawberry.field(description=f"Demand, {SNAPSHOT}.")
    demand_end: int | None = strawberry.field(description=f"Demand, {SNAPSHOT_END}.")
    supply_start: int | None = strawberry.field(description=f"Supply, {SNAPSHOT}.")
    supply_end: int | None = strawberry.field(description=f"Supply, {SNAPSHOT_END}.")
    gap_start: int | None = strawberry.field(description=f"Gap, {SNAPSHOT}.")
    gap_end: int | None = strawberry.field(description=f"Gap, {SNAPSHOT_END}.")
    waiting_end: int | None = strawberry.field(
        description=f"Residents waiting, {SNAPSHOT_END}; the total adds up the kecamatan."
    )
    coverage_start: float | None = strawberry.field(
        description=(
            f"Coalition coverage, {SNAPSHOT}. In the total: the covered places of every "
            "kecamatan over their summed gap (1 when nothing is missing)."
        )
    )
    coverage_end: float | None = strawberry.field(
        description=f"Coalition coverage, {SNAPSHOT_END}; the total's as for coverageStart."
    )
    plans_activated: int = strawberry.field(
        description="Plans of the kecamatan's centre activated in the month."
    )
    plans_completed: int = strawberry.field(
        description="Plans of the kecamatan's centre completed in the month."
    )
    trainings_held: int = strawberry.field(
        description="Trainings hosted by the centre, done, that started in the month."
    )
    participants_registered: int = strawberry.field(
        description=(
            "Registrations for the centre's trainings made in the month (one per person and "
            "training, whatever became of it)."
        )
    )
    participants_confirmed: int = strawberry.field(
        description="Of the registrations made in the month, those confirmed now."
    )
    participants_attended: int = strawberry.field(
        description="Registrations marked attended at the centre's trainings of the month."
    )
    places_added: int = strawberry.field(
        description=(
            "Mentee places that came in the month: the capacity of the centre's own mentors "
            "created in the month, plus the mentees community mentors are allocated by the "
            "centre's plans activated in the month (gross; the supply figures show the net)."
        )
    )

    @classmethod
    def from_result(cls, row: reports.ReportRow) -> ReportRow:
        from schema.regions.types import Kecamatan

        k = row.kecamatan
        return cls(
            kecamatan=(
                Kecamatan(
                    pk=k.id, code=k.code, name=k.name, lat=k.lat, lon=k.lon, kota_id=k.kota_id
                )
                if k is not None
                else None
            ),
            demand_start=row.demand_start,
            demand_end=row.demand_end,
            supply_start=row.supply_start,
            supply_end=row.supply_end,
            gap_start=row.gap_start,
            gap_end=row.gap_end,
            waiting_end=row.waiting_end,
            coverage_start=row.coverage_start,
            coverage_end=row.coverage_end,
            plans_activated=row.plans_activated,
            plans_completed=row.plans_completed,
            trainings_held=row.trainings_held,
            participants_registered=row.participants_registered,
            participants_confirmed=row.participants_confirmed,
            participants_attended=row.participants_attended,
            places_added=row.places_added,
        )


@strawberry.type(description="The monthly programme report of the whole country or one kota.")
class Report:
    month: str = strawberry.field(description="The month, `YYYY-MM`, in Asia/Jakarta time.")
    rows: list[ReportRow] = strawberry.field(description="One row per kecamatan, by code.")
    total: ReportRow = strawberry.field(
        description="Every figure summed (nulls left out); coverage recomputed from the sums."
    )

    @classmethod
    def from_result(cls, report: reports.Report) -> Report:
        return cls(
            month=report.month.label,
            rows=[ReportRow.from_result(r) for r in report.rows],
            total=ReportRow.from_result(report.total),
        )
