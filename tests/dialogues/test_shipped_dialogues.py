"""The theme dialogues we ship in ``dialogues/``: valid, B1, safe, short, and they run.

Every shipped file gets the same checks, so a new dialogue is held to the
same bar. The walks drive the real conversation engine, so a branch that sends
someone to the wrong question fails here. The operators' guides in ``docs/``
are checked too: their YAML examples load, and the commands and bot replies
they quote are the real ones.
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.conversation.engine import step
from bot.conversation.events import Event, RunAction, Say
from bot.conversation.menus import EngineContext
from bot.conversation.questions import SKIP, render_step
from bot.conversation.state import ConversationState
from bot.conversation.texts import say
from bot.dialogue.catalog import Catalog
from bot.dialogue.inspect import reading_scores
from bot.dialogue.loader import load_dialogue, parse_dialogue
from bot.dialogue.model import QUESTION_TYPES, Dialogue, Step, StepType, Text
from bot.dialogue.readability import ReadingEase
from bot.errors import DialogueError
from bot.messages import InboundKind, OutboundMessage
from nlu.keywords import KeywordNlu

ROOT = Path(__file__).resolve().parents[2]
DIALOGUES = ROOT / "dialogues"
GUIDES = [ROOT / "docs" / "dialogen-schrijven.md", ROOT / "docs" / "en" / "writing-dialogues.md"]
PRIVACY = {"nl": ROOT / "docs" / "privacy.md", "en": ROOT / "docs" / "en" / "privacy.md"}
SHIPPED = sorted(DIALOGUES.glob("*.yml"))
REQUIRED_IDS = {"jeugdhulp-ervaring", "vrije-tijd-buurt", "rondkomen"}
IJMOND = {"beverwijk": "Beverwijk", "heemskerk": "Heemskerk", "velsen": "Velsen"}
NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)

#: WhatsApp cuts button titles at 20 characters and shows at most 10 list rows.
MAX_LABEL = 20
MAX_ROWS = 10
#: Dialogue titles are rows in the topic menu: WhatsApp cuts list rows at 24.
MAX_MENU_TITLE = 24
#: Official words and words that name a group (les 9, 10): never in what a participant reads.
FORBIDDEN_WORDS = re.compile(
    r"participatiewet|belanghebbend|voorziening|beschikking|indicatie|cli[eë]nt|zorgaanbieder|"
    r"uitkering|bijstand|schuld|pleeg|jeugdzorg|jeugdhulp|minima",
    re.IGNORECASE,
)


def _load(path: Path) -> Dialogue:
    return load_dialogue(path).dialogue


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _texts(d: Dialogue) -> Iterator[tuple[str, Text]]:
    """Every text a participant can read, with a name for messages."""
    yield "title", d.title
    if d.description is not None:
        yield "description", d.description
    for s in d.steps:
        yield f"{s.id}.text", s.text
        for o in s.options:
            yield f"{s.id}.{o.id}", o.label
        for name in ("low_label", "high_label", "decline_text"):
            value = getattr(s, name)
            if value is not None:
                yield f"{s.id}.{name}", value


def _line_of(text: str, needle: str) -> int:
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# --- the files load, cleanly --------------------------------------------------------------


def test_the_three_theme_dialogues_are_shipped() -> None:
    assert REQUIRED_IDS <= {_load(p).id for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_loads_without_errors_or_warnings(path: Path) -> None:
    result = load_dialogue(path)
    assert result.warnings == ()
    assert result.dialogue.id == path.stem, "file name and id match, so officials find the file"


def test_the_service_catalog_accepts_them_together() -> None:
    catalog = Catalog.load([DIALOGUES], municipalities=frozenset(IJMOND))
    assert catalog.warnings == ()
    for d in catalog:
        assert d.next_dialogue in catalog.dialogues and d.next_dialogue != d.id
        assert set(d.municipalities) == set(IJMOND)


# --- language: B1, translated, short buttons -----------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_dutch_reads_at_b1(path: Path) -> None:
    d = _load(path)
    scores = {s.id: score for s, score in reading_scores(d)}
    assert statistics.median(scores.values()) >= 80, scores
    assert min(scores.values()) >= 60, scores
    scorer = ReadingEase()
    for s in d.steps:
        if s.decline_text is not None:
            assert scorer.score(s.decline_text.nl) >= 60


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_every_text_has_dutch_and_a_real_english_translation(path: Path) -> None:
    d = _load(path)
    assert set(d.languages) == {"nl", "en"}
    for name, text in _texts(d):
        nl, en = text.by_lang.get("nl", ""), text.by_lang.get("en", "")
        assert nl.strip() and en.strip(), name
        if len(nl.split()) >= 3:
            assert nl != en, f"{name} is not translated"


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_no_official_or_labelling_words(path: Path) -> None:
    d = _load(path)
    for name, text in _texts(d):
        found = FORBIDDEN_WORDS.search(text.nl)
        assert found is None, f"{name}: {found.group() if found else ''!r} in {text.nl!r}"


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_buttons_fit_whatsapp(path: Path) -> None:
    d = _load(path)
    for lang in d.languages:
        assert len(d.title.get(lang)) <= MAX_MENU_TITLE, "the title is a row in the topic menu"
    for s in d.questions:
        for lang in d.languages:
            message = render_step(d, s, lang)
            assert len(message.choices) <= MAX_ROWS, s.id
            for choice in message.choices:
                assert len(choice.label) <= MAX_LABEL, f"{s.id} {lang}: {choice.label!r}"


# --- consent and privacy promises ---------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
async def test_consent_comes_first_and_names_commands_that_work(path: Path) -> None:
    d = _load(path)
    consent = d.steps[0]
    assert consent.type is StepType.CONSENT
    assert consent.decline_text is not None
    nlu = KeywordNlu()
    for lang in d.languages:
        quoted = re.findall(r'"([^"]+)"', consent.text.get(lang))
        intents = {(await nlu.parse(q)).intent for q in quoted}
        assert intents == {"stop", "forget_me"}, (lang, quoted)


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_closing_says_what_happens_with_the_answers(path: Path) -> None:
    d = _load(path)
    closing = d.steps[-1]
    assert closing.type is StepType.CLOSING
    assert closing.actions == ("end_dialogue", "offer_next_dialogue")
    assert "gemeente" in closing.text.nl and "chat" in closing.text.nl
    assert "municipality" in closing.text.get("en") and "chat" in closing.text.get("en")


# --- shape: narrow, short, every answer type --------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_uses_every_question_type_with_sensible_settings(path: Path) -> None:
    d = _load(path)
    assert {s.type for s in d.questions} == set(QUESTION_TYPES)
    for s in d.questions:
        assert s.actions == ("store_answer",), s.id
        if s.type is StepType.MULTIPLE_CHOICE:
            assert s.max_choices is not None and 1 < s.max_choices < len(s.options)
        if s.type is StepType.SCALE:
            assert s.low_label is not None and s.high_label is not None
        if s.type is StepType.NUMBER:
            assert s.min is not None and s.max is not None and s.min < s.max <= 365
        if s.type is StepType.OPEN_TEXT:
            assert s.optional and s.max_length is not None and 100 <= s.max_length <= 500
    assert any(s.branches for s in d.steps)
    assert any(s.optional for s in d.questions)
    assert len(d.goal) >= 40 and len(d.audience) >= 20


def _successors(d: Dialogue, s: Step) -> set[str]:
    if s.type is StepType.CLOSING:
        return set()
    out = {b.goto for b in s.branches}
    following = d.following(s)
    out.add(s.next or (following.id if following else ""))
    return out - {""}


def _question_counts(d: Dialogue, step_id: str) -> set[int]:
    """Number of questions on every route from ``step_id`` to the end (steps only go forward)."""
    s = d.step(step_id)
    here = 1 if s.is_question else 0
    nxt = _successors(d, s)
    if not nxt:
        return {here}
    return {here + n for target in nxt for n in _question_counts(d, target)}


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_every_route_takes_five_to_nine_questions(path: Path) -> None:
    d = _load(path)
    counts = _question_counts(d, d.steps[0].id)
    assert min(counts) >= 5 and max(counts) <= 9, counts


# --- the loader refuses broken copies, with file and line ----------------------------------


def test_a_copy_with_an_unreachable_step_fails_with_file_and_line(tmp_path: Path) -> None:
    source = (DIALOGUES / "vrije-tijd-buurt.yml").read_text(encoding="utf-8")
    branch = '      - {when: "yes", goto: kosten}\n'
    assert branch in source
    broken = source.replace(branch, branch + "    next: kosten\n")
    path = tmp_path / "vrije-tijd-buurt.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DialogueError) as caught:
        load_dialogue(path)
    assert caught.value.path == str(path)
    assert caught.value.line == _line_of(broken, "- id: waarom-niet")
    assert "never be reached" in caught.value.message
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")


def test_a_copy_pointing_to_a_missing_step_fails_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "jeugdhulp-ervaring.yml"
    shutil.copy(DIALOGUES / "jeugdhulp-ervaring.yml", path)
    source = path.read_text(encoding="utf-8")
    broken = source.replace(
        "{skipped: true, goto: zelf-kiezen}", "{skipped: true, goto: zelf-kiezn}"
    )
    assert broken != source
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DialogueError) as caught:
        load_dialogue(path)
    assert (caught.value.path, caught.value.line) == (str(path), _line_of(broken, "- id: gehoord"))
    assert "zelf-kiezn" in caught.value.message


@pytest.mark.parametrize(
    ("nl", "en"),
    [
        ("Woon je in een pleeggezin?", "Where do you live?"),
        ("Krijg je een uitkering van de gemeente?", "How are things?"),
        ("Heb jij op dit moment schulden?", "How are things?"),
        ("Zit je nu in de jeugdzorg?", "How are things?"),
        ("Hoe gaat het thuis?", "Are you in foster care right now?"),
    ],
)
def test_a_question_that_singles_out_a_group_is_refused_with_its_line(nl: str, en: str) -> None:
    source = (DIALOGUES / "jeugdhulp-ervaring.yml").read_text(encoding="utf-8")
    old_nl = "nl: Stel, je krijgt hulp. Wil je dan zelf mee kiezen wie je helpt?"
    old_en = "en: Say you get help. Would you want a say in who helps you?"
    assert old_nl in source and old_en in source
    bad = source.replace(old_nl, f"nl: {nl}").replace(old_en, f"en: {en}")
    with pytest.raises(DialogueError) as caught:
        parse_dialogue(bad, "jeugdhulp-kopie.yml")
    assert caught.value.path == "jeugdhulp-kopie.yml"
    assert caught.value.line == _line_of(bad, "- id: zelf-kiezen")
    assert "status" in caught.value.message


# --- walking through with the real engine -------------------------------------------------


def _context() -> EngineContext:
    return EngineContext(catalog=Catalog.load([DIALOGUES]), municipalities=IJMOND)


@dataclass(frozen=True, slots=True)
class _Press:
    """Tapping the buttons of these options on the question on screen."""

    option_ids: tuple[str, ...]


_Reply = _Press | Event


def _choice(*ids: str) -> _Press:
    return _Press(ids)


def _typed(text: str) -> Event:
    return Event(at=NOW, kind=InboundKind.TEXT, text=text, redacted=text)


def _tap(question: OutboundMessage, press: _Press) -> Event:
    """The event a channel reports for the press: the button ids as the bot rendered them."""
    by_option = {c.id.rpartition(".")[2]: c.id for c in question.choices}
    ids = tuple(by_option[o] for o in press.option_ids)
    return Event(at=NOW, kind=InboundKind.CHOICE, choice_ids=ids)


def _default_answer(s: Step) -> _Reply:
    if s.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
        return _choice(s.options[0].id)
    if s.type is StepType.SCALE:
        return _choice("3")
    if s.type in (StepType.YES_NO, StepType.CONSENT):
        return _choice("yes")
    if s.type is StepType.NUMBER:
        assert s.min is not None
        return _typed(str(int(s.min) + 1))
    return _typed("meer plekken om te sporten")


class _Walk:
    """One participant going through a dialogue from a deep link."""

    def __init__(self, dialogue_id: str, answers: dict[str, _Reply], lang: str = "nl") -> None:
        ctx = _context()
        self.dialogue = ctx.catalog.dialogues[dialogue_id]
        state = ConversationState(lang=lang, lang_fixed=True)
        start = Event(at=NOW, kind=InboundKind.START, start_payload=f"velsen--{dialogue_id}")
        turn = step(ctx, state, start)
        self.asked: list[str] = []
        self.effects = list(turn.effects)
        while turn.state.in_dialogue:
            step_id = turn.state.step_id or ""
            assert len(self.asked) < 30 and step_id not in self.asked, self.asked
            self.asked.append(step_id)
            reply = answers.get(step_id) or _default_answer(self.dialogue.step(step_id))
            if isinstance(reply, _Press):
                question = [e.message for e in turn.effects if isinstance(e, Say)][-1]
                reply = _tap(question, reply)
            turn = step(ctx, turn.state, reply)
            self.effects += turn.effects
        self.state = turn.state

    def said(self) -> list[str]:
        return [e.message.text for e in self.effects if isinstance(e, Say)]

    def actions(self) -> list[tuple[str, str]]:
        return [(e.step_id, e.name) for e in self.effects if isinstance(e, RunAction)]


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_participant_gets_through_and_hears_the_closing(path: Path, lang: str) -> None:
    walk = _Walk(path.stem, {}, lang)
    d = walk.dialogue
    assert walk.asked[0] == d.steps[0].id
    assert 5 <= len([a for a in walk.asked if d.step(a).is_question]) <= 9
    assert walk.said()[-1] == d.steps[-1].text.get(lang)
    assert path.stem in walk.state.completed
    stored = [sid for sid, name in walk.actions() if name == "store_answer"]
    assert stored == [a for a in walk.asked if d.step(a).is_question]
    assert (d.steps[-1].id, "offer_next_dialogue") in walk.actions()


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_saying_no_to_consent_asks_nothing_and_stores_nothing(path: Path) -> None:
    walk = _Walk(path.stem, {"toestemming": _choice("no")})
    d = walk.dialogue
    assert walk.asked == ["toestemming"]
    assert walk.actions() == []
    assert walk.said()[-1] == (d.steps[0].decline_text or d.steps[0].text).nl


@pytest.mark.parametrize(
    ("answer", "asks_what_went_wrong"),
    [
        (_choice("1"), True),
        (_choice("2"), True),
        (_choice("3"), False),
        (_choice("5"), False),
        (_choice(SKIP), False),
        (_typed("overslaan"), False),
    ],
)
def test_jeugdhulp_asks_what_went_wrong_only_after_a_low_score(
    answer: _Reply, asks_what_went_wrong: bool
) -> None:
    walk = _Walk("jeugdhulp-ervaring", {"gehoord": answer})
    assert ("wat-mis" in walk.asked) is asks_what_went_wrong
    assert walk.asked[-1] == "veranderen"


@pytest.mark.parametrize(("answer", "asks_why_not"), [("yes", False), ("no", True)])
def test_vrije_tijd_asks_what_holds_you_back_only_without_sport(
    answer: str, asks_why_not: bool
) -> None:
    walk = _Walk("vrije-tijd-buurt", {"sport": _choice(answer)})
    assert ("waarom-niet" in walk.asked) is asks_why_not
    assert "kosten" in walk.asked


@pytest.mark.parametrize(
    ("answer", "asks_where_tight"),
    [(_choice("altijd"), False), (_choice("meestal"), False), (_choice("soms-niet"), True),
     (_choice("vaak-niet"), True), (_choice(SKIP), False)],
)
def test_rondkomen_asks_where_money_is_tight_only_when_told(
    answer: _Reply, asks_where_tight: bool
) -> None:
    walk = _Walk("rondkomen", {"genoeg": answer})
    assert ("krap" in walk.asked) is asks_where_tight
    assert "wat-helpt" in walk.asked


@pytest.mark.parametrize(("answer", "asks_how_clear"), [("yes", True), ("no", False)])
def test_rondkomen_asks_about_letters_only_after_reading_one(
    answer: str, asks_how_clear: bool
) -> None:
    walk = _Walk("rondkomen", {"brief-gelezen": _choice(answer)})
    assert ("brief-duidelijk" in walk.asked) is asks_how_clear
    assert walk.asked[-1] == "veranderen"


def test_rondkomen_explains_before_the_first_money_question() -> None:
    walk = _Walk("rondkomen", {})
    d = walk.dialogue
    said = walk.said()
    explain = said.index(d.step("uitleg").text.nl)
    assert said[explain + 1].startswith(d.step("genoeg").text.nl)


# --- the writing guide's examples are real -------------------------------------------------

_HEADER = {
    "spec_version": 1,
    "id": "voorbeeld",
    "title": {"nl": "Voorbeeld", "en": "Example"},
    "goal": "Laten zien dat elk voorbeeld in de handleiding werkt.",
    "audience": "Wie een dialoog schrijft.",
    "domain": "jeugd",
    "municipalities": ["velsen"],
    "languages": ["nl", "en"],
}
_CONSENT = {
    "id": "toestemming", "type": "consent",
    "text": {"nl": "Doe je mee?", "en": "Do you want to join?"},
    "decline_text": {"nl": "Oké, doei!", "en": "OK, bye!"},
}
_CLOSING = {"id": "einde", "type": "closing", "text": {"nl": "Dank je wel!", "en": "Thank you!"}}


def _guide_examples() -> list[tuple[str, str]]:
    found = []
    for guide in GUIDES:
        text = guide.read_text(encoding="utf-8")
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
            found.append((f"{guide.name}#{i}", block))
    return found


EXAMPLES = _guide_examples()


def _as_dialogue(block: str) -> str:
    """A whole dialogue stays as it is; a list of steps gets a header, consent and closing."""
    if block.startswith("spec_version:"):
        return block
    steps = yaml.safe_load(block)
    assert isinstance(steps, list)
    if steps[0]["type"] != "consent":
        steps = [_CONSENT, *steps]
    if steps[-1]["type"] != "closing":
        steps = [*steps, _CLOSING]
    return yaml.safe_dump({**_HEADER, "steps": steps}, allow_unicode=True, sort_keys=False)


def test_both_guides_show_the_same_examples() -> None:
    nl = [block for name, block in EXAMPLES if name.startswith(GUIDES[0].name)]
    en = [block for name, block in EXAMPLES if name.startswith(GUIDES[1].name)]
    assert len(nl) >= 10 and nl == en


@pytest.mark.parametrize(("name", "block"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_example_in_the_guide_loads_cleanly(name: str, block: str) -> None:
    result = parse_dialogue(_as_dialogue(block), name)
    assert result.warnings == ()


def test_the_guide_covers_every_step_type() -> None:
    types = set()
    for _, block in EXAMPLES:
        types |= {s.type for s in parse_dialogue(_as_dialogue(block)).dialogue.steps}
    assert types == set(StepType)


def test_shipped_dialogues_use_only_actions_the_service_knows() -> None:
    from actions import default_actions

    known = frozenset(default_actions())
    for path in SHIPPED:
        assert load_dialogue(path, known_actions=known).warnings == ()


# --- the privacy pages tell the truth about the bot -----------------------------------------


@pytest.mark.parametrize("lang", sorted(PRIVACY))
async def test_privacy_page_names_commands_the_bot_understands(lang: str) -> None:
    text = PRIVACY[lang].read_text(encoding="utf-8")
    commands = set(re.findall(r'\*\*"([^"]+)"\*\*', text))
    nlu = KeywordNlu()
    intents = {(await nlu.parse(c)).intent for c in commands}
    assert intents == {"stop", "forget_me", "privacy"}, commands


@pytest.mark.parametrize("lang", sorted(PRIVACY))
def test_privacy_page_quotes_the_real_reply_after_forget_me(lang: str) -> None:
    text = PRIVACY[lang].read_text(encoding="utf-8")
    intro = {"nl": "Daarna zegt de bot: ", "en": "Then the bot says: "}[lang]
    quoted = re.search(re.escape(intro) + r'"([^"]+)"', text)
    assert quoted is not None
    assert say("forgotten", lang).startswith(quoted.group(1))
