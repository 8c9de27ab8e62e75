"""The coach conversation: a small pure engine for composing a flash poll.

``/peiling`` walks the coach through: the question, up to 4 answers (or an
open question), the target group (only their own), now or at a time, a preview
of how many members get it now / later / not at all, and a confirmation. Like
the participants' engine it does no I/O and reads no clock: the desk hands in
the time, the coach's groups and (for the preview) the counts, and carries out
the effects.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.groups.texts import t
from bot.messages import Choice, Expect, OutboundMessage

__all__ = [
    "COMMANDS",
    "CoachEvent",
    "CoachTurn",
    "Draft",
    "GroupRef",
    "NewInvite",
    "Reply",
    "ShowGroups",
    "ShowPreview",
    "ShowResults",
    "Submit",
    "coach_command",
    "coach_step",
    "parse_when",
    "preview_message",
]

MAX_OPTIONS = 4
MAX_QUESTION = 300
MAX_OPTION = 24
TZ = ZoneInfo("Europe/Amsterdam")
#: Typed commands (Dutch, with English aliases) and what they mean.
COMMANDS = {
    "/peiling": "poll", "/poll": "poll",
    "/resultaten": "results", "/results": "results",
    "/groepen": "groups", "/groups": "groups",
    "/uitnodiging": "invite", "/invite": "invite",
    "/annuleer": "cancel", "/cancel": "cancel",
}
# Button ids: k.open, k.done, k.now, k.later, k.send, k.cancel, k.g.<group>, k.i.<group>
OPEN, DONE, NOW, LATER, SEND, CANCEL = "k.open", "k.done", "k.now", "k.later", "k.send", "k.cancel"


class Step:
    QUESTION = "question"
    OPTIONS = "options"
    GROUP = "group"
    WHEN = "when"
    TIME = "time"
    CONFIRM = "confirm"
    INVITE_GROUP = "invite_group"


@dataclass(frozen=True, slots=True)
class Draft:
    """A poll being composed; JSON in the state store between messages."""

    step: str
    question: str = ""
    options: tuple[str, ...] = ()
    open: bool = False
    group_id: str | None = None
    send_at: str | None = None  # ISO time, None: now

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Draft | None:
        if not raw:
            return None
        data = json.loads(raw)
        data["options"] = tuple(data.get("options", ()))
        return cls(**data)


@dataclass(frozen=True, slots=True)
class GroupRef:
    group_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CoachEvent:
    at: datetime
    lang: str
    #: Only the coach's own groups: anything else cannot be picked.
    groups: tuple[GroupRef, ...]
    text: str | None = None
    choice: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    message: OutboundMessage


@dataclass(frozen=True, slots=True)
class ShowPreview:
    draft: Draft


@dataclass(frozen=True, slots=True)
class Submit:
    draft: Draft


@dataclass(frozen=True, slots=True)
class ShowResults:
    pass


@dataclass(frozen=True, slots=True)
class ShowGroups:
    pass


@dataclass(frozen=True, slots=True)
class NewInvite:
    group_id: str


CoachEffect = Reply | ShowPreview | Submit | ShowResults | ShowGroups | NewInvite


@dataclass(frozen=True, slots=True)
class CoachTurn:
    draft: Draft | None
    effects: tuple[CoachEffect, ...] = field(default=())


def coach_command(text: str | None) -> str | None:
    """``poll``, ``results``... for a typed coach command (``/peiling@bot`` too), else None."""
    if not text or not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0].split("@", 1)[0].lower()
    return COMMANDS.get(word)


def _ask(text: str, lang: str, *buttons: tuple[str, str]) -> Reply:
    choices = tuple(Choice(i, label) for i, label in buttons)
    return Reply(OutboundMessage(text, choices, Expect.CHOICE if choices else Expect.TEXT, lang=lang))


def _group_question(ev: CoachEvent, prefix: str) -> Reply:
    buttons = [(f"{prefix}{g.group_id}", g.name[:40]) for g in ev.groups]
    return _ask(t("ask_group", ev.lang), ev.lang, *buttons, (CANCEL, t("cancel_button", ev.lang)))


def coach_step(draft: Draft | None, ev: CoachEvent) -> CoachTurn:
    """Decide what one coach message does; ``draft`` None means nothing is being composed."""
    lang = ev.lang
    command = coach_command(ev.text)
    if command == "cancel" or ev.choice == CANCEL:
        return CoachTurn(None, (Reply(OutboundMessage(t("cancelled", lang), lang=lang)),))
    if command == "poll":
        return CoachTurn(Draft(Step.QUESTION), (_ask(t("ask_question", lang), lang),))
    if command == "results":
        return CoachTurn(draft, (ShowResults(),))
    if command == "groups":
        return CoachTurn(draft, (ShowGroups(),))
    if command == "invite":
        if len(ev.groups) == 1:
            return CoachTurn(draft, (NewInvite(ev.groups[0].group_id),))
        return CoachTurn(Draft(Step.INVITE_GROUP), (_group_question(ev, "k.i."),))
    if draft is None:
        return CoachTurn(None)
    text = (ev.text or "").strip()
    if draft.step == Step.QUESTION:
        if not text:
            return CoachTurn(draft, (_ask(t("ask_question", lang), lang),))
        if len(text) > MAX_QUESTION:
            return CoachTurn(draft, (_ask(t("question_too_long", lang), lang),))
        return CoachTurn(replace(draft, step=Step.OPTIONS, question=text),
                         (_ask(t("ask_options", lang), lang, (OPEN, t("open_button", lang))),))
    if draft.step == Step.OPTIONS:
        return _options(draft, ev, text)
    if draft.step == Step.GROUP:
        picked = _picked_group(ev, "k.g.")
        if picked is None:
            return CoachTurn(draft, (Reply(OutboundMessage(t("not_your_group", lang), lang=lang)),
                                     _group_question(ev, "k.g.")))
        return _after_group(replace(draft, group_id=picked), ev)
    if draft.step == Step.INVITE_GROUP:
        picked = _picked_group(ev, "k.i.")
        if picked is None:
            return CoachTurn(draft, (Reply(OutboundMessage(t("not_your_group", lang), lang=lang)),
                                     _group_question(ev, "k.i.")))
        return CoachTurn(None, (NewInvite(picked),))
    if draft.step == Step.WHEN:
        if ev.choice == NOW:
            return CoachTurn(replace(draft, step=Step.CONFIRM, send_at=None), (ShowPreview(replace(draft, send_at=None)),))
        if ev.choice == LATER:
            return CoachTurn(replace(draft, step=Step.TIME), (_ask(t("ask_time", lang), lang),))
        return CoachTurn(draft, (_when_question(lang),))
    if draft.step == Step.TIME:
        when = parse_when(text, ev.at)
        if when is None:
            return CoachTurn(draft, (_ask(t("bad_time", lang), lang),))
        timed = replace(draft, step=Step.CONFIRM, send_at=when.isoformat())
        return CoachTurn(timed, (ShowPreview(timed),))
    if draft.step == Step.CONFIRM:
        if ev.choice == SEND:
            return CoachTurn(None, (Submit(draft),))
        return CoachTurn(draft, (ShowPreview(draft),))
    return CoachTurn(None)


def _options(draft: Draft, ev: CoachEvent, text: str) -> CoachTurn:
    lang = ev.lang
    if ev.choice == OPEN and not draft.options:
        return _after_options(replace(draft, open=True), ev)
    if ev.choice == DONE or (text.casefold() in {"klaar", "done"} and draft.options):
        if len(draft.options) < 2:
            return CoachTurn(draft, (_ask(t("need_two", lang), lang),))
        return _after_options(draft, ev)
    if not text:
        return CoachTurn(draft, (_options_question(draft, lang),))
    if len(text) > MAX_OPTION:
        return CoachTurn(draft, (_ask(t("option_too_long", lang), lang),))
    if text.casefold() in (o.casefold() for o in draft.options):
        return CoachTurn(draft, (_options_question(draft, lang),))
    grown = replace(draft, options=(*draft.options, text))
    if len(grown.options) >= MAX_OPTIONS:
        return _after_options(grown, ev)
    return CoachTurn(grown, (_options_question(grown, lang),))


def _options_question(draft: Draft, lang: str) -> Reply:
    if not draft.options:
        return _ask(t("ask_options", lang), lang, (OPEN, t("open_button", lang)))
    if len(draft.options) < 2:
        return _ask(t("ask_more_options", lang, n=len(draft.options)), lang)
    return _ask(t("ask_more_options", lang, n=len(draft.options)), lang, (DONE, t("done_button", lang)))


def _after_options(draft: Draft, ev: CoachEvent) -> CoachTurn:
    if len(ev.groups) == 1:
        return _after_group(replace(draft, group_id=ev.groups[0].group_id), ev)
    return CoachTurn(replace(draft, step=Step.GROUP), (_group_question(ev, "k.g."),))


def _after_group(draft: Draft, ev: CoachEvent) -> CoachTurn:
    return CoachTurn(replace(draft, step=Step.WHEN), (_when_question(ev.lang),))


def _when_question(lang: str) -> Reply:
    return _ask(t("ask_when", lang), lang, (NOW, t("now_button", lang)), (LATER, t("later_button", lang)),
                (CANCEL, t("cancel_button", lang)))


def _picked_group(ev: CoachEvent, prefix: str) -> str | None:
    own = {g.group_id for g in ev.groups}
    if ev.choice and ev.choice.startswith(prefix) and ev.choice[len(prefix):] in own:
        return ev.choice[len(prefix):]
    typed = (ev.text or "").strip().casefold()
    if typed.isdigit() and 1 <= int(typed) <= len(ev.groups):
        return ev.groups[int(typed) - 1].group_id
    matches = [g.group_id for g in ev.groups if g.name.casefold() == typed]
    return matches[0] if matches else None


def preview_message(draft: Draft, name: str, now: int, later: int, never: int, lang: str) -> OutboundMessage:
    options = t("open_marker", lang) if draft.open else "\n".join(f"• {o}" for o in draft.options)
    text = t("preview", lang, question=draft.question, options=options, name=name,
             members=now + later + never, now=now, later=later, never=never)
    return OutboundMessage(text, (Choice(SEND, t("send_button", lang)), Choice(CANCEL, t("cancel_button", lang))),
                           Expect.CHOICE, lang=lang)


# --- "morgen 16:00" -------------------------------------------------------------------------

_DAYS = {"ma": 0, "maandag": 0, "mon": 0, "monday": 0, "di": 1, "dinsdag": 1, "tue": 1, "tuesday": 1,
         "wo": 2, "woensdag": 2, "wed": 2, "wednesday": 2, "do": 3, "donderdag": 3, "thu": 3,
         "thursday": 3, "vr": 4, "vrijdag": 4, "fri": 4, "friday": 4, "za": 5, "zaterdag": 5,
         "sat": 5, "saturday": 5, "zo": 6, "zondag": 6, "sun": 6, "sunday": 6}
_RELATIVE = {"vandaag": 0, "today": 0, "morgen": 1, "tomorrow": 1, "overmorgen": 2}
_TIME = re.compile(r"(\d{1,2})(?:[:.u](\d{2}))?\s*(?:u|uur|h)?$")
_DATE = re.compile(r"(\d{1,2})[-/](\d{1,2})(?:[-/](\d{4}))?$")


def parse_when(text: str, now: datetime, horizon: timedelta = timedelta(days=60)) -> datetime | None:
    """A future moment in Dutch local time from "morgen 16:00", "vr 15:30", "28-11 16:00", "16:00"."""
    words = [w for w in text.casefold().replace(",", " ").split() if w not in {"om", "at"}]
    if not words:
        return None
    match = _TIME.match(words[-1])
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    local = now.astimezone(TZ)
    day_words = words[:-1]
    if not day_words:
        day, roll = local.date(), True
    elif len(day_words) == 1 and day_words[0] in _RELATIVE:
        day, roll = local.date() + timedelta(days=_RELATIVE[day_words[0]]), False
    elif len(day_words) == 1 and day_words[0] in _DAYS:
        ahead = (_DAYS[day_words[0]] - local.weekday()) % 7
        day, roll = local.date() + timedelta(days=ahead), True
    elif len(day_words) == 1 and (date := _DATE.match(day_words[0])):
        year = int(date.group(3) or local.year)
        try:
            day = local.date().replace(year=year, month=int(date.group(2)), day=int(date.group(1)))
        except ValueError:
            return None
        if date.group(3) is None and day < local.date():
            day = day.replace(year=year + 1)
        roll = False
    else:
        return None
    when = datetime.combine(day, time(hour, minute), tzinfo=TZ)
    if when <= local and roll:
        when += timedelta(days=7 if day_words else 1)
    if when <= local or when - local > horizon:
        return None
    return when.astimezone(now.tzinfo)
