"""The embedded backend on phrasings that are not in the training data."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from pathlib import Path

import pytest

from nlu.embedded import DATA_DIR, EmbeddedNlu
from nlu.training_data import TrainingData
from nlu.types import INTENTS

# Written for these tests; none of them is a training example (checked below).
UNSEEN: dict[str, dict[str, tuple[str, ...]]] = {
    "greet": {"nl": ("hallo daar", "hoi hoi hoe is het"), "en": ("hi bot", "hello hello")},
    "goodbye": {"nl": ("ik ga nu weg doei", "doei tot morgen"),
                "en": ("bye see you tomorrow", "gotta go bye")},
    "thanks": {"nl": ("dankjewel voor je hulp", "super bedankt hoor"),
               "en": ("thanks so much", "thank you for helping")},
    "affirm": {"nl": ("ja dat is prima", "ja hoor doe maar"), "en": ("yes sure", "yeah definitely")},
    "deny": {"nl": ("nee echt niet", "nee dankjewel"), "en": ("no not now", "nope not for me")},
    "stop": {"nl": ("stop met die berichten", "ik wil me uitschrijven"),
             "en": ("stop sending messages", "i want to unsubscribe now")},
    "help": {"nl": ("ik snap niet hoe dit werkt", "help wat moet ik doen"),
             "en": ("i dont understand how this works", "help me please")},
    "privacy": {"nl": ("wie kan mijn berichten lezen", "is dit wel anoniem"),
                "en": ("who can read my answers", "is this anonymous or not")},
    "forget_me": {"nl": ("verwijder al mijn gegevens aub", "wis alles van mij"),
                  "en": ("delete all my data", "please erase everything about me")},
    "change_language": {"nl": ("kan het in het engels aub", "andere taal graag"),
                        "en": ("can we switch to english", "change the language please")},
    "propose_topic": {"nl": ("ik wil iets aankaarten over mijn buurt", "ik heb een idee voor de gemeente over de speeltuin"),
                      "en": ("i have an idea for my street", "can i raise a topic")},
    "talk_to_human": {"nl": ("ik wil met een echt mens praten", "kan ik een medewerker spreken"),
                      "en": ("i want to talk to a real person", "can i speak to a human")},
    "restart": {"nl": ("kan ik helemaal opnieuw beginnen", "begin alles maar opnieuw"),
                "en": ("can we start over", "restart the chat please")},
    "out_of_scope": {"nl": ("wat eet jij het liefst", "wie is de beste rapper"),
                     "en": ("whats your favourite movie", "do you like football")},
}
CASES = [(intent, lang, text) for intent, by_lang in UNSEEN.items()
         for lang, texts in by_lang.items() for text in texts]


def test_every_intent_has_unseen_cases_not_in_training_data() -> None:
    seen = {text.casefold() for text, _ in TrainingData.load(DATA_DIR).intents}
    assert set(UNSEEN) == set(INTENTS)
    assert not [text for _, _, text in CASES if text.casefold() in seen]


@pytest.mark.parametrize(("intent", "lang", "text"), CASES)
async def test_unseen_phrasing_gets_its_intent(embedded: EmbeddedNlu, intent: str, lang: str,
                                               text: str) -> None:
    result = await embedded.parse(text)
    assert result.intent == intent, (text, result)
    assert result.lang == lang


@pytest.mark.parametrize("text", ["ik wil niet meer", "ik wil niet meer leven"])
async def test_crisis_phrase_is_never_stop(embedded: EmbeddedNlu, text: str) -> None:
    assert (await embedded.parse(text)).intent != "stop"


async def test_gibberish_is_out_of_scope_with_low_confidence_or_label(
        embedded: EmbeddedNlu) -> None:
    for text in ("qwpoeiruty zxmvn", "🍕🍕🍕", ""):
        result = await embedded.parse(text)
        assert result.intent == "out_of_scope", (text, result)


THEMED = [
    ("mijn mentor helpt me niet en ik ga zakken voor mijn toetsen", {"school"}),
    ("ik wacht al een half jaar op iemand van jeugdzorg", {"jeugdhulp"}),
    ("mijn ouders schreeuwen elke avond tegen elkaar", {"thuis_en_gezin"}),
    ("we hebben schulden en de deurwaarder komt steeds", {"geld_en_schulden"}),
    ("ik vind nergens een bijbaan", {"werk_en_stage"}),
    ("ons huis is te klein en de huur te hoog", {"wonen"}),
    ("de huisarts heeft nooit tijd voor mij", {"gezondheid"}),
    ("ik voel me de laatste tijd heel somber en gestrest", {"mentale_gezondheid"}),
    ("ze pesten me elke dag in de groepsapp", {"veiligheid_en_pesten"}),
    ("er is geen plek om te sporten in onze wijk", {"vrije_tijd_en_sport"}),
    ("de bus naar de stad rijdt bijna nooit", {"vervoer"}),
    ("ik word gediscrimineerd vanwege mijn afkomst", {"discriminatie"}),
    ("ik heb eigenlijk geen vrienden en voel me alleen", {"eenzaamheid_en_vrienden"}),
    ("my landlord never fixes anything and rent is crazy", {"wonen"}),
    ("ik word gepest op school en de leraar doet niks", {"veiligheid_en_pesten", "school"}),
]


@pytest.mark.parametrize(("text", "expected"), THEMED)
async def test_realistic_answers_are_tagged_with_their_themes(
        embedded: EmbeddedNlu, text: str, expected: set[str]) -> None:
    themes = set((await embedded.parse(text)).themes)
    assert expected <= themes, (text, themes)
    assert len(themes) <= len(expected) + 1


async def test_commands_carry_no_theme(embedded: EmbeddedNlu) -> None:
    for text in ("stop", "ja", "hoi", "wie leest dit", "bedankt"):
        assert (await embedded.parse(text)).themes == (), text


def _copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("test"))
    return data


def test_model_is_cached_by_content_and_retrained_when_data_changes(
        embedded: EmbeddedNlu, tmp_path: Path) -> None:
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    first = EmbeddedNlu.train(data, cache, detector=embedded.detector)
    [cached] = cache.glob("*.npz")
    started = time.perf_counter()
    second = EmbeddedNlu.train(data, cache, detector=embedded.detector)
    assert time.perf_counter() - started < 2.0
    assert second.intent("kan ik iemand spreken") == first.intent("kan ik iemand spreken")
    extra = data / "intents" / "zz_extra.yml"
    extra.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - joejoe\n')
    EmbeddedNlu.train(data, cache, detector=embedded.detector)
    assert len(list(cache.glob("*.npz"))) == 2
    assert cached.exists()


def test_corrupt_cache_file_is_retrained_not_trusted(embedded: EmbeddedNlu,
                                                     tmp_path: Path) -> None:
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    EmbeddedNlu.train(data, cache, detector=embedded.detector)
    [cached] = cache.glob("*.npz")
    cached.write_bytes(b"not a model")
    again = EmbeddedNlu.train(data, cache, detector=embedded.detector)
    assert again.intent("stop met sturen")[0] == "stop"
    assert cached.read_bytes() != b"not a model"


async def test_load_trains_in_a_thread_without_blocking_the_loop(tmp_path: Path) -> None:
    ticks: list[float] = []

    async def heartbeat() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(heartbeat())
    started = time.perf_counter()
    nlu = await EmbeddedNlu.load(_copy_data(tmp_path), tmp_path / "cache")
    took = time.perf_counter() - started
    beat.cancel()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert took > 0.5  # real training happened
    assert len(ticks) > took / 0.05 and max(gaps) < 0.5
    assert (await nlu.parse("hoi")).intent == "greet"
