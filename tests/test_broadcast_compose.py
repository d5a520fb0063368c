"""Segments, the broadcast file format, roles, tokens and the audit log (both backends)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import ROOT
from bot.core import broadcasts as bc
from bot.core.content import ContentErrors
from bot.core.events import UserRef
from bot.core.roles import create_admin_token, set_role, verify_admin_token
from bot.core.segments import SegmentError, audience_size, parse_segment
from bot.db import pledge_repo
from bot.db.models import Region, User
from bot.db.models_broadcast import AdminToken, AuditEntry
from bot.runtime import Runtime
from tests.broadcast_helpers import DAYTIME, add_users, new_broadcast, outbox
from tests.dialog import Dialog
from tests.test_pledge import sign_quickly
from tests.test_quiz_dialog import play
from tests.test_regions import add_path


def test_segment_grammar() -> None:
    assert parse_segment("all").is_all and parse_segment(" ").is_all
    seg = parse_segment("locale=ID, province=Jawa Tengah|DI Yogyakarta ,pledged,active_days=30")
    assert seg.terms["locale"] == ("id",)
    assert seg.terms["province"] == ("Jawa Tengah", "DI Yogyakarta")
    assert seg.flags == {"pledged"}
    assert parse_segment(seg.describe()) == seg
    for bad, why in [
        ("all,pledged", "cannot be combined"),
        ("colour=red", "unknown key"),
        ("signed", "unknown term"),
        ("locale=id,locale=en", "given twice"),
        ("active_days=abc", "number of days"),
        ("referral=", "needs a value"),
        ("pledged,,quiz_finished", "empty term"),
    ]:
        with pytest.raises(SegmentError, match=why):
            parse_segment(bad)


async def sizes(runtime: Runtime, expression: str, *, sandbox: bool = False) -> int:
    async with runtime.db.sessions() as s:
        found = await audience_size(
            s, parse_segment(expression), default_locale="id", now=DAYTIME, sandbox=sandbox
        )
    return sum(found.values())


async def test_segment_selection(runtime: Runtime) -> None:
    """Pledges, withdrawals, reminders, quizzes and referrals come from the flows, as users do
    them; the segments read the tables those flows write."""
    async with runtime.db.transaction() as s:
        kel = await add_path(s)
        kel_id, prov_id, kab_id = kel.id, kel.province_id, kel.kabupaten_id
        other = Region(level="province", source_id=2, name="Bali", name_key="bali", timezone="WITA")
        s.add(other)
        await s.flush()
        bali_id = other.id
        await pledge_repo.create_code(s, "Kampus", "school", "ABC123")
    blora_d = Dialog(runtime.core, user="blora", language_code="en")
    await sign_quickly(blora_d)
    await blora_d.press("Remind me on voting day")
    bali_d = Dialog(runtime.core, user="bali", language_code="en")
    await sign_quickly(bali_d)
    await bali_d.say("/janji")
    await bali_d.press("Withdraw my signature")
    await bali_d.press("Yes, withdraw")
    await bali_d.say("/bahasa en")
    await play(bali_d, "Voting basics")
    wa_d = Dialog(runtime.core, user="62811", channel="whatsapp", language_code="en")
    await sign_quickly(wa_d)
    await wa_d.say("/janji")
    await wa_d.press("Withdraw my signature")
    await wa_d.press("Yes, withdraw")
    await sign_quickly(wa_d)  # signed again: counts
    await Dialog(runtime.core, user="new").say("ref abc123")
    old = DAYTIME - timedelta(days=40)
    recent = DAYTIME - timedelta(days=2)
    await add_users(runtime, ["blora"], region_id=kel_id, locale="id", last_seen_at=recent)
    await add_users(runtime, ["bali"], region_id=bali_id, locale="en", last_seen_at=old)
    await add_users(runtime, ["new"], last_seen_at=recent)
    await add_users(runtime, ["62811"], channel="whatsapp", locale="id", last_seen_at=old)
    await add_users(runtime, ["out"], opted_in=False)
    await add_users(runtime, ["gone"], reachable=False)
    await add_users(runtime, ["local"], channel="sim")

    assert await sizes(runtime, "all") == 4
    assert await sizes(runtime, "locale=id") == 3  # no locale chosen yet counts as the default
    assert await sizes(runtime, "locale=en") == 1
    assert await sizes(runtime, "province=Jawa Tengah") == 1
    assert await sizes(runtime, f"province={prov_id}|{bali_id}") == 2
    assert await sizes(runtime, "kabupaten=Blora") == 1
    assert await sizes(runtime, f"kabupaten={kab_id}") == 1
    assert await sizes(runtime, "pledged") == 2
    assert await sizes(runtime, "pledged,channel=whatsapp") == 1
    assert await sizes(runtime, "quiz_finished") == 1
    assert await sizes(runtime, "referral=ABC123") == 1
    assert await sizes(runtime, "referral=NOPE") == 0
    assert await sizes(runtime, "reminder") == 1
    assert await sizes(runtime, "active_days=30") == 2
    # Simulator users count only in the sandbox, where every group includes them.
    with pytest.raises(SegmentError, match="simulator users live in the sandbox"):
        await sizes(runtime, "channel=sim")
    assert await sizes(runtime, "channel=sim", sandbox=True) == 1
    assert await sizes(runtime, "all", sandbox=True) == 5
    assert await sizes(runtime, "locale=id,active_days=30,pledged") == 1
    with pytest.raises(SegmentError, match="no province called “Atlantis”"):
        await sizes(runtime, "province=Atlantis")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "---\nid: demo\ntitle: Demo\nsources:\n  - id: kpu\n    title: KPU RI\n---\n"


def test_the_shipped_broadcast_files_are_valid() -> None:
    files, errors = bc.broadcast_files(ROOT / "content", ["id", "en"], "id")
    assert errors == [] and "cek-dpt" in {f.meta.id for f in files}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (HEAD + "# id\nHalo\n# id\nLagi\n", 10, "locale 'id' appears twice"),
        (HEAD + "Halo\n# id\nx\n", 8, "text before the first"),
        (HEAD + "# id\nHalo\n# fr\nSalut\n", 10, "unknown locale 'fr'"),
        (HEAD + "# en\nHello\n", 8, "no '# id' section"),
        (HEAD + "# id\n\n# en\nHi\n", 8, "the 'id' section is empty"),
        (HEAD.replace("id: demo", "id: other") + "# id\nx\n", 2, "must match the file name"),
        (
            HEAD.replace("title: Demo\n", "title: Demo\ncolour: red\n") + "# id\nx\n",
            4,
            "unknown key",
        ),
        (
            HEAD.replace("sources:\n  - id: kpu\n    title: KPU RI\n", "") + "# id\nx\n",
            1,
            "sources",
        ),
    ],
)
def test_broadcast_file_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "demo.md", text)
    with pytest.raises(ContentErrors) as exc:
        bc.parse_broadcast_file(path, ["id", "en"], "id")
    formatted = [e.format() for e in exc.value.errors]
    assert any(f.startswith(f"{path}:{line}: ") and message in f for f in formatted), formatted


def test_a_broadcast_file_with_sources_per_locale(tmp_path: Path) -> None:
    from bot.core.i18n import Translator

    path = write(tmp_path, "demo.md", HEAD + "# id\nHalo **kamu**\n\n# en\nHello\n")
    file = bc.parse_broadcast_file(path, ["id", "en"], "id")
    texts = file.texts(lambda loc: Translator(loc))
    assert texts["id"].startswith("Halo **kamu**") and "_Sumber:_ KPU RI" in texts["id"]
    assert texts["en"].endswith("_Sources:_ KPU RI")


def test_quiet_hours_in_each_time_zone() -> None:
    night_wib = DAYTIME.replace(hour=15)  # 22:00 WIB, 23:00 WITA, 00:00 WIT
    assert bc.quiet_until(night_wib, "WIB", (21, 6)) == DAYTIME.replace(hour=23)
    assert bc.quiet_until(night_wib, "WIT", (21, 6)) == DAYTIME.replace(hour=21)
    assert bc.quiet_until(night_wib, None, (21, 6)) == DAYTIME.replace(hour=23)
    assert bc.quiet_until(DAYTIME, "WIB", (21, 6)) is None
    assert bc.quiet_until(night_wib, "WIB", None) is None
    assert bc.quiet_until(DAYTIME, "WIB", (9, 12)) == DAYTIME.replace(hour=5)  # 10:00 → 12:00


async def test_roles_tokens_and_the_audit_log(runtime: Runtime) -> None:
    ref = UserRef("telegram", "42")
    async with runtime.db.transaction() as s:
        user, before = await set_role(s, ref, "admin")
        assert before is None and user.role == "admin"
        token = await create_admin_token(s, user)
    async with runtime.db.transaction() as s:
        found = await verify_admin_token(s, token)
        assert found is not None and found.external_id == "42"
        assert await verify_admin_token(s, token + "x") is None
        assert await verify_admin_token(s, "") is None
        stored = (await s.scalars(select(AdminToken.token_hash))).all()
        assert token not in stored and len(stored[0]) == 64
    async with runtime.db.transaction() as s:
        await set_role(s, ref, "volunteer", actor="telegram:1")
    async with runtime.db.transaction() as s:
        assert await verify_admin_token(s, token) is None  # no longer an admin
        await set_role(s, ref, None)
        with pytest.raises(ValueError, match="unknown role"):
            await set_role(s, ref, "king")
    async with runtime.db.sessions() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("cli", "role_grant", "telegram:42"),
        ("cli", "token_create", "telegram:42"),
        ("telegram:1", "role_grant", "telegram:42"),
        ("cli", "role_revoke", "telegram:42"),
    ]
    assert rows[2].details == {"role": "volunteer", "previous": "admin"}


async def test_every_broadcast_action_is_audited(runtime: Runtime) -> None:
    await add_users(runtime, ["a"])
    bid = await new_broadcast(runtime)
    async with runtime.db.transaction() as s:
        await bc.pause(s, bid, None)
        await bc.resume(s, bid, None)
        with pytest.raises(bc.BroadcastError, match="not paused"):
            await bc.resume(s, bid, None)
        with pytest.raises(bc.BroadcastError, match="not awaiting approval"):
            await bc.approve(s, bid, None)
        await bc.cancel(s, bid, None)
    async with runtime.db.sessions() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [r.action for r in rows] == [
        "broadcast_create",
        "broadcast_pause",
        "broadcast_resume",
        "broadcast_cancel",
    ]
    assert rows[0].details["audience"] == 1 and rows[0].target == f"broadcast:{bid}"
    assert len(await outbox(runtime, bid)) == 1


async def test_approval_rule(runtime: Runtime) -> None:
    from tests.conftest import make_settings

    settings = make_settings(runtime.settings.database_url, VOTEBOT_BROADCAST_APPROVAL="1")
    await add_users(runtime, ["a"])
    (vol,) = await add_users(runtime, ["vol"], role="volunteer")
    (other,) = await add_users(runtime, ["other"], role="volunteer")
    (boss,) = await add_users(runtime, ["boss"], role="admin")
    (nobody,) = await add_users(runtime, ["nobody"])
    async with runtime.db.transaction() as s:
        with pytest.raises(bc.BroadcastError, match="only volunteers and admins"):
            await bc.create_broadcast(
                s,
                settings,
                title="t",
                texts={"id": "x"},
                segment=parse_segment("all"),
                creator=await s.get(User, nobody.id),
            )
        b = await bc.create_broadcast(
            s,
            settings,
            title="t",
            texts={"id": "x"},
            segment=parse_segment("all"),
            creator=await s.get(User, vol.id),
        )
        assert b.status == "awaiting_approval"
        with pytest.raises(bc.BroadcastError, match="only an admin"):
            await bc.approve(s, b.id, await s.get(User, other.id))
        approved = await bc.approve(s, b.id, await s.get(User, boss.id))
        assert approved.status == "queued" and approved.approved_by == "test:boss"
        # without the rule a volunteer's broadcast is queued at once
        b2 = await bc.create_broadcast(
            s,
            runtime.settings,
            title="t",
            texts={"id": "x"},
            segment=parse_segment("all"),
            creator=await s.get(User, vol.id),
        )
        assert b2.status == "queued"


async def test_admins_from_the_environment_at_start_up(db_url: str) -> None:
    from bot.runtime import open_runtime
    from tests.conftest import make_settings

    settings = make_settings(db_url, VOTEBOT_ADMINS="telegram:7, whatsapp:62811")
    for _ in range(2):  # the second start changes nothing
        rt = await open_runtime(settings)
        await rt.close()
    rt = await open_runtime(settings)
    try:
        async with rt.db.sessions() as s:
            roles = {
                (u.channel, u.external_id, u.role) for u in (await s.scalars(select(User))).all()
            }
            audits = (await s.scalars(select(AuditEntry.actor))).all()
        assert roles == {("telegram", "7", "admin"), ("whatsapp", "62811", "admin")}
        assert list(audits) == ["env:VOTEBOT_ADMINS"] * 2
    finally:
        await rt.close()


def test_content_check_validates_broadcast_files(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    (tmp_path / "id").mkdir()
    (tmp_path / "broadcasts").mkdir()
    write(tmp_path / "broadcasts", "demo.md", HEAD + "# id\nHalo\n# id\nLagi\n")
    result = CliRunner().invoke(cli, ["content", "check", str(tmp_path)], prog_name="votebot")
    assert result.exit_code == 1
    assert "broadcasts/demo.md:10: locale 'id' appears twice" in result.output
