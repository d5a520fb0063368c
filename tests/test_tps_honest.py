"""Find-your-TPS that is honest: KPU's own look-up first, shorthands through the shared alias file,
no jump to a near spelling without asking, hours from the facts ledger."""

from __future__ import annotations

from bot.runtime import Runtime
from tests.test_tps import english, load


async def test_tps_leads_with_kpu_and_says_when_no_tps_was_imported(runtime: Runtime) -> None:
    await load(runtime.db, sample=False)
    d = await english(runtime)
    await d.say("/tps")
    text = d.text
    assert text.index("cekdptonline.kpu.go.id") < text.index("What I can do")
    assert "type your NIK there, and only there" in text
    assert "TPS open 07.00–13.00 local time on voting day" in text  # the ledger's value
    assert "No TPS list has been imported here yet" in text
    assert "share your location" not in text  # nothing to find near a location
    assert any(b.url == "https://cekdptonline.kpu.go.id" for b in d.replies[-1].all_buttons())


async def test_with_imported_tps_the_bot_offers_them_after_kpu(runtime: Runtime) -> None:
    await load(runtime.db)
    d = await english(runtime)
    await d.say("/tps")
    assert d.text.index("cekdptonline") < d.text.index("I also know the TPS the team imported")
    assert "The nearest TPS isn't always yours" in d.text


async def test_shorthands_reach_the_right_place(runtime: Runtime) -> None:
    await load(runtime.db)
    d = await english(runtime)
    await d.say("/tps jaksel")
    assert "Pick your kecamatan in Kota Administrasi Jakarta Selatan" in d.text
    await d.say("/tps blora")
    # "Blora" names a kabupaten, a kecamatan and a kelurahan: the user chooses.
    assert "Which one do you mean?" in d.text
    assert any(b.startswith("Kabupaten Blora") for b in d.buttons)


async def test_a_near_spelling_is_offered_never_taken(runtime: Runtime) -> None:
    await load(runtime.db)
    d = await english(runtime)
    await d.say("/tps kundenn")
    assert "I didn't find “kundenn” exactly. Did you mean one of these?" in d.text
    assert any(b.startswith("Kunden (Blora,") for b in d.buttons)
    assert "TPS here" not in d.text
    await d.say("/tps selongg")
    assert "Did you mean one of these?" in d.text
    assert "TPS here" not in d.text
    await d.press("Selong (Kebayoran Baru")
    assert "I know 2 TPS here" in d.text
