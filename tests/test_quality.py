"""ruff (lint and format) and mypy run as part of the test suite, so CI enforces them."""

from __future__ import annotations

import subprocess
import sys

from bot import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ruff_lint() -> None:
    proc = run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = run("ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    proc = run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_boundaries() -> None:
    """The import-linter contracts in pyproject.toml (``bot.core`` imports no channel)."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout, proc.stdout


def test_the_core_loads_no_channel_at_run_time() -> None:
    """Also what ``importlib`` loads by name (content kinds, flows): import every core module,
    load the flows and the content, then look at what is in ``sys.modules``."""
    code = (
        "import importlib, pkgutil, sys, bot.core\n"
        "for m in pkgutil.walk_packages(bot.core.__path__, 'bot.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "from bot.core.flows import load_flows; load_flows()\n"
        "from bot.core.content import _import_kinds; _import_kinds()\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('telegram', 'aiohttp')\n"
        "             or n.startswith('bot.channels'))\n"
        "print(' '.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"bot.core pulled in: {proc.stdout}"
