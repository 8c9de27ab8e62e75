"""A small learned second opinion for the crisis rules: TF-IDF n-grams and logistic regression.

The rules know phrasing; this model knows vocabulary. On messages written after the rules were
tuned, rules alone found about 6 in 10 crises and rules-or-model about 19 in 20 (see the
commit that added this module). It is trained at construction from ``data/crisis/train.jsonl``
(the dev set plus hand-written phrasings and hard negatives, shipped with the package) in well
under a second, and then answers without scikit-learn's per-call overhead: the weights are
copied into a dictionary and a message costs one n-gram pass and a few additions.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from moderation.types import CrisisKind

__all__ = ["CrisisModel", "ModelVerdict", "content_words"]

_SHIPPED_TRAINING = Path(__file__).with_name("data") / "crisis" / "train.jsonl"
_CHAR_SIZES = (3, 4, 5)


#: Function words carry no vocabulary: left in, a model trained on a thousand messages learns
#: "me", "er" and "als" as crisis words and alarms on "bel me op 06..." or "nothing really".
#: Phrasing ("ze slaan me") is the rules' job. Negations and "meer"/"anymore" stay.
_FUNCTION_WORDS = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "of",
        "maar",
        "als",
        "dan",
        "dat",
        "die",
        "dit",
        "deze",
        "er",
        "hier",
        "daar",
        "op",
        "in",
        "aan",
        "van",
        "voor",
        "met",
        "bij",
        "naar",
        "uit",
        "om",
        "te",
        "tot",
        "over",
        "door",
        "ik",
        "je",
        "jij",
        "u",
        "hij",
        "zij",
        "ze",
        "we",
        "wij",
        "jullie",
        "me",
        "mij",
        "mijn",
        "zijn",
        "haar",
        "hem",
        "ons",
        "onze",
        "hun",
        "is",
        "ben",
        "bent",
        "was",
        "waren",
        "wordt",
        "word",
        "worden",
        "heb",
        "hebt",
        "heeft",
        "had",
        "hadden",
        "ook",
        "al",
        "nog",
        "wel",
        "toch",
        "nu",
        "dus",
        "want",
        "omdat",
        "wat",
        "wie",
        "waar",
        "hoe",
        "welke",
        "zo",
        "s",
        "t",
        "n",
        ".",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "then",
        "that",
        "this",
        "these",
        "those",
        "there",
        "here",
        "on",
        "in",
        "at",
        "of",
        "for",
        "with",
        "to",
        "from",
        "by",
        "about",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "my",
        "your",
        "his",
        "her",
        "its",
        "our",
        "their",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "so",
        "also",
        "still",
        "what",
        "who",
        "where",
        "how",
        "which",
        "really",
    ]
)


#: kept as features, but alone they say nothing ("not really", "niks", "often not")
_BARE_WORDS = frozenset(
    [
        "niet",
        "geen",
        "nooit",
        "niks",
        "niets",
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "often",
        "vaak",
        "soms",
        "sometimes",
        "ja",
        "nee",
        "yes",
        "ok",
        "oke",
        "okay",
        "echt",
        "gewoon",
    ]
)


def content_words(norm: str) -> int:
    """How many words of normalised text carry vocabulary: what the model can go on."""
    return sum(1 for w in norm.split() if w not in _FUNCTION_WORDS and w not in _BARE_WORDS)


def ngrams(norm: str) -> list[str]:
    """Character 3-5-grams inside words (with word edges) plus single words and word pairs.

    Function words are left out first (see ``_FUNCTION_WORDS``).
    """
    words = [word for word in norm.split() if word not in _FUNCTION_WORDS]
    features = [f"w:{word}" for word in words]
    features += [f"b:{a} {b}" for a, b in pairwise(words)]
    for word in words:
        padded = f" {word} "
        for size in _CHAR_SIZES:
            features += [padded[i : i + size] for i in range(max(1, len(padded) - size + 1))]
    return features


@dataclass(frozen=True, slots=True)
class ModelVerdict:
    """Probability that the message is a crisis, and the likeliest crisis kind."""

    crisis_probability: float
    kind: CrisisKind


class CrisisModel:
    """Multinomial logistic regression over :func:`ngrams` of normalised text."""

    __slots__ = ("_idf", "_index", "_intercepts", "_kinds", "_weights")

    def __init__(self, normalise: Callable[[str], str], training: Path | None = None) -> None:
        """Train on ``training`` (JSON lines with ``text`` and ``kind``) or the shipped set."""
        texts, labels = _read(training or _SHIPPED_TRAINING)
        vectoriser = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=2)
        matrix = vectoriser.fit_transform([normalise(text) for text in texts])
        self._index: dict[str, int] = {f: int(i) for f, i in vectoriser.vocabulary_.items()}
        self._idf: np.ndarray = vectoriser.idf_.astype(np.float64)
        # output 0: crisis or not, the question that decides recall; then one-vs-rest per kind,
        # learned from the crises only. liblinear fits each in milliseconds.
        self._kinds = tuple(kind for kind in CrisisKind if kind is not CrisisKind.NONE)
        crises = [i for i, label in enumerate(labels) if label is not CrisisKind.NONE]
        everything = list(range(len(labels)))
        targets = [(everything, [label is not CrisisKind.NONE for label in labels])]
        targets += [(crises, [labels[i] is kind for i in crises]) for kind in self._kinds]
        fitted = []
        for rows, target in targets:
            model = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced", random_state=0)
            fitted.append(model.fit(matrix[rows], target))
        # one row per feature, one column per model: a message is a weighted sum of rows
        self._weights: np.ndarray = np.column_stack([m.coef_[0] for m in fitted])
        self._intercepts: np.ndarray = np.array([m.intercept_[0] for m in fitted])

    def judge(self, norm: str) -> ModelVerdict:
        """The model's verdict on already normalised text."""
        counts = Counter(self._index[f] for f in ngrams(norm) if f in self._index)
        logits = self._intercepts
        if counts:
            rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * self._idf[rows]
            values /= np.linalg.norm(values)
            logits = logits + values @ self._weights[rows]
        best = int(np.argmax(logits[1:]))
        return ModelVerdict(1.0 / (1.0 + math.exp(-float(logits[0]))), self._kinds[best])


def _read(path: Path) -> tuple[list[str], list[CrisisKind]]:
    rows: Iterable[dict[str, str]] = (
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    pairs = [(row["text"], CrisisKind(row["kind"])) for row in rows]
    return [text for text, _ in pairs], [kind for _, kind in pairs]
