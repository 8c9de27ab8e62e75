"""Char n-gram + word tf-idf features with linear models, trained by scikit-learn.

scikit-learn fits the vocabulary, idf and weights; parsing one message then needs only
the analyzers, dictionary look-ups and one small matrix product. That skips sklearn's
per-call validation (about 0.5 ms a call) and lets a model be cached as plain arrays
(``.npz`` without pickle), so nothing from disk is ever unpickled.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

__all__ = ["LinearModel", "normalise_text"]

_CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True}
_WORD = {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True,
         "token_pattern": r"(?u)\b\w+\b|[^\w\s]"}
_RUNS = re.compile(r"(.)\1{2,}")
Vector = tuple[NDArray[np.intp], NDArray[np.float64]]


def normalise_text(text: str) -> str:
    """Case-fold, NFC, letter runs cut to two ("jaaaa" -> "jaa"), spaces collapsed."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_RUNS.sub(r"\1\1", text).split())


def _analyzer(params: dict[str, object]) -> Callable[[str], list[str]]:
    return TfidfVectorizer(**params).build_analyzer()  # type: ignore[arg-type]


_CHAR_GRAMS = _analyzer(_CHAR)
_WORD_GRAMS = _analyzer(_WORD)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Vocabularies, idf weights and stacked linear heads ``(classes, features)``.

    ``heads`` names each row block: e.g. ``{"intent": (0, 14), "themes": (14, 27)}``.
    """

    char_vocab: dict[str, int]
    word_vocab: dict[str, int]
    idf: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: NDArray[np.float64]
    labels: tuple[str, ...]
    heads: dict[str, tuple[int, int]]

    @classmethod
    def fit(cls, texts: Sequence[str], intents: Sequence[str],
            theme_texts: Sequence[str], theme_labels: Sequence[tuple[str, ...]],
            intent_classes: Sequence[str], theme_classes: Sequence[str]) -> LinearModel:
        """Train a softmax intent head and one-vs-rest theme heads on shared features.

        Theme negatives are the intent examples (commands carry no theme) plus the other
        themes' examples.
        """
        all_texts = [normalise_text(t) for t in (*texts, *theme_texts)]
        char, word = TfidfVectorizer(**_CHAR), TfidfVectorizer(**_WORD)  # type: ignore[arg-type]
        x_all = hstack([char.fit_transform(all_texts), word.fit_transform(all_texts)]).tocsr()
        x_intent = x_all[: len(texts)]
        intent = LogisticRegression(C=20.0, solver="saga", max_iter=3000, random_state=0)
        intent.fit(x_intent, list(intents))
        order = [list(intent.classes_).index(c) for c in intent_classes if c in intent.classes_]
        rows_w = [intent.coef_[order]]
        rows_b = [intent.intercept_[order]]
        labels = [str(intent.classes_[i]) for i in order]
        none: tuple[str, ...] = ()
        y_sets = [none] * len(texts) + list(theme_labels)
        for theme in theme_classes:
            y = np.array([theme in s for s in y_sets], dtype=int)
            head = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced", random_state=0)
            head.fit(x_all, y)
            rows_w.append(head.coef_)
            rows_b.append(head.intercept_)
        n_intent = len(labels)
        return cls(
            char_vocab={k: int(v) for k, v in char.vocabulary_.items()},
            word_vocab={k: int(v) for k, v in word.vocabulary_.items()},
            idf=np.concatenate([char.idf_, word.idf_]),
            weights=np.vstack(rows_w).astype(np.float64),
            bias=np.concatenate(rows_b).astype(np.float64),
            labels=(*labels, *theme_classes),
            heads={"intent": (0, n_intent),
                   "themes": (n_intent, n_intent + len(theme_classes))},
        )

    def scores(self, text: str) -> NDArray[np.float64]:
        """Raw linear scores for every row, for one message."""
        idx, val = self._vector(normalise_text(text))
        return self.weights[:, idx] @ val + self.bias

    def _vector(self, text: str) -> Vector:
        parts: list[Vector] = []
        offset = 0
        for vocab, analyze in ((self.char_vocab, _CHAR_GRAMS), (self.word_vocab, _WORD_GRAMS)):
            counts: dict[int, int] = {}
            for gram in analyze(text):
                j = vocab.get(gram)
                if j is not None:
                    counts[j + offset] = counts.get(j + offset, 0) + 1
            idx = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64,
                             count=len(counts))
            val = tf * self.idf[idx]
            norm = float(np.sqrt(val @ val))
            parts.append((idx, val / norm if norm else val))
            offset += len(vocab)
        return np.concatenate([parts[0][0], parts[1][0]]), np.concatenate([parts[0][1],
                                                                            parts[1][1]])

    def save(self, path: Path) -> None:
        """Write plain arrays (no pickle) to ``path`` atomically."""
        tmp = path.with_suffix(".tmp.npz")
        chars = sorted(self.char_vocab, key=self.char_vocab.__getitem__)
        words = sorted(self.word_vocab, key=self.word_vocab.__getitem__)
        spans = np.array([self.heads["intent"], self.heads["themes"]], dtype=np.int64)
        np.savez(tmp, chars=np.array(chars, dtype=str), words=np.array(words, dtype=str),
                 idf=self.idf, weights=self.weights, bias=self.bias,
                 labels=np.array(self.labels, dtype=str), spans=spans)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by :meth:`save`; raises on any inconsistency."""
        with np.load(path, allow_pickle=False) as z:
            chars, words = [str(s) for s in z["chars"]], [str(s) for s in z["words"]]
            model = cls(
                char_vocab={s: i for i, s in enumerate(chars)},
                word_vocab={s: i for i, s in enumerate(words)},
                idf=z["idf"].astype(np.float64), weights=z["weights"].astype(np.float64),
                bias=z["bias"].astype(np.float64),
                labels=tuple(str(s) for s in z["labels"]),
                heads={"intent": (int(z["spans"][0][0]), int(z["spans"][0][1])),
                       "themes": (int(z["spans"][1][0]), int(z["spans"][1][1]))},
            )
        n_features = len(chars) + len(words)
        if model.weights.shape != (len(model.labels), n_features) or len(model.idf) != n_features:
            raise ValueError(f"{path}: inconsistent model arrays")
        return model

