"""``votebot claims``: the checkers' queue, publishing verdicts, exporting them, trends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import func, select

from bot.cli import fail, get_settings, run
from bot.core.factcheck.checker import reply_problem
from bot.core.factcheck.content import MAX_EXPLANATION, URL_RE, VERDICT_LABELS
from bot.core.factcheck.queue import open_reports, publish
from bot.core.factcheck.trends import claim_trends
from bot.core.roles import CLI_ACTOR, audit
from bot.db.models import utcnow
from bot.db.models_claims import OPEN, ClaimFollower, ClaimReport, PublishedClaim
from bot.runtime import Runtime, open_runtime


async def _runtime() -> Runtime:
    return await open_runtime(get_settings())


@click.group("claims")
def command() -> None:
    """Cek Fakta: unknown claims people forwarded, verdicts, and what is being forwarded most."""


@command.command("queue")
@click.option("--limit", default=20, show_default=True, help="How many open claims to list.")
def queue_cmd(limit: int) -> None:
    """List open unknown claims (scrubbed of personal data), most forwarded first."""

    async def main() -> list[tuple[int, int, str, str]]:
        rt = await _runtime()
        try:
            async with rt.db.sessions() as session:
                return [
                    (r.id, r.count, r.last_seen_at.date().isoformat(), r.text)
                    for r in await open_reports(session, limit)
                ]
        finally:
            await rt.close()

    rows = run(main())
    if not rows:
        click.echo("The queue is empty.")
        return
    for rid, count, day, text in rows:
        click.echo(f"#{rid}  {count}x  last {day}")
        for line in text.splitlines()[:6]:
            click.echo(f"    {line[:120]}")


@command.command("publish")
@click.argument("report_id", type=int)
@click.option("--verdict", required=True, type=click.Choice(list(VERDICT_LABELS)))
@click.option("--title", required=True, help="At most 60 characters.")
@click.option("--explanation", required=True, help=f"At most {MAX_EXPLANATION} characters.")
@click.option("--reply", "reply_text", required=True, help="2-3 sentences, exactly one link.")
@click.option("--source", "sources", multiple=True, help="'Title|https://url' (repeatable).")
def publish_cmd(
    report_id: int,
    verdict: str,
    title: str,
    explanation: str,
    reply_text: str,
    sources: tuple[str, ...],
) -> None:
    """Publish a verdict on queued claim REPORT_ID; followers are told by the running server."""
    reply_text = " ".join(reply_text.split())
    problem = reply_problem(reply_text)
    if problem is not None:
        fail(problem.format(n=len(URL_RE.findall(reply_text))))
    if not 3 <= len(title) <= 60:
        fail("The title must be 3 to 60 characters.")
    if not 20 <= len(explanation) <= MAX_EXPLANATION:
        fail(f"The explanation must be 20 to {MAX_EXPLANATION} characters.")
    parsed: list[dict[str, str | None]] = []
    for item in sources:
        name, _, url = item.partition("|")
        if not name.strip() or (url and not URL_RE.fullmatch(url.strip())):
            fail(f"Bad --source {item!r}: use 'Title|https://url'.")
        parsed.append({"title": name.strip(), "url": url.strip() or None})
    if not parsed:
        parsed = [{"title": "Hasil cek tim", "url": URL_RE.findall(reply_text)[0]}]

    async def main() -> tuple[str, int]:
        rt = await _runtime()
        try:
            async with rt.db.transaction() as session:
                report = await session.get(ClaimReport, report_id)
                if report is None or report.status != OPEN:
                    fail(f"No open claim #{report_id} (votebot claims queue).")
                done = await publish(
                    session,
                    report,
                    verdict=verdict,
                    title=title,
                    explanation=explanation,
                    reply=reply_text,
                    sources=parsed,
                    actor=CLI_ACTOR,
                    tell_now=False,  # no channel here: the server's notifier tells them
                )
                await audit(session, CLI_ACTOR, "claim_publish", f"claim:{done.claim.id}")
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(ClaimFollower)
                    .where(ClaimFollower.report_id == report.id)
                )
                return done.claim.id, int(waiting or 0)
        finally:
            await rt.close()

    claim_id, followers = run(main())
    click.echo(f"Published {claim_id}; every worker matches it now.")
    if followers:
        click.echo(f"{followers} user(s) asked to be told; `votebot serve` tells each once.")
    click.echo(f"Export it for review: votebot claims export {claim_id}")


def claim_file(claim: PublishedClaim, reviewed: dt.date) -> str:
    """A claims content file for ``claim`` (the team adds variants and checks it in git)."""
    meta: dict[str, Any] = {
        "id": claim.id,
        "title": claim.title,
        "verdict": claim.verdict,
        "checked": claim.checked.isoformat(),
        "reviewed": reviewed.isoformat(),
        "variants": [" ".join(v.split()) for v in claim.variants],
    }
    if claim.urls:
        meta["urls"] = [u if u.startswith("http") else f"https://{u}" for u in claim.urls]
    meta["sources"] = [
        {"id": f"tim-{i + 1}", "title": s.get("title") or "Hasil cek tim"}
        | ({"url": s["url"]} if s.get("url") else {})
        for i, s in enumerate(claim.sources or [])
    ]
    meta["reply"] = claim.reply
    text = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    for key in ("checked", "reviewed"):
        text = text.replace(f"{key}: '{meta[key]}'", f"{key}: {meta[key]}")
    return f"---\n{text}---\n{claim.explanation.strip()}\n"


@command.command("export")
@click.argument("claim_id")
@click.option(
    "--dir", "content_dir", type=click.Path(path_type=Path), help="Content directory to write to."
)
def export_cmd(claim_id: str, content_dir: Path | None) -> None:
    """Write published claim CLAIM_ID as content/<locale>/claims/CLAIM_ID.md for review in git."""
    settings = get_settings()
    root = content_dir or Path(settings.content_dir)

    async def main() -> PublishedClaim | None:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                return await session.get(PublishedClaim, claim_id)
        finally:
            await rt.close()

    claim = run(main())
    if claim is None:
        fail(f"No published claim {claim_id!r}.")
    path = root / claim.locale / "claims" / f"{claim.id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(claim_file(claim, utcnow().date()), encoding="utf-8")
    click.echo(f"Wrote {path}")
    click.echo(
        "Add the ways it circulates (variants: at least 3), the other locale's file, and the "
        "published debunk as a source; then run `votebot content check`."
    )


@command.command("trends")
def trends_cmd() -> None:
    """The claims forwarded most in the last 7 days, by province; rising ones flagged."""

    async def main() -> list[tuple[str, int, int, bool, str]]:
        rt = await _runtime()
        try:
            async with rt.db.sessions() as session:
                trends = await claim_trends(session, utcnow().date())
            out = []
            for t in trends:
                claim = rt.content.get("claims", t.key, rt.settings.default_locale)
                label = claim.meta.title if claim is not None else (t.text or t.key)
                where = ", ".join(f"{p} {n}" for p, n in t.provinces.most_common(3))
                out.append((f"{t.key}  {label[:60]}", t.this_week, t.last_week, t.rising, where))
            return out
        finally:
            await rt.close()

    rows = run(main())
    if not rows:
        click.echo("Nothing forwarded to the bot in the last 7 days.")
        return
    click.echo("this week  last week  claim / where")
    for label, this, last, rising, where in rows:
        flag = " ↑ rising" if rising else ""
        click.echo(f"{this:>9}  {last:>9}  {label}{flag}")
        click.echo(f"{'':>22}{where}")
