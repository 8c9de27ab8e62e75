"""Crisis signals: unseen phrasings per kind (nl and en), hard negatives per guideline category,
the dev-set quality bar, and the JSONL screening function."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from moderation.crisis import CrisisDetector, normalise
from moderation.jsonl_screen import screen_lines
from moderation.screen import Screener
from moderation.types import CrisisKind, ScreenResult

DEV_SET = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crisis_dev.jsonl"
#: Written before the last round of tuning and never tuned on (a second batch was): the honest
#: figure for text the rules and the model have not seen.
FRESH_SET = Path(__file__).resolve().parent / "data" / "crisis_fresh.jsonl"

SUICIDE = CrisisKind.SUICIDE
SELF_HARM = CrisisKind.SELF_HARM
HOME = CrisisKind.ABUSE_AT_HOME
DANGER = CrisisKind.ACUTE_DANGER

# Written for these tests, not taken from the dev set: how young people put it in a chat.
POSITIVES: list[tuple[str, CrisisKind]] = [
    ("k wil echt dood", SUICIDE),
    ("ik wil dood ik meen het", SUICIDE),
    ("ik trek t echt niet meer", SUICIDE),
    ("ik hou het niet meer vol", SUICIDE),
    ("ik zie het niet meer zitten", SUICIDE),
    ("niemand gaat me missen als ik weg ben", SUICIDE),
    ("heb echt geen zin meer om te leven", SUICIDE),
    ("ik heb zelfmoordgedachten", SUICIDE),
    ("mn beste vriend wil zelfmoord plegen", SUICIDE),
    ("ik kan niet meer.", SUICIDE),
    ("kan niet meer ik trek dit leven niet", SUICIDE),
    ("ik wou dat ik dood was", SUICIDE),
    ("ik ben alleen maar een last voor iedereen", SUICIDE),
    ("hoeveel paracetamol moet je nemen om dood te gaan", SUICIDE),
    ("ik snap niet waarom ik nog leef", SUICIDE),
    ("ik wil weg uit dit leven", SUICIDE),
    ("kms fr", SUICIDE),
    ("i wanna die", SUICIDE),
    ("i dont see the point in living anymore", SUICIDE),
    ("nobody will even notice when im gone", SUICIDE),
    ("my best friend told me she wants to end her life", SUICIDE),
    ("i took a bunch of pills", SUICIDE),
    ("i just want to sleep and never wake up", SUICIDE),
    ("ik wil dood 😭", SUICIDE),
    ("ik sta op de brug en kijk naar het water", SUICIDE),
    ("ik ga zo voor de trein liggen", SUICIDE),
    ("dit is mijn laatste bericht aan jullie", SUICIDE),
    ("kan ik stoppen met ademen ofzo", SUICIDE),
    ("im on the roof of my building rn", SUICIDE),
    ("ik kras weer in mn arm", SELF_HARM),
    ("ik heb vannacht weer in mn arm gesneden", SELF_HARM),
    ("mn vriendin snijdt zichzelf", SELF_HARM),
    ("soms kras ik tot het bloedt", SELF_HARM),
    ("ik krab mezelf open als ik stress heb", SELF_HARM),
    ("ik brand mezelf met sigaretten", SELF_HARM),
    ("ik eet niks meer als straf", SELF_HARM),
    ("im cutting again", SELF_HARM),
    ("3 maanden clean en nu weer een terugval", SELF_HARM),
    ("sh urges r back", SELF_HARM),
    ("i hide my scars", SELF_HARM),
    ("i punch walls until my knuckles bleed", SELF_HARM),
    ("mijn pa slaat me elke week", HOME),
    ("mijn moeder trekt aan mn haar en slaat me", HOME),
    ("thuis krijg ik klappen", HOME),
    ("mn stiefvader zit aan me als mama slaapt", HOME),
    ("mijn broer dreigt me te vermoorden", HOME),
    ("mn ouders zetten me op straat", HOME),
    ("ik durf niet meer naar huis", HOME),
    ("my stepdad hits my mom", HOME),
    ("my parents kicked me out", HOME),
    ("im scared of going home because of my dad", HOME),
    ("er staan jongens buiten met messen", DANGER),
    ("ik word achtervolgd door een auto", DANGER),
    ("hij heeft een pistool", DANGER),
    ("mn vriend ligt op de grond na xtc en reageert niet", DANGER),
    ("iemand dreigt mijn fotos online te zetten als ik niet betaal", DANGER),
    ("someone is following me home", DANGER),
    ("my friend took pills at the party and is unconscious", DANGER),
    ("ons huis staat in brand", DANGER),
    ("die scooter rijdt ons al een kwartier achterna", DANGER),
    ("er breken mensen in bij de buren en nu bij ons", DANGER),
]

# Hard negatives, one group per category of the labelling guideline.
NEGATIVES: dict[str, list[str]] = {
    "hyperbole": [
        "ik ga dood van de verveling",
        "ik ga dood van deze les",
        "haha ik lach me dood",
        "dat was doodeng",
        "this test is killing me lol",
        "i could kill for a coffee",
        "im dead lmao",
        "lowkey want to die of embarrassment",
    ],
    "joke_with_trivial_trigger": [
        "mijn vader maakt me dood als hij mn cijfers ziet 😂",
        "my mom will kill me if i fail this test lol",
        "i swear im gonna die if i have to do this homework again 💀",
        "ik durf niet naar huis met deze cijferlijst haha",
    ],
    "games_sport_accidents": [
        "mn broer slaat me altijd met fifa",
        "my brother hit me with a pillow haha",
        "ik heb me gesneden aan een blikje",
        "ik sneed me per ongeluk bij het koken",
        "i cut my hair",
    ],
    "ordinary_strictness": [
        "mn ouders zijn streng",
        "ik heb huisarrest",
        "my dad grounded me",
        "mijn moeder is boos omdat ik laat thuis was",
    ],
    "low_mood_and_grief": [
        "ik voel me kut",
        "ik ben zo moe",
        "mijn hond is dood",
        "my grandma passed away last year",
    ],
    "finished_past": [
        "vroeger kraste ik maar nu gaat het goed",
        "i used to cut but ive been clean for 2 years and im doing better now",
    ],
    "talking_about_the_subject": [
        "we hadden een gastles over zelfmoord",
        "er moet meer hulp komen voor jongeren met zelfmoordgedachten",
        "we talked about self harm in class",
        "we leren over eerwraak bij maatschappijleer",
    ],
    "bullying_and_kys": ["kys", "kys noob", "ik word gepest", "ze volgen me op tiktok"],
    "kms_laughed_off": ["kms 😂 bus weer gemist", "kms lol forgot my gym bag"],
    "leaving_the_chat": [
        "ik wil niet meer meedoen",
        "ik wil er niet meer over praten",
        "ik kan niet meer wachten op de zomer",
        "ik kan niet meer hahaha",
        "i want to stop this survey",
        "ik wil niet meer reageren op die vragen",
        "dont wanna chat anymore bye",
    ],
}


# Everyday bot traffic: a helpline reply here would puzzle and push people away.
EVERYDAY = [
    "waar kan ik zwemmen",
    "ik wil graag een fiets",
    "de trein was te laat",
    "not really",
    "nothing really",
    "bel me op 06-48213957 als er nieuws is",
    "mijn fiets is gestolen",
    "ik ben verliefd",
    "kan de gemeente iets doen aan de geluidsoverlast",
    "ik vind school saai",
    "when is the next bus",
    "we need a place to hang out",
]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector()


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_unseen_crisis_phrasing_is_found_with_its_kind(
    detector: CrisisDetector, text: str, kind: CrisisKind
) -> None:
    assert detector.detect(text) is kind


@pytest.mark.parametrize(
    "text", [text for group in NEGATIVES.values() for text in group], ids=lambda t: t[:40]
)
def test_hard_negatives_are_not_a_crisis(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is CrisisKind.NONE


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_messages_are_not_a_crisis(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is CrisisKind.NONE


def test_bare_refusal_counts_but_not_with_an_object(detector: CrisisDetector) -> None:
    assert detector.detect("ik wil gewoon niet meer") is SUICIDE
    assert detector.detect("ik wil niet meer naar die voetbalclub") is CrisisKind.NONE


def test_joke_marker_alone_does_not_hide_a_crisis(detector: CrisisDetector) -> None:
    # a death wish without a trivial trigger stays positive, laughing or not
    assert detector.detect("ik wil dood haha") is SUICIDE
    # "ik meen het" overrides the joke boundary
    assert detector.detect("ik ga dood van dat rapport 😂 nee ik meen het ik wil dood") is SUICIDE


def test_past_with_relapse_is_still_a_crisis(detector: CrisisDetector) -> None:
    text = "vroeger sneed ik mezelf en het gaat nu beter maar gisteren deed ik het weer"
    assert detector.detect(text) is SELF_HARM


def test_normalise_maps_chat_spelling() -> None:
    slang = {"mn": "mijn", "dont": "do not"}
    assert normalise("Mn  VADER!!! dont 💀 m'n", slang) == "mijn vader . do not mijn"
    assert normalise("ik wil doooood", {}) == "ik wil dood"


def _dev_rows() -> list[dict[str, str]]:
    with DEV_SET.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_dev_set_recall_and_precision(detector: CrisisDetector) -> None:
    rows = _dev_rows()
    found = [(row["crisis"], detector.detect(row["text"]) is not CrisisKind.NONE) for row in rows]
    true_pos = sum(gold and got for gold, got in found)
    recall = true_pos / sum(gold for gold, _ in found)
    precision = true_pos / sum(got for _, got in found)
    assert recall >= 0.95, recall
    assert precision >= 0.85, precision


def _recall_precision(rows: list[dict[str, str]], detector: CrisisDetector) -> tuple[float, float]:
    found = [(row["crisis"], detector.detect(row["text"]) is not CrisisKind.NONE) for row in rows]
    true_pos = sum(gold and got for gold, got in found)
    return true_pos / sum(gold for gold, _ in found), true_pos / sum(got for _, got in found)


def test_fresh_untuned_messages_recall_and_precision(detector: CrisisDetector) -> None:
    with FRESH_SET.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    assert len(rows) >= 150
    recall, precision = _recall_precision(rows, detector)
    assert recall >= 0.93, recall
    assert precision >= 0.80, precision


def test_model_alone_does_not_overrule_someone_leaving_the_chat(detector: CrisisDetector) -> None:
    # "niet meer" and "anymore" are strong words for the model; here they have an object
    assessment = detector.assess("i dont want to answer these questions anymore")
    assert assessment.kind is CrisisKind.NONE
    # with a death wish next to it, the rules still see the crisis
    assert detector.detect("ik wil niet meer chatten ik wil dood") is SUICIDE


def test_screening_is_well_under_a_millisecond(screener: Screener) -> None:
    texts = [row["text"] for row in _dev_rows()]
    # CPU time of this process: what screening costs, not what other jobs on the host take
    start = time.process_time()
    for text in texts:
        screener.screen(text)
    per_message = (time.process_time() - start) / len(texts)
    assert per_message < 0.001, per_message


def test_screener_combines_crisis_and_abuse(screener: Screener) -> None:
    assert screener.screen("mn vader slaat me") == ScreenResult(True, HOME, False)
    assert screener.screen("kut bot") == ScreenResult(False, CrisisKind.NONE, True)
    assert screener.screen("hoe laat is het") == ScreenResult(False, CrisisKind.NONE, False)


def test_screen_lines_keeps_order_skips_blanks_and_reports_bad_lines(screener: Screener) -> None:
    lines = [
        '{"id": "a", "text": "ik wil er niet meer zijn"}\n',
        "\n",
        "   \n",
        '{"id": 7, "text": "fuck you bot"}\n',
        "not json\n",
        '["a list"]\n',
        '{"id": "c", "text": 12}\n',
        '{"id": "d", "text": "leuke vragen"}\n',
    ]
    out = [json.loads(line) for line in screen_lines(lines, screener)]
    assert out[0] == {"id": "a", "crisis": True, "kind": "suicide", "abuse": False}
    assert out[1] == {"id": 7, "crisis": False, "kind": "none", "abuse": True}
    assert out[2]["id"] is None and "line 5" in out[2]["error"]
    assert out[3]["id"] is None and "object" in out[3]["error"]
    assert out[4]["id"] == "c" and "text" in out[4]["error"]
    assert out[5] == {"id": "d", "crisis": False, "kind": "none", "abuse": False}
    assert len(out) == 6


def test_screen_lines_errors_do_not_echo_the_text(screener: Screener) -> None:
    (line,) = screen_lines(['{"id": "x", "text": ["Jan de Vries 0612345678"]}'], screener)
    assert "Jan" not in line and "0612345678" not in line


def test_screen_lines_is_lazy(screener: Screener) -> None:
    def source() -> object:
        yield '{"id": 1, "text": "hoi"}'
        raise AssertionError("read past the first line")

    results = screen_lines(source(), screener)  # type: ignore[arg-type]
    assert json.loads(next(results))["id"] == 1


@pytest.mark.parametrize(
    "command",
    [
        "kan ik zelf iets aankaarten",
        "ik wil dat jullie alles van mij wissen",
        "ik wil zelf iets zeggen",
        "wie leest dit eigenlijk",
        "delete my stuff",
        "/help",
        "/vergeetmij",
        "help",
        "ik wil stoppen met deze vragen",
        "hoe werkt dit ding",
        "verwijder al mijn gegevens aub",
        "mag ik zelf een onderwerp inbrengen",
    ],
)
def test_talking_to_the_bot_itself_is_never_a_crisis(command: str) -> None:
    """Commands people type to the bot must not get a helpline reply and an alert."""
    assert not Screener().screen(command).crisis
