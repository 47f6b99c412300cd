"""The directory: communities, mentors and demand, their lists, and CSV in and out."""

from hub.directory.csvexport import export_csv
from hub.directory.csvimport import import_csv
from hub.directory.demand import sector_need
from hub.directory.queries import kecamatan_query, kotas

__all__ = ["export_csv", "import_csv", "kecamatan_query", "kotas", "sector_need"]
