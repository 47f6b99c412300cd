"""Options, shared constants and the benchmark's one error type."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = ("nested", "kecamatan", "node")
FIRST = 100  # the page size every server is asked for (the hub's maximum)

ServerKind = Literal["hub", "postgraphile", "floor"]
Json = dict[str, Any]


class BenchError(Exception):
    """Something the benchmark cannot work around; the message says what to do."""


@dataclass(frozen=True)
class Options:
    """What the command line asked for (see `read_compare.py --help`)."""

    database_url: str
    duration: int
    warmup: int
    rounds: int
    connections: int
    threads: int
    wrk_timeout: int
    port_base: int
    pool_size: int
    cache: Literal["off", "on", "both"]
    operations: tuple[str, ...]
    kecamatan: str
    profile: bool
    work_dir: Path
    executor: bool = True
    two_workers: bool = False

    @property
    def wrk_threads(self) -> int:
        return min(self.threads, self.connections)


def plain_dsn(database_url: str) -> str:
    """The database URL without query parameters: each server gets its pool size its own way."""
    parts = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(("postgres", parts.netloc, parts.path, "", ""))
