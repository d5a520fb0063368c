"""Every dialog scenario of tests/scenarios.py, unchanged, on Telegram and on WhatsApp (and on
every database backend): the channels must give a person the same conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import ROOT
from bot.db.engine import Database
from bot.tps.importer import import_tps_file
from bot.tps.regions_data import import_regions
from tests.scenario_drivers import DRIVERS
from tests.scenarios import SCENARIOS, Scenario

PROVINCE = "DKI Jakarta"


async def load_tps(db: Database, tmp_path: Path) -> None:
    """The regions of one province and the sample TPS in it (the importer's own API)."""
    lines = (ROOT / "content" / "tps" / "sample.csv").read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "jakarta.csv"
    sample.write_text("\n".join([lines[0], *(x for x in lines[1:] if x.startswith(PROVINCE))]))
    async with db.transaction() as s:
        await import_regions(s, provinces=[PROVINCE])
    async with db.transaction() as s:
        report = await import_tps_file(s, sample)
    assert report.errors == [] and report.result.added == 4


@pytest.mark.parametrize("channel", sorted(DRIVERS))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(scenario: Scenario, channel: str, db_url: str, tmp_path: Path) -> None:
    async with DRIVERS[channel](db_url) as (driver, runtime):
        if scenario.tps:
            await load_tps(runtime.db, tmp_path)
        try:
            await scenario.run(driver)
        except AssertionError as exc:
            transcript = "\n".join(driver.transcript)
            raise AssertionError(f"{exc}\n--- {channel} transcript ---\n{transcript}") from exc


def test_every_scenario_is_named_once() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names)) >= 10
