"""A whole quiz piped through ``votebot chat``: feedback after each answer, a score at the end."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import votebot


def test_a_whole_quiz_through_the_simulator(tmp_path: Path) -> None:
    script = ["/start", "2", "Not now", "/kuis", "1"] + ["1"] * 10
    proc = votebot(["chat"], "\n".join(script) + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Question 1 of 10" in out and "Question 10 of 10" in out
    feedback = out.count("✅ Right!") + out.count("❌ Not quite.")
    assert feedback == 10
    assert out.count("Sources:") >= 10
    score = re.search(r"Your score: (\d+)/10", out)
    assert score is not None, out[-2000:]
    assert int(score.group(1)) == out.count("✅ Right!")
    assert "Traceback" not in proc.stderr
