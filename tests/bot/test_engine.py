"""The pure engine, as data in and data out: no stores, no network, no clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.conversation.engine import step
from bot.conversation.events import Enrol, Erase, Event, RaiseTopic, RunAction, Say, SetSubscription
from bot.conversation.menus import EngineContext
from bot.conversation.state import Awaiting, ConversationState
from bot.dialogue.catalog import Catalog
from bot.messages import InboundKind
from nlu.keywords import KeywordNlu, normalise

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "dialogues"
CTX = EngineContext(Catalog.load([SAMPLE]), {"beverwijk": "Beverwijk", "velsen": "Velsen"})
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
_KW = KeywordNlu()


def _intent(text: str) -> tuple[str | None, float]:
    from nlu.keywords import _INDEX  # the exact-phrase table

    intent = _INDEX.get(normalise(text))
    return (intent, 1.0) if intent else (None, 0.0)


def text(t: str, lang: str | None = None) -> Event:
    intent, conf = _intent(t)
    return Event(at=NOW, kind=InboundKind.TEXT, text=t, redacted=t.replace("0612345678", "[TELEFOON]"),
                 intent=intent, confidence=conf, lang=lang)


def press(choice: str) -> Event:
    return Event(at=NOW, kind=InboundKind.CHOICE, choice_ids=(choice,))


def start(payload: str | None = None) -> Event:
    return Event(at=NOW, kind=InboundKind.START, start_payload=payload)


def says(turn) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.message.text for e in turn.effects if isinstance(e, Say)]


def last_choices(turn) -> list[str]:  # type: ignore[no-untyped-def]
    msgs = [e.message for e in turn.effects if isinstance(e, Say)]
    return [c.id for c in msgs[-1].choices]


def tagged(turn, option: str) -> str:  # type: ignore[no-untyped-def]
    return next(c for c in last_choices(turn) if c.endswith("." + option))


def into_dialogue() -> tuple[ConversationState, object]:
    t = step(CTX, ConversationState(), start("velsen--proef"))
    t = step(CTX, t.state, press(tagged(t, "yes")))
    return t.state, t


def test_start_without_code_asks_municipality_then_shows_menu() -> None:
    t = step(CTX, ConversationState(), start())
    assert "Hoi" in says(t)[0]
    assert last_choices(t) == ["beverwijk", "velsen"]
    t = step(CTX, t.state, press("velsen"))
    assert Enrol("velsen", "nl") in t.effects
    assert last_choices(t) == ["proef", "_topic"]


def test_typed_municipality_name_is_accepted() -> None:
    t = step(CTX, ConversationState(), start())
    t = step(CTX, t.state, text("Velsen"))
    assert t.state.municipality == "velsen"


@pytest.mark.parametrize("code", ["onbekend", "../../etc", "x" * 70, "velsen--nope"])
def test_unknown_or_malformed_code_gets_a_clear_answer(code: str) -> None:
    t = step(CTX, ConversationState(), start(code))
    assert "link ken ik niet" in says(t)[0]
    assert t.state.awaiting == Awaiting.MUNICIPALITY


def test_deep_link_starts_the_dialogue_at_consent() -> None:
    t = step(CTX, ConversationState(), start("velsen--proef"))
    assert t.state.dialogue_id == "proef" and t.state.step_id == "toestemming"
    assert [c.split(".")[1] for c in last_choices(t)] == ["yes", "no"]


def test_declining_consent_stores_nothing_and_leaves_the_dialogue() -> None:
    t = step(CTX, ConversationState(), start("velsen--proef"))
    t = step(CTX, t.state, press(tagged(t, "no")))
    assert says(t) == ["Prima. Doei!"]
    assert not any(isinstance(e, RunAction) for e in t.effects)
    assert t.state.dialogue_id is None


def test_branch_on_answer_skips_to_target() -> None:
    state, t = into_dialogue()
    t2 = step(CTX, state, press(tagged(t, "lopen")))
    assert t2.state.step_id == "cijfer"
    t3 = step(CTX, state, press(tagged(t, "bus")))
    assert t3.state.step_id == "sport"


def test_answers_by_number_label_and_button_are_the_same() -> None:
    state, t = into_dialogue()
    for event in (press(tagged(t, "bus")), text("2"), text("bus"), text("Bus")):
        out = step(CTX, state, event)
        (action,) = [e for e in out.effects if isinstance(e, RunAction)]
        assert action.answer is not None and action.answer.option_ids == ("bus",)


def test_stale_button_is_refused_and_question_repeated() -> None:
    state, t = into_dialogue()
    old = tagged(t, "bus")
    t = step(CTX, state, press(old))  # answered: now at "sport"
    again = step(CTX, t.state, press(old))
    assert "eerdere vraag" in says(again)[0]
    assert again.state.step_id == "sport"
    assert not any(isinstance(e, RunAction) for e in again.effects)


def test_multiple_choice_numbers_and_skip() -> None:
    state, t = into_dialogue()
    t = step(CTX, state, press(tagged(t, "bus")))
    picked = step(CTX, t.state, text("1 3"))
    (a,) = [e for e in picked.effects if isinstance(e, RunAction)]
    assert a.answer is not None and a.answer.option_ids == ("voetbal", "dansen")
    skipped = step(CTX, t.state, text("overslaan"))
    (s,) = [e for e in skipped.effects if isinstance(e, RunAction)]
    assert s.answer is not None and s.answer.skipped
    by_number = step(CTX, t.state, text("4"))  # "skip" is listed as option n + 1
    (n,) = [e for e in by_number.effects if isinstance(e, RunAction)]
    assert n.answer is not None and n.answer.skipped


def test_number_out_of_range_gets_the_bounds() -> None:
    state, t = into_dialogue()
    t = step(CTX, state, press(tagged(t, "lopen")))
    t = step(CTX, t.state, press(tagged(t, "4")))
    bad = step(CTX, t.state, text("200"))
    assert says(bad) == ["Typ een getal van 0 tot en met 80."]
    good = step(CTX, t.state, text("ongeveer 6 uur"))
    (a,) = [e for e in good.effects if isinstance(e, RunAction)]
    assert a.answer is not None and a.answer.number == 6.0


def test_open_answer_effect_carries_only_redacted_text() -> None:
    state, t = into_dialogue()
    t = step(CTX, state, press(tagged(t, "lopen")))
    t = step(CTX, t.state, press(tagged(t, "4")))
    t = step(CTX, t.state, text("6"))
    t = step(CTX, t.state, press(tagged(t, "yes")))
    done = step(CTX, t.state, text("bel 0612345678 voor meer bankjes"))
    (a, end) = [e for e in done.effects if isinstance(e, RunAction)]
    assert a.answer is not None and a.answer.text == "bel [TELEFOON] voor meer bankjes"
    assert end.name == "end_dialogue"
    assert done.state.completed == ("proef",) and done.state.dialogue_id is None


def test_help_mid_dialogue_repeats_the_question() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, text("help"))
    assert "Zo werkt het" in says(t)[0] and "Hoe ga je naar school?" in says(t)[1]
    assert t.state.step_id == state.step_id


def test_long_open_answer_with_command_word_is_an_answer() -> None:
    state, t = into_dialogue()
    t = step(CTX, state, press(tagged(t, "lopen")))
    t = step(CTX, t.state, press(tagged(t, "4")))
    t = step(CTX, t.state, text("6"))
    t = step(CTX, t.state, press(tagged(t, "yes")))
    e = Event(at=NOW, kind=InboundKind.TEXT, text="ik wil gewoon dat het stoppen met school makkelijker is",
              redacted="x", intent="stop", confidence=0.9)
    out = step(CTX, t.state, e)
    assert not any(isinstance(x, SetSubscription) for x in out.effects)


def test_stop_unsubscribes_and_start_comes_back() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, text("stop"))
    assert SetSubscription(False) in t.effects and t.state.stopped
    quiet = step(CTX, t.state, text("hallo?"))
    assert "gestopt" in says(quiet)[0]
    back = step(CTX, quiet.state, start())
    assert SetSubscription(True) in back.effects and not back.state.stopped


def test_low_confidence_stop_is_confirmed_first() -> None:
    state, _ = into_dialogue()
    e = Event(at=NOW, kind=InboundKind.TEXT, text="ik kap ermee", redacted="ik kap ermee", intent="stop",
              confidence=0.85)
    t = step(CTX, state, e)
    assert t.state.awaiting == Awaiting.CONFIRM_STOP and not t.state.stopped
    kept = step(CTX, t.state, press("no"))
    assert not kept.state.stopped and kept.state.step_id == state.step_id


def test_forget_me_needs_a_yes_then_erases() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, text("vergeet mij"))
    assert not any(isinstance(e, Erase) for e in t.effects)
    no = step(CTX, t.state, text("nee"))
    assert not any(isinstance(e, Erase) for e in no.effects) and no.state.step_id == state.step_id
    yes = step(CTX, t.state, text("ja"))
    assert Erase() in yes.effects and "gewist" in says(yes)[0]
    assert yes.state.municipality is None and yes.state.stopped


def test_raise_a_topic_anytime() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, text("ik wil iets aankaarten"))
    assert t.state.awaiting == Awaiting.TOPIC
    t = step(CTX, t.state, text("de bus naar school rijdt te weinig"))
    (topic,) = [e for e in t.effects if isinstance(e, RaiseTopic)]
    assert topic.text == "de bus naar school rijdt te weinig"


def test_language_follows_the_participant_and_can_be_fixed() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, text("what do you mean", lang="en"))
    assert t.state.lang == "en"
    t = step(CTX, t.state, text("taal"))
    t = step(CTX, t.state, press("nl"))
    assert t.state.lang == "nl" and t.state.lang_fixed
    t = step(CTX, t.state, text("i do not understand", lang="en"))
    assert t.state.lang == "nl"


def test_english_participant_gets_english_questions() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state.evolve(lang="en"), text("help"))
    assert "How do you get to school?" in says(t)[-1]


def test_photo_gets_a_text_please_and_edit_keeps_answer() -> None:
    state, _ = into_dialogue()
    photo = step(CTX, state, Event(at=NOW, kind=InboundKind.UNSUPPORTED))
    assert "alleen tekst" in says(photo)[0] and photo.state.step_id == state.step_id
    edit = step(CTX, state, Event(at=NOW, kind=InboundKind.EDITED, text="iets anders"))
    assert "eerdere antwoord blijft" in says(edit)[0]
    assert not any(isinstance(e, RunAction) for e in edit.effects)


def test_blocked_unsubscribes_silently() -> None:
    state, _ = into_dialogue()
    t = step(CTX, state, Event(at=NOW, kind=InboundKind.BLOCKED))
    assert t.effects == (SetSubscription(False),) and t.state.stopped


def test_state_roundtrips_through_json() -> None:
    state, _ = into_dialogue()
    assert ConversationState.from_json(state.to_json()) == state
    assert ConversationState.from_json('{"municipality": "velsen", "future_field": 1}').municipality == "velsen"


def _screened(t: str, crisis: str | None = None, abuse: bool = False, at: datetime = NOW) -> Event:
    return Event(at=at, kind=InboundKind.TEXT, text=t, redacted=t, crisis=crisis, abuse=abuse)


def test_crisis_gets_helplines_and_an_alert_and_no_answer_is_stored() -> None:
    from bot.conversation.events import Alert

    state, _ = into_dialogue()
    t = step(CTX, state, _screened("ik wil er niet meer zijn", crisis="suicide"))
    reply = says(t)[0]
    assert "113" in reply and "0800-0113" in reply and "0800-0432" in reply
    assert Alert("suicide", "ik wil er niet meer zijn", "velsen") in t.effects
    assert not any(isinstance(e, RunAction) for e in t.effects)
    assert t.state.step_id == state.step_id


def test_crisis_is_answered_even_after_stop() -> None:
    state, _ = into_dialogue()
    stopped = step(CTX, state, text("stop")).state
    t = step(CTX, stopped, _screened("mn vader slaat me", crisis="abuse_at_home"))
    assert "0800-0432" in says(t)[0]


def test_abuse_gets_a_calm_reply_then_a_pause() -> None:
    from datetime import timedelta

    state, _ = into_dialogue()
    t = step(CTX, state, _screened("kut bot", abuse=True))
    assert says(t)[-1].startswith("Hoe ga je naar school?")
    t = step(CTX, t.state, _screened("kanker bot", abuse=True, at=NOW + timedelta(minutes=1)))
    t = step(CTX, t.state, _screened("fuck you", abuse=True, at=NOW + timedelta(minutes=2)))
    assert "pauze" in says(t)[0] and t.state.paused_until > NOW.timestamp()
    silent = step(CTX, t.state, text("2"))
    assert silent.effects == ()
    later = NOW + timedelta(minutes=40)
    back = step(CTX, t.state, Event(at=later, kind=InboundKind.TEXT, text="2", redacted="2"))
    assert any(isinstance(e, RunAction) for e in back.effects)


def test_flooding_is_throttled_with_one_notice() -> None:
    from datetime import timedelta

    state, _ = into_dialogue()
    notices = 0
    for i in range(20):
        out = step(CTX, state, Event(at=NOW + timedelta(seconds=i), kind=InboundKind.TEXT, text="?", redacted="?"))
        state = out.state
        notices += sum("Rustig aan" in m for m in says(out))
        if i >= 12:
            assert all("Rustig aan" in m for m in says(out)) or out.effects == ()
    assert notices == 1


def test_repeated_crisis_messages_alert_a_human_once_an_hour() -> None:
    from datetime import timedelta

    from bot.conversation.events import Alert

    state, _ = into_dialogue()
    t1 = step(CTX, state, _screened("ik wil dood", crisis="suicide"))
    t2 = step(CTX, t1.state, _screened("ik wil dood", crisis="suicide", at=NOW + timedelta(minutes=5)))
    t3 = step(CTX, t2.state, _screened("ik wil dood", crisis="suicide", at=NOW + timedelta(hours=2)))
    alerts = [sum(isinstance(e, Alert) for e in t.effects) for t in (t1, t2, t3)]
    assert alerts == [1, 0, 1]
    assert all("0800-0113" in says(t)[0] for t in (t1, t2, t3))
