"""``votebot poll``: create, approve, close and read Suara Muda polls."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select, update

from bot.cli import fail, get_settings, run
from bot.cli.broadcast import _actor
from bot.cli.poll_new import NewPoll, PollInputError, build_spec, prompt_poll
from bot.cli.preview import audience_preview
from bot.config import Settings
from bot.core.content import ContentErrors
from bot.core.i18n import available_locales
from bot.core.polls import closing, export, store
from bot.core.polls.evidence import evidence
from bot.core.polls.results import compute
from bot.core.polls.spec import OPEN, POLLS_DIR, PollSpec, parse_poll_file, parse_when
from bot.core.segments import SegmentError, parse_segment
from bot.db.models import utcnow
from bot.db.models_poll import CLOSED, PollOpenAnswer
from bot.runtime import Runtime, open_runtime


@click.group("poll")
def command() -> None:
    """Suara Muda polls: create one (from content/polls/ID.md or options), approve, close, read
    results."""


def _spec(settings: Settings, source: str) -> PollSpec:
    path = Path(source)
    if not path.exists():
        path = settings.content_dir / POLLS_DIR / f"{source}.md"
    if not path.exists():
        fail(f"no poll file {source} (nor {path})", 2)
    try:
        return parse_poll_file(
            path, available_locales(settings.locales_dir), settings.default_locale
        )
    except ContentErrors as exc:
        for error in exc.errors:
            click.echo(error.format(Path.cwd()), err=True)
        fail(f"{len(exc.errors)} problem(s) in {path}")


def _new_spec(
    settings: Settings,
    poll_id: str | None,
    title: str | None,
    questions: tuple[str, ...],
    opens: str | None,
    closes: str | None,
    segment: str | None,
    intro: str | None,
    save: bool,
) -> PollSpec:
    """The poll from the options, or from prompts when no --question was given."""
    if questions:
        missing = [n for n, v in (("--id", poll_id), ("--title", title)) if not v]
        missing += [n for n, v in (("--opens", opens), ("--closes", closes)) if not v]
        if missing:
            fail(f"without a poll file, also give {', '.join(missing)}", 2)
        new = NewPoll(poll_id or "", title or "", list(questions), opens or "", closes or "", intro)
        new.segment = segment or "all"
    else:
        try:
            new = prompt_poll(opens, closes, segment)
        except click.Abort:
            fail(
                "no poll file and no --question: give SOURCE, or --id, --title, --question, "
                "--opens and --closes (at a terminal you are asked for them)",
                2,
            )
        if poll_id:
            new.id = poll_id
        if title:
            new.title = title
    save_to = settings.content_dir / POLLS_DIR if save else None
    try:
        return build_spec(
            new, available_locales(settings.locales_dir), settings.default_locale, save_to
        )
    except PollInputError as exc:
        fail(f"the poll is not valid:\n{exc}", 2)


async def _invitation_preview(rt: Runtime, segment: str) -> None:
    """Who the poll's invitation will reach, with its WhatsApp cost, as a broadcast preview shows
    it (the invitation goes out as a broadcast when the poll opens; counted now)."""
    try:
        _, lines = await audience_preview(rt, parse_segment(segment))
    except SegmentError as exc:
        click.echo(f"Invitation: cannot count the segment: {exc}", err=True)
        return
    click.echo("Invitation (counted now; it goes out when the poll opens):")
    click.echo("\n".join(lines))


def _when(value: str | None, name: str) -> object:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None


@command.command("create")
@click.argument("source", required=False)
@click.option(
    "--opens", help="Open at this time (WIB unless it has an offset); default: the file's."
)
@click.option("--closes", help="Close at this time; default: the file's.")
@click.option("--segment", help="Who is invited (a broadcast segment); default: the file's.")
@click.option("--by", "by", help="CHANNEL:ID of the volunteer or admin creating it.")
@click.option("--id", "poll_id", help="Without a file: the poll's id (e.g. cek-dpt-2026).")
@click.option("--title", help="Without a file: the poll's title.")
@click.option(
    "--question",
    "questions",
    multiple=True,
    metavar="[KIND:] TEXT | OPTION | ...",
    help="Without a file: a question (repeat for up to five). KIND: multi, scale or open; "
    "without one it is a single choice.",
)
@click.option("--intro", help="Without a file: the invitation text (default: the title).")
@click.option("--save", is_flag=True, help="Without a file: also write content/polls/ID.md.")
def create(
    source: str | None,
    opens: str | None,
    closes: str | None,
    segment: str | None,
    by: str | None,
    poll_id: str | None,
    title: str | None,
    questions: tuple[str, ...],
    intro: str | None,
    save: bool,
) -> None:
    """Create a poll that awaits approval: from SOURCE (a file, or an id in content/polls/), or
    from --id, --title and --question (asked for at the prompt when none is given)."""
    settings = get_settings()
    if segment is not None:
        try:
            segment = parse_segment(segment).describe()
        except SegmentError as exc:
            fail(f"--segment: {exc}", 2)
    flags = [n for n, v in (("--id", poll_id), ("--title", title), ("--intro", intro)) if v]
    flags += ["--question"] * bool(questions) + ["--save"] * save
    if source is not None:
        if flags:
            fail(f"{', '.join(flags)}: give a poll file or these options, not both", 2)
        spec = _spec(settings, source)
        opens_at, closes_at = _when(opens, "--opens"), _when(closes, "--closes")
    else:
        spec = _new_spec(settings, poll_id, title, questions, opens, closes, segment, intro, save)
        opens_at = closes_at = None  # they are in the spec

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            creator = await _actor(rt, by)
            async with rt.db.transaction() as session:
                poll = await store.create_poll(
                    session,
                    spec,
                    creator,
                    opens_at=opens_at,  # type: ignore[arg-type]
                    closes_at=closes_at,  # type: ignore[arg-type]
                    segment=segment,
                )
                click.echo(
                    f"Poll '{poll.id}' created ({len(spec.questions)} questions, segment "
                    f"{poll.segment}, {poll.opens_at:%Y-%m-%d %H:%M} to "
                    f"{poll.closes_at:%Y-%m-%d %H:%M} UTC); awaiting approval: "
                    f"votebot poll approve {poll.id}"
                )
            await _invitation_preview(rt, poll.segment)
        except store.PollError as exc:
            fail(str(exc))
        finally:
            await rt.close()

    run(main())


def _lifecycle(action: str) -> click.Command:
    @click.argument("poll_id")
    @click.option("--by", "by", help="CHANNEL:ID of the admin.")
    def cmd(poll_id: str, by: str | None) -> None:
        settings = get_settings()

        async def main() -> None:
            rt = await open_runtime(settings)
            segment: str | None = None
            try:
                actor = await _actor(rt, by)
                async with rt.db.transaction() as session:
                    if action == "approve":
                        poll = await store.approve(session, poll_id, actor)
                        click.echo(
                            f"Poll '{poll.id}' approved; it opens "
                            f"{poll.opens_at:%Y-%m-%d %H:%M} UTC."
                        )
                        segment = poll.segment
                    elif action == "cancel":
                        await store.cancel(session, poll_id, actor)
                        click.echo(f"Poll '{poll_id}' cancelled.")
                    else:
                        n = await closing.close_poll(
                            session, settings, poll_id, utcnow(), rt.core.translator
                        )
                        click.echo(f"Poll '{poll_id}' closed; {n} result messages queued.")
                if segment is not None:
                    await _invitation_preview(rt, segment)
            except store.PollError as exc:
                fail(str(exc))
            finally:
                await rt.close()

        run(main())

    cmd.__doc__ = {
        "approve": "Approve a poll (an admin; not the person who created it).",
        "cancel": "Cancel a poll (nothing more is sent; answers stay out of any result).",
        "close": "Close a poll now: unlink open answers and queue the result messages.",
    }[action]
    return click.command(action)(cmd)


for _action in ("approve", "cancel", "close"):
    command.add_command(_lifecycle(_action))


@command.command("list")
def list_polls() -> None:
    """Every poll with its status and schedule."""
    settings = get_settings()

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                polls = await store.list_polls(session)
                for p in polls:
                    click.echo(
                        f"{p.id}  {p.status:<17} {p.opens_at:%Y-%m-%d %H:%M} → "
                        f"{p.closes_at:%Y-%m-%d %H:%M} UTC  segment {p.segment}  {p.title}"
                    )
                if not polls:
                    click.echo("No polls yet: votebot poll create content/polls/ID.md")
        finally:
            await rt.close()

    run(main())


@command.command("results")
@click.argument("poll_id")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--locale", default=None, help="Language of question and option texts.")
def results(poll_id: str, fmt: str, locale: str | None) -> None:
    """Results with small cells suppressed, plus response rates and time to N answers."""
    settings = get_settings()
    locale = locale or settings.default_locale

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                poll = await store.get_poll(session, poll_id)
                res = await compute(session, poll)
                ev = await evidence(session, poll)
        except store.PollError as exc:
            fail(str(exc))
        finally:
            await rt.close()
        t = rt.core.translator(locale)
        default = settings.default_locale
        if fmt == "json":
            data = export.to_dict(res, locale, default, t.gettext)
            data["status"], data["evidence"] = poll.status, ev.as_dict()
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            click.echo(export.csv_text(res, locale, default, t.gettext), nl=False)
        else:
            click.echo(export.table_text(res, locale, default, t.gettext))
            e = ev.as_dict()
            rate = "–" if e["response_rate"] is None else f"{e['response_rate']:.1%}"
            click.echo(
                f"\nSegment {e['segment']}: {e['invitations_sent']} invitations sent, "
                f"{e['answered_from_invitation']} answered ({rate}); "
                f"{e['answered_without_invitation']} answered without an invitation."
            )
            for row in e["by_province"]:
                sent = "<10" if row["invitations_sent"] is None else row["invitations_sent"]
                got = "<10" if row["answered"] is None else row["answered"]
                click.echo(f"  {row['province']}: {got} of {sent}")
            for n, seconds in e["time_to_answers"].items():
                click.echo(f"  {n} answers after {seconds / 3600:.1f} h")

    run(main())


@command.command("themes")
@click.argument("poll_id")
@click.option(
    "--assign",
    "assign",
    multiple=True,
    metavar="ANSWER_ID=THEME",
    help="Give an open answer a theme (repeatable).",
)
def themes(poll_id: str, assign: tuple[str, ...]) -> None:
    """List a closed poll's open answers (scrubbed, linked to nobody) or assign themes.

    Only theme counts are ever published, never the answers themselves.
    """
    settings = get_settings()
    pairs = []
    for item in assign:
        key, sep, theme = item.partition("=")
        if not sep or not key.strip().isdigit() or not 1 <= len(theme.strip()) <= 64:
            fail(f"--assign {item!r}: use ANSWER_ID=THEME (a theme of 1-64 characters)", 2)
        pairs.append((int(key), theme.strip()))

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            async with rt.db.transaction() as session:
                poll = await store.get_poll(session, poll_id)
                if poll.status != CLOSED:
                    fail(
                        f"poll '{poll_id}' is {poll.status}: open answers are read after it closes"
                    )
                for answer_id, theme in pairs:
                    done = await session.execute(
                        update(PollOpenAnswer)
                        .where(PollOpenAnswer.id == answer_id, PollOpenAnswer.poll_id == poll_id)
                        .values(theme=theme)
                    )
                    if not getattr(done, "rowcount", 0):
                        fail(f"no open answer {answer_id} in poll '{poll_id}'")
                if pairs:
                    click.echo(f"{len(pairs)} theme(s) assigned.")
                    return
                questions = store.questions(poll)
                rows = await session.execute(
                    select(
                        PollOpenAnswer.id,
                        PollOpenAnswer.question,
                        PollOpenAnswer.theme,
                        PollOpenAnswer.text,
                    )
                    .where(PollOpenAnswer.poll_id == poll_id)
                    .order_by(PollOpenAnswer.question, PollOpenAnswer.id)
                )
                for answer_id, qi, tag, text in rows.all():
                    q = questions[qi] if qi < len(questions) else None
                    if q is None or q.kind != OPEN:
                        continue
                    click.echo(f"{answer_id}\t{q.id}\t{tag or '-'}\t{text}")
        except store.PollError as exc:
            fail(str(exc))
        finally:
            await rt.close()

    run(main())
