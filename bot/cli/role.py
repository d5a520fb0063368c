"""``votebot role``: give and take the admin, volunteer and checker roles, and dashboard tokens."""

from __future__ import annotations

import click

from bot.cli import fail, get_settings, run
from bot.core.events import UserRef
from bot.core.roles import ADMIN, ROLES, create_admin_token, set_role, users_with_roles
from bot.db import repo
from bot.runtime import Runtime, open_runtime


def parse_ref(value: str) -> UserRef:
    try:
        return UserRef.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


async def _runtime() -> Runtime:
    return await open_runtime(get_settings())


@click.group("role")
def command() -> None:
    """Who may send broadcasts: admins and volunteers (CHANNEL:ID, e.g. telegram:12345).

    Every change is written to the audit log. VOTEBOT_ADMINS gives the admin role at start-up.
    """


@command.command("grant")
@click.argument("user")
@click.argument("role", type=click.Choice(ROLES))
def grant(user: str, role: str) -> None:
    """Give USER (CHANNEL:ID) the ROLE admin, volunteer or checker (reviews unknown claims)."""
    ref = parse_ref(user)

    async def main() -> str | None:
        rt = await _runtime()
        try:
            async with rt.db.transaction() as session:
                _, before = await set_role(session, ref, role)
                return before
        finally:
            await rt.close()

    before = run(main())
    if before == role:
        click.echo(f"{ref} already is {role}.")
    else:
        click.echo(f"{ref} is now {role}" + (f" (was {before})." if before else "."))


@command.command("revoke")
@click.argument("user")
def revoke(user: str) -> None:
    """Take any role from USER (CHANNEL:ID); their dashboard tokens stop working."""
    ref = parse_ref(user)

    async def main() -> str | None:
        rt = await _runtime()
        try:
            async with rt.db.transaction() as session:
                if await repo.get_user(session, ref) is None:
                    fail(f"No user {ref}.")
                _, before = await set_role(session, ref, None)
                return before
        finally:
            await rt.close()

    before = run(main())
    click.echo(f"{ref} had no role." if before is None else f"{ref} is no longer {before}.")


@command.command("list")
def list_cmd() -> None:
    """List everyone with a role."""

    async def main() -> list[tuple[str, str, str]]:
        rt = await _runtime()
        try:
            async with rt.db.sessions() as session:
                return [
                    (u.role or "", f"{u.channel}:{u.external_id}", u.display_name or "")
                    for u in await users_with_roles(session)
                ]
        finally:
            await rt.close()

    rows = run(main())
    if not rows:
        click.echo("Nobody has a role yet. Give one with: votebot role grant CHANNEL:ID admin")
        return
    width = max(len(r[1]) for r in rows)
    for role, ref, name in rows:
        click.echo(f"{role:<10} {ref:<{width}} {name}".rstrip())


@command.command("token")
@click.argument("user")
def token(user: str) -> None:
    """Create a dashboard login token for the admin USER (CHANNEL:ID); it is shown only once."""
    ref = parse_ref(user)

    async def main() -> str:
        rt = await _runtime()
        try:
            async with rt.db.transaction() as session:
                found = await repo.get_user(session, ref)
                if found is None or found.role != ADMIN:
                    fail(f"{ref} is not an admin (votebot role grant {ref} admin).")
                return await create_admin_token(session, found)
        finally:
            await rt.close()

    value = run(main())
    click.echo(f"Dashboard token for {ref} (shown once; only its hash is stored):")
    click.echo(value)
