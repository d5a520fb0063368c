"""Quizzes: ``/kuis``, one question at a time, feedback, resume, retry-missed, leaderboards and the
"Pemilih Cerdas" certificate.

Progress lives in the ``quiz_attempts`` and ``quiz_answers`` tables, never in memory, so a quiz
resumes after hours or a restart. An answer button carries ``qa:<attempt>:<index>:<option>``
(the question's position in the attempt and the option's index in the quiz file): a tap on a
button of an earlier question or an abandoned attempt is recognised and answered kindly, and the
unique (attempt, question) constraint makes a double tap count once. A channel that shows a
question another way (e.g. Telegram's native quiz poll) only has to turn the chosen option back
into the same payload and hand the core a ``ButtonEvent``.

The modules, by responsibility: :mod:`.starting` (the list, starting or resuming, asking),
:mod:`.answering` (taps, typed letters, feedback, the pause note), :mod:`.results` (the score and
retry-missed), :mod:`.leaderboard` and :mod:`.certificate`; :mod:`.common` holds what they share.
The handlers call each other across modules, so they are registered here, in one place, in the
order the quiz has always registered them.
"""

from __future__ import annotations

from bot.core.flows.quiz.answering import (
    TYPED_LETTER,
    already_answered,
    answer,
    answer_button,
    feedback,
    quiz_left,
    quiz_text,
    typed_letter,
)
from bot.core.flows.quiz.certificate import (
    certificate_button,
    certificate_command,
    issue_certificate,
    missing_for_certificate,
    offer_certificate,
)
from bot.core.flows.quiz.common import (
    FLOW,
    LEADERBOARD_SIZE,
    LETTERS,
    LEVEL_LABELS,
    LONG_OPTION,
    MAX_BOARD_NAME,
    MEDALS,
    PASS_RATIO,
    accept_name,
    menu_row,
    name_problem,
    platform_name,
    quiz_gone,
    score_text,
)
from bot.core.flows.quiz.leaderboard import (
    ask_board_name,
    kabupaten_name,
    leaderboard_button,
    save_board_name,
    set_board_opt_in,
    show_leaderboard,
)
from bot.core.flows.quiz.results import finish, retry_missed_button
from bot.core.flows.quiz.starting import (
    continue_attempt,
    current_question,
    open_quiz,
    quiz_button,
    quiz_command,
    quiz_list_button,
    restart_changed,
    show_list,
    show_question,
    start,
)
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.router import router

__all__ = [
    "FLOW",
    "LEADERBOARD_SIZE",
    "LETTERS",
    "LEVEL_LABELS",
    "LONG_OPTION",
    "MAX_BOARD_NAME",
    "MEDALS",
    "PASS_RATIO",
    "TYPED_LETTER",
    "accept_name",
    "already_answered",
    "answer",
    "answer_button",
    "ask_board_name",
    "certificate_button",
    "certificate_command",
    "continue_attempt",
    "current_question",
    "feedback",
    "finish",
    "issue_certificate",
    "kabupaten_name",
    "leaderboard_button",
    "menu_row",
    "missing_for_certificate",
    "name_problem",
    "offer_certificate",
    "open_quiz",
    "platform_name",
    "quiz_button",
    "quiz_command",
    "quiz_gone",
    "quiz_left",
    "quiz_list_button",
    "quiz_text",
    "restart_changed",
    "retry_missed_button",
    "save_board_name",
    "score_text",
    "set_board_opt_in",
    "show_leaderboard",
    "show_list",
    "show_question",
    "start",
    "typed_letter",
]

menu_item("quiz", N_("📝 Quiz"), "quiz", order=20)

# the list and starting
router.command("kuis", description=N_("quizzes: test what you know"), aliases=("quiz",), order=20)(
    quiz_command
)
router.button("quiz")(quiz_list_button)
router.button("qz")(quiz_button)
# answering: buttons, typed letters and names, the note when a typed cancel pauses the quiz
router.button("qa")(answer_button)
router.state(FLOW)(quiz_text)
router.on_exit(FLOW)(quiz_left)
# the end, leaderboards, the certificate
router.button("qr")(retry_missed_button)
router.button("qlb")(leaderboard_button)
router.command(
    "sertifikat",
    description=N_("your Pemilih Cerdas certificate"),
    aliases=("certificate",),
    order=21,
)(certificate_command)
router.button("qcert")(certificate_button)
