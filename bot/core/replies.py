"""Outbound replies: what the core asks a channel to show.

Reply text is written in a small Markdown subset (``**bold**``, ``_italic_``, ``[label](url)``,
``- `` lists); each adapter renders it for its platform (see :mod:`bot.core.formatting`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Telegram limits callback data to 64 bytes; payloads are kept within that for every channel.
MAX_PAYLOAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class Button:
    """A button that either sends ``payload`` back to the core or opens ``url``."""

    label: str
    payload: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.url is None):
            raise ValueError("a button has exactly one of payload or url")
        if self.payload is not None and len(self.payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload over {MAX_PAYLOAD_BYTES} bytes: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class Image:
    """A picture (PNG bytes) with an optional caption."""

    data: bytes = field(repr=False)
    filename: str = "image.png"
    caption: str = ""


@dataclass(frozen=True, slots=True)
class QuizHint:
    """Marks a reply as one single-answer question whose buttons, in order, are its options.

    Every channel can show the buttons. A channel with a native quiz widget (Telegram's quiz
    polls) may show that instead and turn the chosen option ``i`` back into the payload of button
    ``i``, so the answer takes the same path as a tap. All texts are plain (no Markdown).
    """

    question: str
    options: tuple[str, ...]
    #: The index of the right option.
    correct: int
    #: A short line above the question (e.g. "Question 3 of 10"), shown where it fits.
    header: str = ""
    explanation: str = ""


@dataclass(slots=True)
class Reply:
    """One outbound message.

    ``buttons`` are rows of buttons. ``request_location`` asks the client to offer a "share my
    location" control labelled ``location_label`` (translated by the core). ``replace`` hints
    that, where the platform allows, this reply may edit the message whose button was pressed
    instead of sending a new one. ``quiz`` marks a question whose buttons are its options (see
    :class:`QuizHint`).
    """

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    request_location: bool = False
    image: Image | None = None
    replace: bool = False
    location_label: str = ""
    quiz: QuizHint | None = None

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]
