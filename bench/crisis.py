"""Crisis screen benchmark: quality and speed of the rule engine against a keyword anchor.

    .venv/bin/python bench/crisis.py [--data PATH] [--seconds S] [--misses]

Data is JSON lines ``{"id", "text", "crisis", "kind"}`` (default: the shared dev set). Prints
recall, precision and per-kind recall for Praatmee's screen and for a naive keyword list
measured in the same run, so the ratio says what the rules add; then messages per second after
loading. ``--misses`` lists the ids (never the texts) of misses and false alarms.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moderation.screen import Screener
from moderation.types import CrisisKind

DEFAULT_DATA = REPO.parent / "shared" / "data" / "crisis_dev.jsonl"
KINDS = [kind for kind in CrisisKind if kind is not CrisisKind.NONE]

# The anchor: what a first attempt would do, one keyword list per kind.
_KEYWORDS = {
    CrisisKind.SUICIDE: r"zelfmoord|suicid|dood|kill myself|kms|die\b|niet meer leven",
    CrisisKind.SELF_HARM: r"snij|sneed|kras|self ?harm|cut myself|cutting",
    CrisisKind.ABUSE_AT_HOME: r"slaat me|slaan me|hits me|beats me|mishandel|misbruik",
    CrisisKind.ACUTE_DANGER: r"\bmes\b|knife|gun|pistool|volgt me|following me|brand|fire",
}
_KEYWORD_RES = {kind: re.compile(pattern) for kind, pattern in _KEYWORDS.items()}


def keyword_anchor(text: str) -> CrisisKind:
    lowered = text.lower()
    for kind, pattern in _KEYWORD_RES.items():
        if pattern.search(lowered):
            return kind
    return CrisisKind.NONE


@dataclass(frozen=True, slots=True)
class Quality:
    recall: float
    precision: float
    per_kind: dict[str, tuple[int, int]]  # kind -> (found, total)
    misses: list[str]
    false_alarms: list[str]


def evaluate(detect: Callable[[str], CrisisKind], rows: list[dict[str, object]]) -> Quality:
    true_pos = false_pos = 0
    per_kind = {kind: [0, 0] for kind in KINDS}  # found, total
    misses: list[str] = []
    false_alarms: list[str] = []
    for row in rows:
        got = detect(str(row["text"]))
        gold = CrisisKind(str(row["kind"])) if row["crisis"] else CrisisKind.NONE
        if gold is not CrisisKind.NONE:
            per_kind[gold][1] += 1
            if got is not CrisisKind.NONE:
                true_pos += 1
                per_kind[gold][0] += 1
            else:
                misses.append(str(row["id"]))
        elif got is not CrisisKind.NONE:
            false_pos += 1
            false_alarms.append(str(row["id"]))
    positives = sum(total for _, total in per_kind.values())
    return Quality(
        recall=true_pos / positives if positives else float("nan"),
        precision=true_pos / (true_pos + false_pos) if true_pos + false_pos else float("nan"),
        per_kind={kind.value: (found, total) for kind, (found, total) in per_kind.items()},
        misses=misses,
        false_alarms=false_alarms,
    )


def throughput(detect: Callable[[str], object], texts: list[str], seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            detect(text)
        done += len(texts)
    return done / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per throughput run")
    parser.add_argument("--misses", action="store_true", help="list ids of misses/false alarms")
    args = parser.parse_args(argv)

    with args.data.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    texts = [str(row["text"]) for row in rows]
    start = time.perf_counter()
    screener = Screener()
    load_ms = (time.perf_counter() - start) * 1000

    def praatmee(text: str) -> CrisisKind:
        return screener.screen(text).kind

    print(f"data: {args.data} ({len(rows)} messages); screener loaded in {load_ms:.0f} ms")
    results = {"praatmee": evaluate(praatmee, rows), "keywords": evaluate(keyword_anchor, rows)}
    for name, result in results.items():
        kinds = "  ".join(
            f"{kind} {found}/{total}" for kind, (found, total) in result.per_kind.items()
        )
        print(f"{name:9s} recall {result.recall:.3f}  precision {result.precision:.3f}  {kinds}")
    ours, anchor = results["praatmee"], results["keywords"]
    print(
        f"ratio to keyword anchor: recall x{ours.recall / anchor.recall:.2f}, "
        f"precision x{ours.precision / anchor.precision:.2f}"
    )
    ours_rate = throughput(screener.screen, texts, args.seconds)
    anchor_rate = throughput(keyword_anchor, texts, args.seconds)
    print(
        f"messages/s: praatmee {ours_rate:,.0f} ({1e6 / ours_rate:.0f} us/message, crisis + abuse); "
        f"keyword anchor {anchor_rate:,.0f}; ratio x{ours_rate / anchor_rate:.3f}"
    )
    if args.misses:
        print("missed:", " ".join(ours.misses) or "-")
        print("false alarms:", " ".join(ours.false_alarms) or "-")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
