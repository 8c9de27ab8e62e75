"""Anonymiser benchmark: Praatmee against deduce and Microsoft Presidio, measured in one run.

    .venv/bin/python bench/anonymise.py [--data PATH] [--seconds S]

Each system runs in its own subprocess so peak memory (max RSS) is its own. Quality follows the
labelling guide's scoring (``moderation.anonymise.scoring``); throughput is messages per second
after loading, over repeated passes of the data set, in CPU time of the system's own process and
its fastest pass (``msg/s``; the host may be shared), with the overall wall-clock rate beside
it. deduce and presidio-analyzer come from the ``bench`` extra; a missing one is reported, not
faked.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moderation.anonymise.scoring import score
from moderation.types import Span

DEFAULT_DATA = REPO.parent / "shared" / "data" / "anon_dev.jsonl"
SYSTEMS = ("praatmee", "deduce", "presidio")
SPACY_MODELS = (
    "nl_core_news_sm",
    "nl_core_news_md",
    "nl_core_news_lg",
    "en_core_web_sm",
    "en_core_web_lg",
)

Finder = Callable[[str], list[Span]]


def _praatmee() -> tuple[Finder, str]:
    from moderation import Anonymiser

    anon = Anonymiser()
    return lambda text: list(anon.find(text)), "lists + cue patterns"


def _deduce() -> tuple[Finder, str]:
    import deduce

    model = deduce.Deduce()

    def find(text: str) -> list[Span]:
        doc = model.deidentify(text)
        return [Span(a.start_char, a.end_char, a.tag) for a in doc.annotations]

    return find, f"deduce {deduce.__version__ if hasattr(deduce, '__version__') else ''}".strip()


def _presidio() -> tuple[Finder, str]:
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
    )

    models = [m for m in SPACY_MODELS if importlib.util.find_spec(m) is not None]
    recognizers = [
        EmailRecognizer(),
        PhoneRecognizer(supported_regions=("NL", "BE", "DE", "GB", "US", "PL", "TR")),
        IbanRecognizer(),
        UrlRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        DateRecognizer(),
    ]
    note = (
        "pattern recognisers only (no spaCy model installed: "
        + ", ".join(SPACY_MODELS)
        + " all absent)"
    )
    if models:
        note = f"pattern recognisers; spaCy models present but unused: {', '.join(models)}"

    def find(text: str) -> list[Span]:
        spans = []
        for rec in recognizers:
            # pattern recognisers never read the NLP artifacts (there is no spaCy model)
            for r in rec.analyze(text, rec.supported_entities, None):  # type: ignore[arg-type]
                spans.append(Span(r.start, r.end, r.entity_type))
        return spans

    return find, note


LOADERS: dict[str, Callable[[], tuple[Finder, str]]] = {
    "praatmee": _praatmee,
    "deduce": _deduce,
    "presidio": _presidio,
}
PACKAGES = {"praatmee": "moderation", "deduce": "deduce", "presidio": "presidio_analyzer"}


def _worker(name: str, data: Path, seconds: float) -> dict[str, object]:
    rows = [
        json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    started = time.perf_counter()
    find, note = LOADERS[name]()
    load_s = time.perf_counter() - started
    examples = []
    for row in rows:
        gold = [Span(s["start"], s["end"], s["type"]) for s in row["spans"]]
        examples.append((row["text"], gold, find(row["text"])))
    result = score(examples)
    # CPU seconds of this process, not wall time, and the fastest full pass (as timeit does): on
    # a shared host other jobs' load would otherwise decide which system looks faster. The
    # overall wall-clock rate is reported beside it.
    done = 0
    fastest = float("inf")
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.process_time() - cpu_started < seconds:
        pass_started = time.process_time()
        for row in rows:
            find(row["text"])
        fastest = min(fastest, time.process_time() - pass_started)
        done += len(rows)
    rate = len(rows) / fastest
    wall_rate = done / (time.perf_counter() - started)
    return {
        "system": name,
        "note": note,
        "leak_rate": result.leak_rate,
        "precision": result.precision,
        "recall": result.recall,
        "msgs_per_s": rate,
        "wall_msgs_per_s": wall_rate,
        "load_s": load_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run(name: str, data: Path, seconds: float) -> dict[str, object] | None:
    if importlib.util.find_spec(PACKAGES[name]) is None:
        print(f"{name}: not installed (pip install the 'bench' extra); skipped")
        return None
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--data",
            str(data),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(
            f"{name}: failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
        )
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report(results: list[dict[str, object]]) -> None:
    print(
        f"{'system':<10} {'leak':>7} {'prec':>6} {'msg/s':>9} {'wall/s':>8} {'load s':>7}"
        f" {'peak MB':>8}"
    )
    for r in results:
        print(
            f"{r['system']:<10} {r['leak_rate']:>7.2%} {r['precision']:>6.3f} {r['msgs_per_s']:>9.0f}"
            f" {r['wall_msgs_per_s']:>8.0f} {r['load_s']:>7.2f} {r['peak_rss_mb']:>8.0f}   {r['note']}"
        )
    types = sorted({t for r in results for t in r["recall"]})  # type: ignore[attr-defined]
    print("\nrecall per type (gold span caught when >= 90% covered)")
    print(f"{'type':<22}" + "".join(f"{r['system']:>10}" for r in results))
    for t in types:
        print(f"{t:<22}" + "".join(f"{r['recall'].get(t, 0.0):>10.2f}" for r in results))  # type: ignore[attr-defined]
    ours = next((r for r in results if r["system"] == "praatmee"), None)
    anchors = [r for r in results if r["system"] != "praatmee"]
    if ours and anchors:
        fastest = max(anchors, key=lambda r: r["msgs_per_s"])  # type: ignore[arg-type,return-value]
        ratio = ours["msgs_per_s"] / fastest["msgs_per_s"]  # type: ignore[operator]
        print(
            f"\nthroughput: praatmee is {ratio:.1f}x {fastest['system']} (the faster anchor); goal >= 2x"
        )
        print(
            f"goals: leak {ours['leak_rate']:.2%} (<= 1%), precision {ours['precision']:.3f} (>= 0.90),"
            f" peak {ours['peak_rss_mb']:.0f} MB (<= 200 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seconds", type=float, default=3.0, help="timed passes per system")
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.data, args.seconds)))
        return
    print(f"data: {args.data}")
    results = [r for name in SYSTEMS if (r := _run(name, args.data, args.seconds)) is not None]
    _report(results)


if __name__ == "__main__":
    main()
