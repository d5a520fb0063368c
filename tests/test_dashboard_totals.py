"""The dashboard's totals agree with each other on data made by driving the flows as people do:
users total = sum by channel = sum by language = sum by province; distinct-person figures count
people who still have an account; a quiz played twice counts each question once per person; the
headline strip (this week, Jakarta days) agrees with the full report."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape

from bot.config import Settings
from bot.reports.data import Period, build_report, today
from bot.reports.headline import headline
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.test_admin import TOKEN, build_app, login
from tests.test_pledge import sign_quickly
from tests.test_quiz_dialog import play


async def people(runtime: Runtime) -> dict[str, Dialog]:
    """Six people on two channels in two languages; two sign the pledge, two play a quiz (one
    of them twice), and one of the signers then deletes her data with /hapus."""
    who = {
        "ani": ("telegram", "en"),
        "budi": ("telegram", "id"),
        "citra": ("whatsapp", "en"),
        "dewi": ("whatsapp", "id"),
        "eko": ("telegram", "en"),
        "fajar": ("whatsapp", "en"),
    }
    out = {}
    for name, (channel, lang) in who.items():
        d = Dialog(runtime.core, user=name, channel=channel, language_code=lang)
        await d.say("/start")
        out[name] = d
    for name in ("ani", "citra"):
        await sign_quickly(out[name])
    await play(out["eko"], "Voting basics", wrong=2)
    await play(out["eko"], "Voting basics", wrong=0)  # a second try: still one person
    await play(out["fajar"], "Voting basics", wrong=1)
    await out["citra"].say("/hapus")
    await out["citra"].press("Yes, delete my data")
    assert "your data is deleted" in out["citra"].text
    return out


async def test_every_total_agrees(runtime: Runtime) -> None:
    await people(runtime)
    async with runtime.db.sessions() as s:
        report = await build_report(s, Period.parse(None, None))
        strip = {f.key: f for f in await headline(s, today())}
    users = report["users"]
    assert users["total"] == 5  # citra deleted her account
    assert sum(r["users"] for r in users["by_channel"]) == 5
    assert sum(r["users"] for r in users["by_locale"]) == 5
    assert sum(r["users"] or 0 for r in users["by_province"]) == 5
    assert users["new"] == strip["new_users"].this_week == 5
    assert users["active"]["weekly"] == strip["active_users"].this_week == 5
    assert users["active"]["daily"] == 5
    pledges = report["pledges"]
    assert (pledges["total"], pledges["withdrawn"], pledges["net"]) == (2, 1, 1)
    assert strip["pledges"].this_week == 2  # signing is history; the withdrawal is shown too
    quizzes = report["quizzes"]
    assert quizzes["started"] == quizzes["completed"] == 3
    assert strip["quizzes_completed"].this_week == 3
    # Every question of the quiz was answered by two people (eko twice counts once).
    answered = {q["answered"] for q in quizzes["questions"]}
    assert answered == {2}
    assert all(f.last_week == 0 for f in strip.values())


async def test_the_dashboard_shows_the_same_figures(settings: Settings) -> None:
    admin = await open_runtime(make_settings(settings.database_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    admin.core.flood = None
    try:
        await people(admin)
        async with TestClient(TestServer(build_app(admin), host="127.0.0.1")) as c:
            assert (await login(c)).status == 303
            html = await (await c.get("/admin?lang=en")).text()
            card = html.split('id="card-new_users"', 1)[1].split("</div>", 1)[0]
            assert "<b>5</b>" in card and "last week: 0" in card
            # Question text, not slugs, in the hardest-questions table.
            table = html.split('id="quizzes-questions"', 1)[1].split("</table>", 1)[0]
            quiz = admin.content.get("quizzes", "voting-basics", "en")
            assert quiz is not None
            shown = [q for q in quiz.questions if str(escape(q.text)) in table]
            assert len(shown) == table.count("<tr>") - 1 == 10  # a row per question asked
            assert not any(f"<td>{q.id}</td>" in table for q in quiz.questions)
            indonesian = await (await c.get("/admin?lang=id")).text()
            assert (
                "Pengguna baru" in indonesian and "Pertanyaan, yang paling susah dulu" in indonesian
            )
            # People with no area: a translated row, not the report's key.
            assert "<td>(tidak diketahui)</td>" in indonesian and "(unknown)" not in indonesian
            assert "<td>(unknown)</td>" in html
    finally:
        await admin.close()
