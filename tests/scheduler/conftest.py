"""A tiny dataset (one small local CSV) in temporary publishers/ and schemas/ folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.config import Config

SCHEMA = {
    "fields": [
        {"name": "month", "type": "string", "title": "Month", "constraints": {"required": True}},
        {
            "name": "stops",
            "type": "integer",
            "title": "Traffic stops",
            "constraints": {"minimum": 0},
        },
    ]
}
ROWS = [("2026-08", 120), ("2026-09", 131), ("2026-10", 118)]


def write_tiny(
    root: Path, *, cron: str = "0 6 2 * *", source: dict | None = None, slug: str = "tiny"
) -> tuple[Path, Path]:
    """Write a one-resource dataset definition under root; returns (publishers, schemas)."""
    publishers, schemas = root / "publishers", root / "schemas" / slug
    publishers.mkdir(parents=True, exist_ok=True)
    schemas.mkdir(parents=True, exist_ok=True)
    (schemas / "dataset.yaml").write_text(
        f"name: {slug}\ntitle: Tiny stops {slug}\nfamily: tiny\n"
        "description: Traffic stops per month.\nupdate_frequency: monthly\n"
        "resources:\n  stops:\n    title: Stops per month\n",
        encoding="utf-8",
    )
    (schemas / "stops.schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    source = source or {"type": "file", "path": "tiny/stops.csv", "format": "csv"}
    entry = {
        "dataset": slug,
        "schedule": {"cron": cron, "timezone": "UTC"},
        "cadence": "P1M",
        "resources": {
            "stops": {
                "source": source,
                "columns": {"month": "Month", "stops": {"from": "Stops", "function": "integer"}},
            }
        },
    }
    (publishers / f"{slug}.yaml").write_text(json.dumps(entry), encoding="utf-8")
    return publishers, root / "schemas"


def write_source(data_dir: Path, rows: list[tuple[str, int]] = ROWS) -> Path:
    path = data_dir / "tiny" / "stops.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Month,Stops\n" + "".join(f"{m},{n}\n" for m, n in rows), encoding="utf-8")
    return path


def cron_at(moment: datetime) -> str:
    """A six-field cron expression that fires once a year, at this second (UTC)."""
    return f"{moment.second} {moment.minute} {moment.hour} {moment.day} {moment.month} *"


class FakeClock:
    """Starts at the real time (runs stamp real times) and moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fire_time(clock: FakeClock) -> datetime:
    """When the tiny publisher's cron fires: 30 seconds after the test starts."""
    return clock.now + timedelta(seconds=30)


def tiny_config(tmp_path: Path, database_url: str, cron: str) -> Config:
    """A test portal whose only dataset is `tiny`, its source file written."""
    publishers, schemas = write_tiny(tmp_path / "definitions", cron=cron)
    config = Config.from_env(
        {},
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        testing=True,
        publishers_dir=publishers,
        schemas_dir=schemas,
    )
    write_source(config.data_dir)
    return config


@pytest.fixture
def config(tmp_path: Path, database_url: str, fire_time: datetime) -> Config:
    return tiny_config(tmp_path, database_url, cron_at(fire_time))
