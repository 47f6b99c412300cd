"""The committed SDL and migrations match the code: CI fails on drift."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from hub.core.database import tortoise_config
from schema import SDL_PATH, sdl


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text("utf-8") == sdl(), (
        "schema/schema.graphql is stale: run `hub export-schema > schema/schema.graphql`"
    )


def test_hub_export_schema_prints_the_committed_sdl() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == SDL_PATH.read_text("utf-8")


@pytest.mark.usefixtures("app")
async def test_models_have_no_changes_without_a_migration() -> None:
    apps_config = tortoise_config("")["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert [w.name for w in writers] == [], (
        "models changed without a migration: run `tortoise makemigrations`"
    )
