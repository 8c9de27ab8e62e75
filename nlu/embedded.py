"""The default NLU backend: trained in-process from ``nlu/data`` with scikit-learn.

Features are char n-grams (2-5, within words: robust to typos, slang and emoji) plus word
uni- and bigrams, tf-idf weighted. Intents: one multinomial logistic regression; themes:
one balanced logistic regression per theme (multi-label). Training takes a few seconds of
CPU, so :meth:`EmbeddedNlu.load` runs it in a worker thread, and the result is cached as
plain arrays keyed by the content hash of the examples (no pickle: a cache file is data,
never code). Parsing one message takes well under a millisecond.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import sklearn

from nlu._linear import LinearModel
from nlu.language import LanguageDetector
from nlu.training_data import TrainingData, content_hash
from nlu.types import INTENTS, THEMES, NluResult

__all__ = ["DATA_DIR", "INTENT_THRESHOLD", "THEME_THRESHOLD", "EmbeddedNlu"]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
#: Below this top-intent probability the answer is ``out_of_scope``: for a chat bot a
#: wrong command ("stop" when someone was answering a question) costs more than asking
#: again. On the held-out split, 0.3-0.5 give the same accuracy; 0.4 is in the middle.
INTENT_THRESHOLD = 0.4
#: A theme is tagged when its own classifier gives at least this probability. The heads
#: are trained with balanced class weights, so 0.5 is their natural decision point.
THEME_THRESHOLD = 0.5
#: Bump when features or models change, so cached models from older code are not reused.
_MODEL_VERSION = "1"


class EmbeddedNlu:
    """Intent, themes and language for one message, without any server."""

    __slots__ = ("_detector", "_intent", "_model", "_themes")

    def __init__(self, model: LinearModel, detector: LanguageDetector) -> None:
        self._model = model
        self._detector = detector
        self._intent = model.heads["intent"]
        self._themes = model.heads["themes"]

    @classmethod
    def train(cls, data_dir: Path = DATA_DIR, cache_dir: Path | None = None,
              detector: LanguageDetector | None = None) -> EmbeddedNlu:
        """Train (or reuse the cached model for identical examples). Blocks: CPU work."""
        data = TrainingData.load(data_dir)
        model = _cached_or_trained(data, cache_dir)
        return cls(model, detector if detector is not None else LanguageDetector())

    @classmethod
    async def load(cls, data_dir: Path = DATA_DIR, cache_dir: Path | None = None) -> EmbeddedNlu:
        """:meth:`train` in a worker thread, so the event loop keeps serving."""
        return await asyncio.to_thread(cls.train, data_dir, cache_dir)

    @property
    def detector(self) -> LanguageDetector:
        return self._detector

    def intent(self, text: str) -> tuple[str, float]:
        """Top intent and its probability; ``out_of_scope`` below INTENT_THRESHOLD."""
        return self._intent_of(self._model.scores(text))

    def themes(self, text: str) -> tuple[str, ...]:
        """Every theme whose probability reaches THEME_THRESHOLD, in THEMES order."""
        return self._themes_of(self._model.scores(text))

    def _intent_of(self, scores: np.ndarray) -> tuple[str, float]:
        start, end = self._intent
        logits = scores[start:end]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = int(probs.argmax())
        confidence = float(probs[best])
        label = self._model.labels[start + best]
        if confidence < INTENT_THRESHOLD:
            label = "out_of_scope"
        return label, round(confidence, 4)

    def _themes_of(self, scores: np.ndarray) -> tuple[str, ...]:
        start, end = self._themes
        probs = 1.0 / (1.0 + np.exp(-scores[start:end]))
        return tuple(self._model.labels[start + i] for i in np.flatnonzero(probs >= THEME_THRESHOLD))

    def parse_sync(self, text: str) -> NluResult:
        """Full result for one message (sub-millisecond; safe to call on the loop)."""
        if not text.strip():
            return NluResult(intent="out_of_scope", confidence=0.0)
        scores = self._model.scores(text)  # one feature vector for both heads
        label, confidence = self._intent_of(scores)
        return NluResult(intent=label, confidence=confidence, themes=self._themes_of(scores),
                         lang=self._detector.detect(text))

    async def parse(self, text: str) -> NluResult:
        return self.parse_sync(text)


def _cached_or_trained(data: TrainingData, cache_dir: Path | None) -> LinearModel:
    key = content_hash(data, salt=f"{_MODEL_VERSION}:{sklearn.__version__}")
    path = cache_dir / f"embedded-{key}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            return LinearModel.load(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("nlu cache %s unreadable (%s); retraining", path.name, type(exc).__name__)
    model = LinearModel.fit(
        [t for t, _ in data.intents], [i for _, i in data.intents],
        [t for t, _ in data.themes], [th for _, th in data.themes], INTENTS, THEMES,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return model
