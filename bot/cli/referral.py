"""``votebot referral create|list``: referral codes for volunteers and schools, and their counts."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core.invites import invitation, qr_png
from bot.db.models_pledge import REFERRAL_KINDS


def invite_lines(settings: Settings, code: str) -> list[str]:
    """How people arrive with ``code``: each configured channel's link, else what to send."""
    inv = invitation(settings, code)
    lines = []
    if inv.telegram:
        lines.append(f"Telegram: {inv.telegram}")
    if inv.whatsapp:
        lines.append(f"WhatsApp: {inv.whatsapp}")
    if not lines:
        lines.append(
            f"Invite: send “{inv.message}” to the bot (set TELEGRAM_BOT_USERNAME or "
            "WHATSAPP_NUMBER for links and QR codes)"
        )
    return lines


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
@click.option(
    "--qr",
    "qr",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a QR code PNG of the invitation link to this file.",
)
@click.option(
    "--qr-for",
    type=click.Choice(["telegram", "whatsapp"]),
    help="Which channel's link the QR code opens (default: Telegram if configured).",
)
def create(name: str, code: str | None, kind: str, qr: Path | None, qr_for: str | None) -> None:
    """Create a referral code for NAME and print its invitation links.

    Telegram: https://t.me/BOT?start=ref_CODE (TELEGRAM_BOT_USERNAME). WhatsApp:
    https://wa.me/NUMBER?text=ref%20CODE (WHATSAPP_NUMBER). Without either, people send
    "ref CODE" as their first message. --qr FILE writes a PNG to print on a poster.
    """
    settings = get_settings()
    if not name.strip():
        fail("NAME must not be empty")
    if qr is not None:
        probe = invitation(settings, "X")
        if (qr_for or "telegram") == "telegram" and probe.telegram is None and qr_for:
            fail("--qr-for telegram needs TELEGRAM_BOT_USERNAME")
        if qr_for == "whatsapp" and probe.whatsapp is None:
            fail("--qr-for whatsapp needs WHATSAPP_NUMBER")
        if probe.telegram is None and probe.whatsapp is None:
            fail("--qr needs a link: set TELEGRAM_BOT_USERNAME or WHATSAPP_NUMBER")

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
    for line in invite_lines(settings, created):
        click.echo(line)
    if qr is not None:
        link = invitation(settings, created).link_for(qr_for or "telegram")
        assert link is not None  # checked above
        try:
            qr.write_bytes(qr_png(link))
        except OSError as exc:
            fail(f"--qr: cannot write {qr}: {exc.strerror}")
        click.echo(f"QR code ({link}) written to {qr}")


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
