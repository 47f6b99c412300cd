"""Programme reports: daily snapshots of every kecamatan's figures, and the monthly report
built from them and from the month's plans, trainings and registrations (DESIGN section 12).

    snapshots.py  the daily snapshot (`take_snapshot`) and the worker's loop (`snapshot_daily`)
    monthly.py    the report's rows and total, in a constant number of statements
    files.py      the report as CSV and as one self-contained HTML page with SVG charts
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.core import Forbidden, Invalid
from hub.reports.files import FORMATS, report_csv, report_html
from hub.reports.monthly import (
    Month,
    Report,
    ReportRow,
    build_report,
    parse_month,
    total_row,
)
from hub.reports.snapshots import Taken, jakarta_day, snapshot_daily, take_snapshot
from models.enums import Role

if TYPE_CHECKING:
    from hub.access import Viewer

READERS = (Role.ADMIN, Role.STAFF)


def require_reader(viewer: Viewer) -> None:
    """Reports are for admins and centre staff."""
    if viewer.role not in READERS:
        raise Forbidden("programme reports are for admins and centre staff")


async def report(*, viewer: Viewer, month: str, kota_code: str | None = None) -> Report:
    """The monthly report, for a viewer allowed to read it."""
    require_reader(viewer)
    return await build_report(month=month, kota_code=kota_code)


async def report_file(*, month: str, kota_code: str | None = None, file_format: str) -> str:
    """The report as the text of a file, `html` or `csv`."""
    if file_format not in FORMATS:
        raise Invalid(f"the format is html or csv, not {file_format!r}", field=["format"])
    built = await build_report(month=month, kota_code=kota_code)
    return report_csv(built) if file_format == "csv" else await report_html(built)


__all__ = [
    "FORMATS",
    "Month",
    "Report",
    "ReportRow",
    "Taken",
    "build_report",
    "jakarta_day",
    "parse_month",
    "report",
    "report_csv",
    "report_file",
    "report_html",
    "require_reader",
    "snapshot_daily",
    "take_snapshot",
    "total_row",
]
