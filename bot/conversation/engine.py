"""The pure conversation engine: ``step(ctx, state, event) -> Turn``.

It imports no channel, store, network or clock: time comes in with the event,
and everything it decides is an effect the runtime carries out. That keeps
every conversation rule testable as data in, data out.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.conversation.events import (
    Alert,
    Answer,
    Effect,
    Enrol,
    Erase,
    Event,
    RaiseTopic,
    RunAction,
    Say,
    SetSubscription,
    Turn,
)
from bot.conversation.menus import (
    RAISE_TOPIC,
    EngineContext,
    confirm_question,
    language_question,
    menu_message,
    municipality_question,
)
from bot.conversation.questions import NO, YES, Invalid, parse_answer, render_step
from bot.conversation.state import Awaiting, ConversationState
from bot.conversation.texts import LANGUAGE_NAMES, say
from bot.dialogue.model import Dialogue, Step, StepType
from bot.messages import InboundKind, OutboundMessage
from moderation.safety_policy import decide_abuse_pause, decide_flood
from moderation.safety_texts import ABUSE_REPLY, PAUSE_NOTICE, crisis_reply
from moderation.types import CrisisKind

__all__ = ["MAX_AUTO_STEPS", "step"]

#: Seconds between two crisis alerts about the same participant.
ALERT_EVERY = 3600.0
#: Guard rail: at most this many steps are entered in one turn (messages chain).
MAX_AUTO_STEPS = 20
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_START_WORDS = frozenset({"start", "/start", "begin", "opnieuw starten"})


class _Turn:
    """Collects the new state and effects of one turn."""

    __slots__ = ("ctx", "effects", "state")

    def __init__(self, ctx: EngineContext, state: ConversationState) -> None:
        self.ctx = ctx
        self.state = state
        self.effects: list[Effect] = []

    def say(self, message: OutboundMessage | str) -> None:
        if isinstance(message, str):
            message = OutboundMessage(message)
        self.effects.append(Say(message))

    def text(self, key: str, **values: object) -> None:
        self.say(say(key, self.state.lang, **values))

    def set(self, **changes: object) -> None:
        self.state = self.state.evolve(**changes)

    def done(self) -> Turn:
        return Turn(self.state, tuple(self.effects))


def step(ctx: EngineContext, state: ConversationState, event: Event) -> Turn:
    """Decide what one inbound event does to a conversation."""
    t = _Turn(ctx, state.evolve(turn=state.turn + 1))
    _follow_language(t, event)
    if t.state.municipality is None and event.municipality in ctx.municipalities:
        _enrol(t, event.municipality)  # they wrote to their municipality's own number
    if event.kind is InboundKind.BLOCKED:
        t.effects.append(SetSubscription(False))
        t.set(stopped=True, dialogue_id=None, step_id=None, awaiting=None)
        return t.done()
    if event.kind is InboundKind.UNBLOCKED:
        return t.done()
    if _safety(t, event):
        return t.done()
    if t.state.stopped and not _wants_forget(t, event):
        if event.kind is InboundKind.START or _norm(event.text) in _START_WORDS:
            t.effects.append(SetSubscription(True))
            t.set(stopped=False)
            _start(t, event)
        else:
            t.text("still_stopped")
        return t.done()
    if event.kind is InboundKind.EDITED:
        t.text("edited")
        return t.done()
    if event.kind is InboundKind.UNSUPPORTED:
        t.text("unsupported")
        _prompt(t)
        return t.done()
    if event.kind is InboundKind.START or _norm(event.text) in _START_WORDS:
        _start(t, event)
        return t.done()
    if t.state.awaiting in (Awaiting.CONFIRM_FORGET, Awaiting.CONFIRM_STOP):
        _confirm(t, event)
        return t.done()
    if _command(t, event):
        return t.done()
    _answer(t, event)
    return t.done()


# --- safety ---------------------------------------------------------------------------------


def _safety(t: _Turn, event: Event) -> bool:
    """Crisis first (always answered), then flooding and abuse. True when the turn ends here."""
    now = event.at.timestamp()
    if event.crisis:
        # The helplines every time; a human once an hour, not for every repeat. The
        # question is not asked again straight after: the person may carry on when ready.
        lang = event.lang if event.lang in ("nl", "en") else t.state.lang  # the words they just used
        t.say(crisis_reply(lang, CrisisKind(event.crisis)))
        if now - t.state.alerted >= ALERT_EVERY:
            t.effects.append(Alert(event.crisis, event.redacted or "", t.state.municipality))
            t.set(alerted=now)
        return True
    if event.kind not in (InboundKind.TEXT, InboundKind.CHOICE, InboundKind.UNSUPPORTED):
        return False
    recent = tuple(x for x in t.state.recent if x > now - 60) + (now,)
    t.set(recent=recent[-20:])
    if t.state.paused_until > now:
        return True  # paused after repeated abuse: the notice was sent once
    flood = decide_flood([_dt(x, event) for x in recent], event.at)
    if flood.throttle:
        if flood.messages_in_window == 13:
            t.say(say("slow_down", t.state.lang))
        return True
    if event.abuse:
        times = tuple(x for x in t.state.abuse if x > now - 600) + (now,)
        t.set(abuse=times)
        pause = decide_abuse_pause([_dt(x, event) for x in times], event.at)
        if pause.pause_until is not None:
            t.set(paused_until=pause.pause_until.timestamp())
            minutes = int((pause.pause_until - event.at).total_seconds() // 60)
            t.say(PAUSE_NOTICE.in_language(t.state.lang).format(minutes=minutes))
            return True
        t.say(ABUSE_REPLY.in_language(t.state.lang))
        _prompt(t)
        return True
    return False


def _dt(timestamp: float, like: Event) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=like.at.tzinfo)


# --- language -------------------------------------------------------------------------------


def _follow_language(t: _Turn, event: Event) -> None:
    """Answer in the language the participant writes, unless they chose one themselves."""
    lang = event.lang
    if t.state.lang_fixed or not lang or lang == "unknown" or lang == t.state.lang:
        return
    if lang in LANGUAGE_NAMES and event.kind is InboundKind.TEXT:
        t.set(lang=lang)
        if t.state.municipality:
            t.effects.append(Enrol(t.state.municipality, lang))


# --- entry ----------------------------------------------------------------------------------


def _start(t: _Turn, event: Event) -> None:
    """Open the conversation, maybe with a deep-link code: gemeente, dialoog or both."""
    payload = (event.start_payload or "").strip()
    if payload:
        municipality, dialogue = _resolve_code(t.ctx, payload)
        if municipality is None and dialogue is None:
            t.text("unknown_code")
            t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MUNICIPALITY)
            t.say(municipality_question(t.ctx, t.state.lang))
            return
        if municipality is not None:
            _enrol(t, municipality)
        if dialogue is not None and (t.state.municipality is None or not dialogue.runs_in(t.state.municipality)):
            if len(dialogue.municipalities) == 1:
                _enrol(t, dialogue.municipalities[0])
            elif t.state.municipality is None:
                t.text("welcome")
                t.set(awaiting=Awaiting.MUNICIPALITY)
                t.say(municipality_question(t.ctx, t.state.lang))
                return
            else:
                dialogue = None
        if dialogue is not None:
            _begin_dialogue(t, dialogue)  # its consent step says hello itself
        else:
            t.text("welcome")
            _menu(t)
        return
    if t.state.in_dialogue:
        t.text("welcome_back")
        _prompt(t)
        return
    t.text("welcome")
    if t.state.municipality is None:
        if len(t.ctx.municipalities) == 1:
            _enrol(t, next(iter(t.ctx.municipalities)))
            _menu(t)
        else:
            t.set(awaiting=Awaiting.MUNICIPALITY)
            t.say(municipality_question(t.ctx, t.state.lang))
    else:
        _menu(t)


def _resolve_code(ctx: EngineContext, payload: str) -> tuple[str | None, Dialogue | None]:
    """``gemeente``, ``dialoog`` or ``gemeente--dialoog``; anything else is unknown."""
    if not _PAYLOAD.match(payload):
        return None, None
    code = payload.lower()
    if code in ctx.municipalities:
        return code, None
    dialogue = ctx.catalog.get(code)
    if dialogue is not None:
        return None, dialogue
    if "--" in code:
        m, _, d = code.partition("--")
        dialogue = ctx.catalog.get(d)
        if m in ctx.municipalities and dialogue is not None and dialogue.runs_in(m):
            return m, dialogue
    return None, None


def _enrol(t: _Turn, municipality: str) -> None:
    if t.state.municipality != municipality:
        t.set(municipality=municipality)
        t.effects.append(Enrol(municipality, t.state.lang))


def _menu(t: _Turn) -> None:
    t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MENU)
    t.say(menu_message(t.ctx, t.state))


# --- global commands ------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").casefold()).strip(" .!?,")


def _is_command(t: _Turn, event: Event) -> str | None:
    """The intent, if this typed message is a command rather than an answer."""
    if event.kind is not InboundKind.TEXT or not event.intent:
        return None
    if event.confidence < t.ctx.command_confidence:
        return None
    # In an open question a long message is an answer, whatever words it uses.
    if _at_open_question(t) and len((event.text or "").split()) > 4:
        return None
    return event.intent


def _at_open_question(t: _Turn) -> bool:
    if t.state.awaiting == Awaiting.TOPIC:
        return True
    if not t.state.in_dialogue:
        return False
    dialogue = t.ctx.catalog.get(t.state.dialogue_id or "")
    if dialogue is None or not dialogue.has_step(t.state.step_id or ""):
        return False
    return dialogue.step(t.state.step_id or "").type is StepType.OPEN_TEXT


def _wants_forget(t: _Turn, event: Event) -> bool:
    return _is_command(t, event) == "forget_me" or (
        t.state.awaiting == Awaiting.CONFIRM_FORGET and event.kind in (InboundKind.TEXT, InboundKind.CHOICE)
    )


def _command(t: _Turn, event: Event) -> bool:
    intent = _is_command(t, event)
    if intent == "stop":
        if event.confidence >= t.ctx.destructive_confidence:
            _stop(t)
        else:
            t.set(awaiting=Awaiting.CONFIRM_STOP)
            t.say(confirm_question("confirm_stop", t.state.lang))
        return True
    if intent == "forget_me":
        t.set(awaiting=Awaiting.CONFIRM_FORGET)
        t.say(confirm_question("confirm_forget", t.state.lang))
        return True
    if intent in ("help", "privacy", "talk_to_human"):
        t.text({"help": "help", "privacy": "privacy", "talk_to_human": "human"}[intent])
        _prompt(t)
        return True
    if intent == "restart":
        t.text("restarted")
        if t.state.municipality is None:
            t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MUNICIPALITY)
            t.say(municipality_question(t.ctx, t.state.lang))
        else:
            _menu(t)
        return True
    if intent == "propose_topic":
        t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.TOPIC)
        t.text("ask_topic")
        return True
    if intent == "change_language":
        t.set(awaiting=Awaiting.LANGUAGE)
        t.say(language_question(t.state.lang))
        return True
    if not t.state.in_dialogue and t.state.awaiting != Awaiting.TOPIC:
        if intent == "greet":
            _start(t, event)
            return True
        if intent in ("thanks", "goodbye"):
            t.text("thanks_reply" if intent == "thanks" else "goodbye_reply")
            return True
    return False


def _stop(t: _Turn) -> None:
    t.effects.append(SetSubscription(False))
    t.set(stopped=True, dialogue_id=None, step_id=None, awaiting=None)
    t.text("stopped")


def _yes_no(event: Event) -> str | None:
    if event.kind is InboundKind.CHOICE and event.choice_ids in ((YES,), (NO,)):
        return event.choice_ids[0]
    norm = _norm(event.text)
    if norm in {"ja", "jaa", "yes", "y", "j", "zeker", "evet", "tak", "так", "نعم"} or (
        event.intent == "affirm" and event.confidence >= 0.8
    ):
        return YES
    if norm in {"nee", "no", "n", "niet", "hayır", "hayir", "nie", "ні", "لا"} or (
        event.intent == "deny" and event.confidence >= 0.8
    ):
        return NO
    return None


def _confirm(t: _Turn, event: Event) -> None:
    answer = _yes_no(event)
    forget = t.state.awaiting == Awaiting.CONFIRM_FORGET
    if answer is None:
        t.say(confirm_question("confirm_forget" if forget else "confirm_stop", t.state.lang))
        return
    t.set(awaiting=None)
    if forget and answer == YES:
        lang = t.state.lang
        t.effects.append(Erase())
        t.state = ConversationState(lang=lang, stopped=True, turn=t.state.turn)
        t.text("forgotten")
        return
    if not forget and answer == YES:
        _stop(t)
        return
    t.text("not_stopped" if not forget else "not_forgotten")
    if t.state.stopped:
        return
    _prompt(t)


# --- answers --------------------------------------------------------------------------------


def _prompt(t: _Turn) -> None:
    """Ask again whatever the participant is expected to answer now."""
    s = t.state
    if s.in_dialogue:
        dialogue = t.ctx.catalog.get(s.dialogue_id or "")
        if dialogue is None or not dialogue.has_step(s.step_id or ""):
            t.text("dialogue_unavailable")
            _menu(t)
            return
        t.say(render_step(dialogue, dialogue.step(s.step_id or ""), s.lang, s.asked))
    elif s.awaiting == Awaiting.TOPIC:
        t.text("ask_topic")
    elif s.awaiting == Awaiting.LANGUAGE:
        t.say(language_question(s.lang))
    elif s.awaiting in (Awaiting.CONFIRM_FORGET, Awaiting.CONFIRM_STOP):
        key = "confirm_forget" if s.awaiting == Awaiting.CONFIRM_FORGET else "confirm_stop"
        t.say(confirm_question(key, s.lang))
    elif s.municipality is None:
        t.set(awaiting=Awaiting.MUNICIPALITY)
        t.say(municipality_question(t.ctx, s.lang))
    else:
        _menu(t)


def _answer(t: _Turn, event: Event) -> None:
    s = t.state
    if s.awaiting == Awaiting.LANGUAGE:
        _language_answer(t, event)
    elif s.in_dialogue:
        _dialogue_answer(t, event)
    elif s.awaiting == Awaiting.TOPIC:
        if event.kind is InboundKind.TEXT and (event.text or "").strip():
            t.effects.append(RaiseTopic(event.redacted or "", event.themes))
            t.set(awaiting=None)
            t.text("topic_thanks")
            _prompt(t)
        else:
            t.text("topic_empty")
    elif s.awaiting == Awaiting.MUNICIPALITY or s.municipality is None:
        names = {c: {c, n.casefold()} for c, n in t.ctx.municipalities.items()}
        picked = _pick(event, names)
        if picked is None:
            if event.kind is InboundKind.CHOICE:
                t.text("stale_choice")
            t.set(awaiting=Awaiting.MUNICIPALITY)
            t.say(municipality_question(t.ctx, s.lang))
            return
        _enrol(t, picked)
        _menu(t)
    else:
        _menu_answer(t, event)


def _language_answer(t: _Turn, event: Event) -> None:
    s = t.state
    picked = _pick(event, {c: {c, n.casefold()} for c, n in LANGUAGE_NAMES.items()})
    if picked is None:
        t.say(language_question(s.lang))
        return
    t.set(lang=picked, lang_fixed=True, awaiting=None)
    if s.municipality:
        t.effects.append(Enrol(s.municipality, picked))
    t.say(say("language_set", picked) if picked in ("nl", "en") else LANGUAGE_NAMES[picked] + " ✔")
    _prompt(t)


def _pick(event: Event, names: dict[str, set[str]]) -> str | None:
    """A choice id, or a typed name or number, among ``names`` (id → accepted words)."""
    if event.kind is InboundKind.CHOICE:
        return event.choice_ids[0] if len(event.choice_ids) == 1 and event.choice_ids[0] in names else None
    norm = _norm(event.text)
    keys = list(names)
    if norm.isdigit() and 1 <= int(norm) <= len(keys):
        return keys[int(norm) - 1]
    for key, words in names.items():
        if norm in words:
            return key
    return None


def _menu_answer(t: _Turn, event: Event) -> None:
    message = menu_message(t.ctx, t.state)
    names = {c.id: {c.id, c.label.casefold()} for c in message.choices}
    picked = _pick(event, names)
    if picked == RAISE_TOPIC:
        t.set(awaiting=Awaiting.TOPIC)
        t.text("ask_topic")
        return
    dialogue = t.ctx.catalog.get(picked) if picked else None
    if dialogue is None:
        if event.kind is InboundKind.CHOICE:
            t.text("stale_choice")
        _menu(t)
        return
    _begin_dialogue(t, dialogue)


def _begin_dialogue(t: _Turn, dialogue: Dialogue) -> None:
    t.set(dialogue_id=dialogue.id, step_id=None, awaiting=None)
    _enter(t, dialogue, dialogue.steps[0])


def _dialogue_answer(t: _Turn, event: Event) -> None:
    dialogue = t.ctx.catalog.get(t.state.dialogue_id or "")
    if dialogue is None or not dialogue.has_step(t.state.step_id or ""):
        t.text("dialogue_unavailable")
        _menu(t)
        return
    current = dialogue.step(t.state.step_id or "")
    result = parse_answer(dialogue, current, event, t.state.lang, t.state.asked)
    if isinstance(result, Invalid):
        if event.kind is InboundKind.CHOICE:
            t.text("stale_choice")
            t.say(render_step(dialogue, current, t.state.lang, t.state.asked))
        else:
            t.say(result.hint)
        return
    if current.type is StepType.CONSENT:
        if result.option_ids == (NO,):
            assert current.decline_text is not None
            t.say(current.decline_text.get(t.state.lang))
            t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MENU)
            return
    else:
        for action in current.actions:
            t.effects.append(RunAction(action, dialogue.id, current.id, result))
    target = _next_step(dialogue, current, result)
    if target is None:
        t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MENU)
        return
    _enter(t, dialogue, target)


def _next_step(dialogue: Dialogue, current: Step, answer: Answer) -> Step | None:
    for branch in current.branches:
        if branch.skipped and answer.skipped:
            return dialogue.step(branch.goto)
        if branch.when and set(answer.option_ids) & branch.when:
            return dialogue.step(branch.goto)
        if branch.between is not None and answer.number is not None:
            if branch.between[0] <= answer.number <= branch.between[1]:
                return dialogue.step(branch.goto)
    if current.next:
        return dialogue.step(current.next)
    return dialogue.following(current)


def _enter(t: _Turn, dialogue: Dialogue, target: Step | None) -> None:
    """Say message steps and stop at the next question (or the closing)."""
    lang = t.state.lang
    for _ in range(MAX_AUTO_STEPS):
        if target is None:
            t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MENU)
            return
        if target.type is StepType.CLOSING:
            t.say(target.text.get(lang))
            for action in target.actions:
                t.effects.append(RunAction(action, dialogue.id, target.id))
            completed = tuple(dict.fromkeys((*t.state.completed, dialogue.id)))
            t.set(dialogue_id=None, step_id=None, awaiting=Awaiting.MENU, completed=completed)
            return
        if target.type is StepType.MESSAGE:
            t.say(target.text.get(lang))
            for action in target.actions:
                t.effects.append(RunAction(action, dialogue.id, target.id))
            target = target.next and dialogue.step(target.next) or dialogue.following(target)
            continue
        t.set(step_id=target.id, awaiting=None, asked=t.state.turn)
        t.say(render_step(dialogue, target, lang, t.state.turn))
        return
    raise RuntimeError(f"dialogue {dialogue.id} chains more than {MAX_AUTO_STEPS} message steps")
