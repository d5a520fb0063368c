"""``votebot referral create|list``: referral codes for volunteers and schools, and their counts."""

from __future__ import annotations

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.db.models_pledge import REFERRAL_KINDS


def invite(settings: Settings, code: str) -> str:
    if settings.telegram_bot_username:
        return f"https://t.me/{settings.telegram_bot_username}?start=ref_{code}"
    return f"ref {code}"


@click.group("referral")
def command() -> None:
    """Referral codes: who brings new users (volunteers, schools, users' own links)."""


@command.command("create")
@click.argument("name")
@click.option("--code", help="The code to use (default: derived from NAME, e.g. SMAN1BLORA).")
@click.option(
    "--kind",
    type=click.Choice([k for k in REFERRAL_KINDS if k != "user"]),
    default="volunteer",
    show_default=True,
    help="Who gets the code.",
)
def create(name: str, code: str | None, kind: str) -> None:
    """Create a referral code for NAME and print its link.

    Share the link (Telegram, when TELEGRAM_BOT_USERNAME is set) or tell people to send
    "ref CODE" as their first message (WhatsApp).
    """
    settings = get_settings()
    if not name.strip():
        fail("NAME must not be empty")

    async def main() -> str:
        from bot.db import pledge_repo
        from bot.runtime import open_runtime

        runtime = await open_runtime(settings)
        try:
            async with runtime.db.transaction() as session:
                made = await pledge_repo.create_code(session, name.strip(), kind, code)
                return made.code
        finally:
            await runtime.close()

    try:
        created = run(main())
    except ValueError as exc:
        fail(f"Cannot create the code: {exc}")
    click.echo(f"Created {kind} code {created} for {name.strip()}")
    click.echo(f"Invite: {invite(settings, created)}")


@command.command("list")
@click.option("--all", "include_personal", is_flag=True, help="Include users' personal codes.")
def list_codes(include_personal: bool) -> None:
    """List referral codes with the users each brought, their pledges and completed quizzes."""
    settings = get_settings()

    async def main() -> list[tuple[str, str, str, int, int, int, str]]:
        from bot.db import pledge_repo
        from bot.runtime import open_runtime

        runtime = await open_runtime(settings)
        try:
            async with runtime.db.transaction() as session:
                stats = await pledge_repo.referral_stats(session, include_personal=include_personal)
        finally:
            await runtime.close()
        return [
            (
                s.code.code,
                s.code.kind,
                s.code.name,
                s.users,
                s.pledges,
                s.quizzes,
                s.code.created_at.date().isoformat(),
            )
            for s in stats
        ]

    rows = run(main())
    if not rows:
        click.echo("No referral codes yet. Create one with: votebot referral create NAME")
        return
    header = ("code", "kind", "name", "users", "pledges", "quizzes", "created")
    table = [header, *[tuple(str(v) for v in r) for r in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    numeric = {3, 4, 5}
    for row in table:
        cells = [
            row[i].rjust(widths[i]) if i in numeric else row[i].ljust(widths[i])
            for i in range(len(header))
        ]
        click.echo("  ".join(cells).rstrip())
