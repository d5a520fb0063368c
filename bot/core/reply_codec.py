"""Replies to and from JSON, so an inbound message's answer can wait in the database.

The core stores the replies of a handled message in the same transaction as its effects; the
channel deletes them once delivered. A worker that dies in between leaves them for the
redelivery to send (see :mod:`bot.channels.inbound`).
"""

from __future__ import annotations

import base64
from typing import Any

from bot.core import jsonfast
from bot.core.replies import Button, Image, QuizHint, Reply


def _button(b: Button) -> dict[str, Any]:
    return {"label": b.label, "payload": b.payload, "url": b.url}


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        out["buttons"] = [[_button(b) for b in row] for row in reply.buttons]
    if reply.request_location:
        out["request_location"] = True
        out["location_label"] = reply.location_label
    if reply.image is not None:
        out["image"] = {
            "data": base64.b64encode(reply.image.data).decode("ascii"),
            "filename": reply.image.filename,
            "caption": reply.image.caption,
        }
    if reply.replace:
        out["replace"] = True
    if reply.quiz is not None:
        q = reply.quiz
        out["quiz"] = {
            "question": q.question,
            "options": list(q.options),
            "correct": q.correct,
            "header": q.header,
            "explanation": q.explanation,
        }
    return out


def reply_from_dict(data: dict[str, Any]) -> Reply:
    image = data.get("image")
    quiz = data.get("quiz")
    return Reply(
        text=str(data.get("text", "")),
        buttons=[
            [Button(b["label"], payload=b.get("payload"), url=b.get("url")) for b in row]
            for row in data.get("buttons", [])
        ],
        request_location=bool(data.get("request_location", False)),
        location_label=str(data.get("location_label", "")),
        image=(
            Image(base64.b64decode(image["data"]), image["filename"], image["caption"])
            if image
            else None
        ),
        replace=bool(data.get("replace", False)),
        quiz=(
            QuizHint(
                quiz["question"],
                tuple(quiz["options"]),
                int(quiz["correct"]),
                quiz.get("header", ""),
                quiz.get("explanation", ""),
            )
            if quiz
            else None
        ),
    )


def encode(replies: list[Reply], route: dict[str, Any]) -> str:
    """Replies plus the channel's delivery details (e.g. the chat and the pressed message)."""
    # A lone UTF-16 surrogate (a client's broken emoji echoed back) is written as an escape.
    return jsonfast.dumps({"replies": [reply_to_dict(r) for r in replies], "route": route})


def decode(text: str) -> tuple[list[Reply], dict[str, Any]]:
    data = jsonfast.loads(text)
    return [reply_from_dict(r) for r in data["replies"]], dict(data.get("route") or {})
