"""Language of one chat message taken alone: nl en tr ar pl uk, or "unknown".

Statistical detectors are built for sentences; chat answers are "ja", "idk", "tak", "👍".
So detection runs in layers, cheapest and surest first:

1. no letters (emoji, numbers, punctuation) -> unknown;
2. script: Arabic script -> ar; Cyrillic -> uk unless the text has Russian-only letters
   or words (Russian is outside the six, so unknown, never relabelled uk);
3. tokens every language uses in chat (ok, hey, yo, bro, haha, lol, wallah...) are dropped;
   nothing left -> unknown;
4. letters only one language here uses (Polish ą ł ż..., Turkish ı ş ğ) and Arabizi
   (Arabic in Latin letters, digits 3/7 for letters);
5. short-word lexicons (`nlu._lexicon`): one or two words decide alone;
6. longer text: the lexicon share plus a statistical engine's probabilities; a winner
   outside the six (German, Spanish, French...) -> unknown.

Engine choice (measured on ``langid_dev.jsonl``, 426 messages, by ``bench/nlu.py``): with
the same layers 1-5, lingua-language-detector scores higher than langdetect (0.995 vs 0.988)
because its n-gram models up to five letters are trained for short text; it is
deterministic by construction and, once its models are loaded, about 15 times faster
(0.17 vs 2.4 ms a message), which the embedded NLU's throughput needs. langdetect stays available (``engine="langdetect"``) and is
made deterministic with a private, seeded factory instead of the global one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Literal, Protocol

from nlu._lexicon import ARABIZI, LEXICON, OTHER, SAME_IN_NL_AND_EN, UNIVERSAL

__all__ = ["LanguageDetector"]

Engine = Literal["lingua", "langdetect"]
_SIX: tuple[str, ...] = ("nl", "en", "tr", "ar", "pl", "uk")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zà-ɏ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъё]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]")
_POLISH_ONLY = re.compile(r"[ąćęłńśźż]")
_TURKISH_ONLY = re.compile(r"[ışğ]")
_ARABIZI_DIGITS = re.compile(r"^[a-z]*[a-z][2379][a-z]*$|^[2379][a-z]{2,}$")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|[a-z]*\d[a-z0-9]*", re.UNICODE)
_DOUBLE = re.compile(r"(.)\1+")
_TRIPLE = re.compile(r"(.)\1{2,}")
_LAUGH = re.compile(r"^(?:[hj][aeiou]){2,}h?$|^(?:x+d+)+$|^l+o+l+$|^(?:hmm*|pf+|mm+)$")
_RUSSIAN_WORDS = frozenset(
    ["что", "это", "нет", "да", "ничего", "понимаю", "как", "почему", "спасибо", "пожалуйста", "привет", "меня", "мне", "хорошо"]
)
_OUTSIDE = "other"
#: Languages outside the six that chat here brings in; their text must map to unknown.
_NEIGHBOURS: dict[str, str] = dict.fromkeys(("de", "es", "fr", "ru", "it", "pt"), _OUTSIDE)
#: Function words carry a mixed sentence ("i got a letter from the gemeente" is en), so the
#: lexicon share outweighs the engine, whose n-grams follow the content words.
_LEXICON_WEIGHT = 2.0
#: Messages of up to this many words are decided by the lexicon alone when it has a leader.
_SHORT = 2
#: Longer messages skip the engine when the lexicon is this clear: most chat sentences
#: are, and the engine is most of the cost of a parse.
_CLEAR_SHARE = 0.6
_CLEAR_MARGIN = 0.4


class _Engine(Protocol):
    def probabilities(self, text: str) -> Mapping[str, float]: ...


class _LinguaEngine:
    """lingua with the six languages plus common neighbours that must map to unknown."""

    __slots__ = ("_detector", "_names")

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        names = {
            Language.DUTCH: "nl", Language.ENGLISH: "en", Language.TURKISH: "tr",
            Language.ARABIC: "ar", Language.POLISH: "pl", Language.UKRAINIAN: "uk",
            Language.GERMAN: _OUTSIDE, Language.SPANISH: _OUTSIDE, Language.FRENCH: _OUTSIDE,
            Language.RUSSIAN: _OUTSIDE, Language.ITALIAN: _OUTSIDE, Language.PORTUGUESE: _OUTSIDE,
        }
        self._names = names
        self._detector = (
            LanguageDetectorBuilder.from_languages(*names)
            .with_preloaded_language_models()
            .build()
        )

    def probabilities(self, text: str) -> Mapping[str, float]:
        out: dict[str, float] = {}
        for value in self._detector.compute_language_confidence_values(text):
            code = self._names[value.language]
            out[code] = out.get(code, 0.0) + value.value
        return out


class _LangdetectEngine:
    """langdetect on a private factory with a fixed seed: same input, same answer."""

    __slots__ = ("_factory",)

    def __init__(self) -> None:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        factory.seed = 0  # instance attribute: the module-level factory stays untouched
        self._factory = factory

    def probabilities(self, text: str) -> Mapping[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.create()
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return {}
        out: dict[str, float] = {}
        for item in found:
            # Same candidate set as lingua: Afrikaans, Danish... would swallow short Dutch.
            code = item.lang if item.lang in _SIX else _NEIGHBOURS.get(item.lang)
            if code is not None:
                out[code] = out.get(code, 0.0) + item.prob
        return out


def _squeeze(token: str) -> tuple[str, ...]:
    """The token and its forms with letter runs cut to two and one ("jaaaa" -> jaa, ja)."""
    if not _DOUBLE.search(token):
        return (token,)
    return tuple(dict.fromkeys((token, _TRIPLE.sub(r"\1\1", token), _DOUBLE.sub(r"\1", token))))


def _is_universal(token: str) -> bool:
    return len(token) == 1 or any(
        form in UNIVERSAL or _LAUGH.match(form) for form in _squeeze(token)
    )


class LanguageDetector:
    """Detects the language of a single message; "unknown" means "keep the previous one".

    Thread-safe and deterministic. Building it loads the engine's models (lingua: about
    two seconds of CPU), so build one per process, off the event loop, and share it.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: Engine = "lingua") -> None:
        self._engine: _Engine = _LinguaEngine() if engine == "lingua" else _LangdetectEngine()

    def detect(self, text: str) -> str:
        """Return one of nl en tr ar pl uk, or "unknown"."""
        text = unicodedata.normalize("NFC", text).casefold().strip()
        arabic = len(_ARABIC.findall(text))
        cyrillic = len(_CYRILLIC.findall(text))
        latin = len(_LATIN.findall(text))
        if arabic + cyrillic + latin == 0:
            return "unknown"
        if arabic >= max(cyrillic, latin):
            return "ar"
        tokens = [t for t in _TOKEN.findall(text) if not _is_universal(t)]
        if not tokens or (len(tokens) == 1 and tokens[0] in SAME_IN_NL_AND_EN):
            return "unknown"
        if cyrillic > latin:
            return self._cyrillic(text, tokens)
        return self._latin(tokens)

    def _cyrillic(self, text: str, tokens: list[str]) -> str:
        if _UKRAINIAN_ONLY.search(text):
            return "uk"
        if _RUSSIAN_ONLY.search(text) or any(t in _RUSSIAN_WORDS for t in tokens):
            return "unknown"
        if any(t in LEXICON["uk"] for t in tokens):
            return "uk"
        probs = self._engine.probabilities(" ".join(tokens))
        return "uk" if probs.get("uk", 0.0) >= probs.get(_OUTSIDE, 0.0) else "unknown"

    def _latin(self, tokens: list[str]) -> str:
        joined = " ".join(tokens)
        if _POLISH_ONLY.search(joined):
            return "pl"
        if _TURKISH_ONLY.search(joined):
            return "tr"
        share = self._lexicon_share(tokens)
        ranked = sorted(share.values(), reverse=True)
        best = max(share, key=lambda k: share[k])
        decisive = (len(tokens) <= _SHORT and ranked[0] > ranked[1]) or (
            ranked[0] >= _CLEAR_SHARE and ranked[0] - ranked[1] >= _CLEAR_MARGIN)
        if decisive:
            return "unknown" if best == _OUTSIDE else best
        probs = self._engine.probabilities(joined)
        combined = {k: _LEXICON_WEIGHT * share.get(k, 0.0) + probs.get(k, 0.0)
                    for k in (*_SIX, _OUTSIDE)}
        best = max(combined, key=lambda k: combined[k])
        return "unknown" if best == _OUTSIDE or combined[best] == 0.0 else best

    @staticmethod
    def _lexicon_share(tokens: list[str]) -> dict[str, float]:
        """Per language, the share of tokens its lexicon knows (Arabizi counts for ar)."""
        hits = dict.fromkeys((*_SIX, _OUTSIDE), 0)
        for token in tokens:
            forms = _squeeze(token)
            for lang, words in LEXICON.items():
                hits[lang] += any(f in words for f in forms)
            hits["ar"] += token in ARABIZI or bool(_ARABIZI_DIGITS.match(token))
            hits[_OUTSIDE] += token in OTHER
        return {k: v / len(tokens) for k, v in hits.items()}
