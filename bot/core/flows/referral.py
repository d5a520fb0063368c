"""Referrals: ``/start ref_CODE`` (Telegram deep links) and a first message ``ref CODE`` (WhatsApp).

The first code a user arrives with is recorded (first touch only); an unknown code gets a kind
word and the user is onboarded all the same.
"""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.flows.basics import onboarding, show_menu
from bot.core.router import router
from bot.db import pledge_repo


async def record(ctx: Context, raw_code: str) -> None:
    """Attribute the user to ``raw_code`` if it exists and they are new; reply if it is unknown."""
    code = await pledge_repo.get_code(ctx.session, raw_code)
    if code is None:
        await ctx.log("referral", "unknown_code", length=len(raw_code))
        ctx.reply(
            ctx._("Hmm, I don't know that invitation code, but you're very welcome here anyway! 👋")
        )
        return
    if code.user_id == ctx.user.id:
        await ctx.log("referral", "own_code")
        return
    # Only people who are just arriving were brought by the link.
    if not (ctx.is_new_user or ctx.user.locale is None):
        await ctx.log("referral", "already_member", code_kind=code.kind)
        return
    if await pledge_repo.record_referral(ctx.session, ctx.user.id, code.id):
        await ctx.log("referral", "referral_joined", code=code.code, code_kind=code.kind)


@router.deep_link("ref_")
async def referral_deep_link(ctx: Context, args: tuple[str, ...]) -> None:
    await record(ctx, args[0].removeprefix("ref_"))


@router.pattern(r"ref\s+(\S+)")
async def referral_message(ctx: Context, match: re.Match[str]) -> None:
    await record(ctx, match.group(1))
    if ctx.user.locale is None:
        await onboarding(ctx)
    else:
        show_menu(ctx)
