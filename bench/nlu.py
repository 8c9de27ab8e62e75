"""NLU benchmark: embedded backend vs a real Rasa 3.6.21 server, same data, same run.

Quality on the held-out split ``nlu/data/test`` (no training run reads it): intent
accuracy, theme micro/macro F1, language accuracy (plus the shared langid dev set).
Speed: sequential parse latency p50/p99 and throughput for the embedded backend, for the
raw Rasa server (``POST /model/parse``) and for ``RasaHttpNlu`` (Rasa + our themes and
language). Needs ``make rasa-model``. Run from the repository root:

    .venv/bin/python bench/nlu.py [--rounds 20] [--out bench/out/nlu.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.embedded import EmbeddedNlu
from nlu.language import LanguageDetector
from nlu.rasa_http import RasaHttpNlu
from nlu.training_data import load_intents, load_themes
from nlu.types import THEMES, NluResult

TEST = ROOT / "nlu" / "data" / "test"
DEV_LANG = ROOT.parent / "shared" / "data" / "langid_dev.jsonl"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "nlu" / "models" / "nlu.tar.gz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_rasa(log: Path) -> tuple[subprocess.Popen[bytes], str, str, float]:
    """Start ``rasa run`` and wait for /status 200; returns process, url, token, seconds."""
    if not RASA.exists() or not MODEL.exists():
        raise SystemExit("Rasa venv or model missing: run `make rasa-model` first")
    port, token = _free_port(), secrets.token_urlsafe(16)
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(RASA), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
             "--auth-token", token, "--model", str(MODEL)],
            stdout=out, stderr=subprocess.STDOUT, cwd=log.parent,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
    import urllib.request
    while time.perf_counter() - started < 90:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"rasa exited {proc.returncode}; log tail:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/status?token={token}", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url, token, time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"rasa not ready in 90 s; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def theme_f1(gold: Sequence[tuple[str, ...]], pred: Sequence[tuple[str, ...]]) -> dict[str, float]:
    tp = dict.fromkeys(THEMES, 0)
    fp, fn = dict(tp), dict(tp)
    for g, p in zip(gold, pred, strict=True):
        for t in THEMES:
            tp[t] += t in g and t in p
            fp[t] += t not in g and t in p
            fn[t] += t in g and t not in p
    def f1(a: int, b: int, c: int) -> float:
        return 2 * a / (2 * a + b + c) if a + b + c else 1.0
    micro = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    macro = statistics.fmean(f1(tp[t], fp[t], fn[t]) for t in THEMES)
    return {"micro_f1": round(micro, 4), "macro_f1": round(macro, 4)}


async def timed(parse: Callable[[str], Awaitable[Any]], texts: Sequence[str],
                rounds: int) -> dict[str, float]:
    for text in texts[:20]:  # warm-up
        await parse(text)
    lat: list[float] = []
    began = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            await parse(text)
            lat.append(time.perf_counter() - t0)
    total = time.perf_counter() - began
    lat.sort()
    return {"p50_ms": round(lat[len(lat) // 2] * 1e3, 3),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, 3),
            "per_s": round(len(lat) / total, 1), "n": len(lat)}


def _as_async(func: Callable[[str], Any]) -> Callable[[str], Awaitable[Any]]:
    async def call(text: str) -> Any:
        return func(text)
    return call


def intent_accuracy(gold: Sequence[str], results: Sequence[NluResult]) -> float:
    return round(sum(g == r.intent for g, r in zip(gold, results, strict=True)) / len(gold), 4)


def lang_accuracy(detector: LanguageDetector, path: Path) -> float:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return round(sum(detector.detect(r["text"]) == r["lang"] for r in rows) / len(rows), 4)


async def main(rounds: int, out: Path) -> dict[str, Any]:
    intents = load_intents(TEST / "intents.yml")
    themes = load_themes(TEST / "themes.yml")
    texts = [t for t, _ in intents] + [t for t, _ in themes]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        embedded = EmbeddedNlu.train(cache_dir=Path(cache))
    report: dict[str, Any] = {"train_s": {"embedded": round(time.perf_counter() - t0, 2)}}

    emb_intents = [await embedded.parse(t) for t, _ in intents]
    report["embedded"] = {
        "intent_accuracy": intent_accuracy([i for _, i in intents], emb_intents),
        "themes": theme_f1([g for _, g in themes], [embedded.themes(t) for t, _ in themes]),
        "lang_accuracy_test": lang_accuracy(embedded.detector, TEST / "lang.jsonl"),
        "speed": await timed(embedded.parse, texts, rounds),
        # What the Rasa server does (intent only), for the like-for-like ratio.
        "speed_intent_only": await timed(_as_async(embedded.intent), texts, rounds),
    }
    if DEV_LANG.exists():
        report["embedded"]["lang_accuracy_dev"] = lang_accuracy(embedded.detector, DEV_LANG)
        langdetect = LanguageDetector("langdetect")
        report["langdetect_engine"] = {
            "lang_accuracy_test": lang_accuracy(langdetect, TEST / "lang.jsonl"),
            "lang_accuracy_dev": lang_accuracy(langdetect, DEV_LANG)}

    with tempfile.TemporaryDirectory() as tmp:
        proc, url, token, ready = start_rasa(Path(tmp) / "rasa.log")
        try:
            report["rasa_ready_s"] = round(ready, 2)
            async with aiohttp.ClientSession() as session:
                async def raw(text: str) -> Any:
                    async with session.post(f"{url}/model/parse", params={"token": token},
                                            json={"text": text}) as resp:
                        return await resp.json()
                raw_speed = await timed(raw, texts, rounds)
            async with RasaHttpNlu(url, token, embedded) as rasa:
                rasa_intents = [await rasa.parse(t) for t, _ in intents]
                backend_speed = await timed(rasa.parse, texts, rounds)
        finally:
            stop(proc)
    report["rasa"] = {
        "intent_accuracy": intent_accuracy([i for _, i in intents], rasa_intents),
        "speed_raw_server": raw_speed, "speed_rasa_http_backend": backend_speed,
    }
    report["ratios"] = {
        "intent_accuracy_embedded_minus_rasa": round(
            report["embedded"]["intent_accuracy"] - report["rasa"]["intent_accuracy"], 4),
        "throughput_embedded_over_raw_rasa": round(
            report["embedded"]["speed"]["per_s"] / raw_speed["per_s"], 1),
        "throughput_intent_only_embedded_over_raw_rasa": round(
            report["embedded"]["speed_intent_only"]["per_s"] / raw_speed["per_s"], 1),
        "throughput_embedded_over_rasa_http_backend": round(
            report["embedded"]["speed"]["per_s"] / backend_speed["per_s"], 1),
    }
    try:
        import psutil
        report["load_avg_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
    except ImportError:
        report["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "nlu.json")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds, args.out)), indent=2))
