"""The coach engine alone: own groups only, at most 4 answers, times in Dutch words."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.groups.coach import (
    CoachEvent,
    Draft,
    GroupRef,
    NewInvite,
    Reply,
    ShowPreview,
    Submit,
    coach_step,
    parse_when,
)

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday 14:00 in Amsterdam
MINE = (GroupRef("gmine0000001", "Voetbal"), GroupRef("gmine0000002", "Muziek"))
OTHER = "gother000001"


def ev(text: str | None = None, choice: str | None = None, groups: tuple[GroupRef, ...] = MINE) -> CoachEvent:
    return CoachEvent(NOW, "nl", groups, text=text, choice=choice)


def _texts(effects: tuple[object, ...]) -> list[str]:
    return [e.message.text for e in effects if isinstance(e, Reply)]


def test_a_coach_cannot_pick_another_coachs_group() -> None:
    draft = Draft("group", question="Vraag?", options=("a", "b"))
    turn = coach_step(draft, ev(choice=f"k.g.{OTHER}"))
    assert turn.draft == draft and "niet van jou" in _texts(turn.effects)[0]
    buttons = [c.id for e in turn.effects if isinstance(e, Reply) for c in e.message.choices]
    assert f"k.g.{OTHER}" not in buttons and "k.g.gmine0000001" in buttons
    turn = coach_step(draft, ev(text="muziek"))
    assert turn.draft is not None and turn.draft.group_id == "gmine0000002" and turn.draft.step == "when"
    # An invite link for someone else's group is refused the same way.
    turn = coach_step(Draft("invite_group"), ev(choice=f"k.i.{OTHER}"))
    assert not any(isinstance(e, NewInvite) for e in turn.effects)


def test_four_answers_at_most_then_group_when_preview_submit() -> None:
    turn = coach_step(None, ev("/peiling"))
    turn = coach_step(turn.draft, ev("Wat doe jij zaterdag?"))
    for option in ("sporten", "gamen", "werken", "chillen"):
        turn = coach_step(turn.draft, ev(option))
    assert turn.draft is not None and turn.draft.options == ("sporten", "gamen", "werken", "chillen")
    assert turn.draft.step == "group"  # the fourth answer closes the list
    turn = coach_step(turn.draft, ev(choice="k.g.gmine0000001"))
    turn = coach_step(turn.draft, ev(choice="k.later"))
    turn = coach_step(turn.draft, ev("vr 16:30"))
    (preview,) = turn.effects
    assert isinstance(preview, ShowPreview) and preview.draft.send_at == "2026-11-27T15:30:00+00:00"
    turn = coach_step(turn.draft, ev(choice="k.send"))
    assert turn.draft is None and isinstance(turn.effects[0], Submit)


def test_one_answer_is_not_a_poll_and_cancel_drops_the_draft() -> None:
    draft = Draft("options", question="Vraag?", options=("ja",))
    turn = coach_step(draft, ev(choice="k.done"))
    assert turn.draft == draft and "minstens 2" in _texts(turn.effects)[0]
    turn = coach_step(draft, ev("/annuleer"))
    assert turn.draft is None and _texts(turn.effects) == ["Gestopt. Er is niets verstuurd."]


def test_open_question_and_a_single_group_skip_straight_to_when() -> None:
    turn = coach_step(Draft("options", question="Wat mis je?"), ev(choice="k.open", groups=MINE[:1]))
    assert turn.draft is not None and turn.draft.open and turn.draft.group_id == "gmine0000001"
    assert turn.draft.step == "when"


def test_times_in_plain_words() -> None:
    assert parse_when("morgen 9u", NOW) == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert parse_when("Tomorrow at 16:00", NOW) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert parse_when("28-11 16.15", NOW) == datetime(2026, 11, 28, 15, 15, tzinfo=UTC)
    assert parse_when("12:00", NOW) == datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # passed today: tomorrow
    assert parse_when("gisteren 10:00", NOW) is None and parse_when("25:00", NOW) is None
