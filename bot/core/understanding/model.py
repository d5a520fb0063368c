"""What :func:`bot.core.understanding.understand` answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["faq", "page", "intent"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Match:
    kind: Kind
    target: str
    score: float

    @property
    def label(self) -> str:
        """``faq:tps-opening-hours``, as the gold set writes targets."""
        return f"{self.kind}:{self.target}"


@dataclass(frozen=True)
class Understanding:
    confidence: Confidence
    best: Match | None
    candidates: list[Match] = field(default_factory=list)
    #: the text as matched (normalised), for the team's unanswered list; never logged
    normalised: str = ""
