"""A background loop stops between rounds: the round in progress is finished, not cut off."""

from __future__ import annotations

import asyncio

from bot.loops import RoundLoop


async def test_stop_lets_the_round_in_progress_finish() -> None:
    started, finished = asyncio.Event(), []

    async def step() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append(True)

    loop = RoundLoop(step, interval=3600, name="test")
    loop.start()
    await started.wait()
    await loop.stop()
    assert finished == [True]


async def test_stop_cuts_the_wait_between_rounds_short() -> None:
    rounds: list[int] = []

    async def step() -> None:
        rounds.append(1)

    loop = RoundLoop(step, interval=3600, name="test")
    loop.start()
    await asyncio.sleep(0.05)
    async with asyncio.timeout(2):
        await loop.stop()
    assert rounds == [1]


async def test_a_round_outlasting_the_grace_is_cancelled() -> None:
    cancelled = asyncio.Event()

    async def step() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    loop = RoundLoop(step, interval=1, name="test")
    loop.start()
    await asyncio.sleep(0.05)
    await loop.stop(grace=0.1)
    assert cancelled.is_set()


async def test_wait_first_skips_the_round_the_caller_just_ran() -> None:
    rounds: list[int] = []

    async def step() -> None:
        rounds.append(1)

    loop = RoundLoop(step, interval=0.2, name="test")
    loop.start(wait_first=True)
    await asyncio.sleep(0.05)
    assert rounds == []
    await asyncio.sleep(0.25)
    await loop.stop()
    assert rounds == [1]
