"""Digest benchmark: one municipality's weekly digest from 1,000,000 stored answers.

    .venv/bin/python bench/digest.py [--rows N] [--backend sqlite|postgresql|both]
                                     [--postgres URL] [--json PATH]

Fills a fresh database of its own (SQLite in a temporary folder; PostgreSQL as a new
database on the server, dropped afterwards) with answers for three municipalities over
eight weeks, bulk-inserted in bounded batches (executemany on SQLite, COPY on PostgreSQL).
Then, in the same run, it times a plain ``SELECT count(*) FROM answers`` (the anchor) and
building + rendering the digest (figures, four-week trends, charts, HTML, text and CSV),
and prints seconds and peak memory (process RSS above the level before each step) for both.
Goal: the digest under 10 s and 500 MB on both backends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import partial
from pathlib import Path
from typing import Any, Self

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Connection, insert, text

from bot.config import DEFAULT_DIALOGUES
from bot.dialogue.catalog import Catalog
from bot.dialogue.model import StepType
from bot.digest.build import DigestBuilder
from bot.digest.feedback import FeedbackStore
from bot.digest.queries import InsightQueries, Scope
from bot.digest.render import render
from bot.stores.sql.database import Database
from bot.stores.sql.tables import answers, completions

MUNICIPALITIES = {"beverwijk": "Beverwijk", "heemskerk": "Heemskerk", "velsen": "Velsen"}
WEEKS = [f"2026-W{w}" for w in range(40, 48)]
TARGET_WEEK = WEEKS[-1]
BATCH = 20_000
PEOPLE_PER_TOWN = 20_000
COLUMNS = ["idempotency_key", "pseudonym", "municipality", "domain", "dialogue_id", "prompt_id", "group_id",
           "step_id", "step_type", "option_ids", "number", "text", "skipped", "themes", "lang", "iso_week",
           "answered_at"]
THEMES = ["vrije_tijd", "vervoer", "veiligheid", "sport", "geld", "school"]


def _rows(catalog: Catalog, total: int, seed: int = 1) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Batches of (answer rows, completion rows) until ``total`` answers; memory stays bounded."""
    rng = random.Random(seed)
    dialogues = [d for d in catalog if d.runs_in("beverwijk")]
    made = 0
    session = 0
    batch: list[tuple[Any, ...]] = []
    done: list[tuple[Any, ...]] = []
    while made < total:
        dialogue = rng.choice(dialogues)
        town = rng.choice(list(MUNICIPALITIES))
        week = rng.choice(WEEKS)
        who = f"{town[:3]}{rng.randrange(PEOPLE_PER_TOWN):06d}".ljust(64, "0")
        monday = date.fromisocalendar(int(week[:4]), int(week[-2:]), 1)
        when = datetime.combine(monday + timedelta(days=rng.randrange(5)), dtime(15), UTC)
        session += 1
        for step in dialogue.steps:
            if not step.is_question or made >= total:
                continue
            options, number, answer_text, themes, skipped = "[]", None, None, "[]", False
            if step.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
                k = 1 if step.type is StepType.SINGLE_CHOICE else rng.randint(1, min(2, len(step.options)))
                options = json.dumps(rng.sample([o.id for o in step.options], k=k))
            elif step.type is StepType.YES_NO:
                options = json.dumps([rng.choice(["yes", "no"])])
            elif step.type is StepType.SCALE:
                options = json.dumps([str(rng.randint(1, 5))])
            elif step.type is StepType.NUMBER:
                number = float(rng.randint(int(step.min or 0), int(step.max or 10)))
            elif step.type is StepType.OPEN_TEXT:
                if rng.random() < 0.3:
                    skipped = True
                else:
                    answer_text = "meer plekken om te chillen"
                    themes = json.dumps([rng.choice(THEMES)])
            batch.append((f"b{session}-{step.id}", who, town, dialogue.domain, dialogue.id, None, None, step.id,
                           str(step.type), options, number, answer_text, skipped, themes, "nl", week, when))
            made += 1
        if rng.random() < 0.8:
            done.append((f"c{session}", who, town, dialogue.domain, dialogue.id, week, when))
        if len(batch) >= BATCH:
            yield batch, done
            batch, done = [], []
    if batch:
        yield batch, done


COMPLETION_COLUMNS = ["idempotency_key", "pseudonym", "municipality", "domain", "dialogue_id", "iso_week",
                      "completed_at"]


def _insert_batch(conn: Connection, batch: list[dict[str, Any]], done: list[dict[str, Any]]) -> None:
    conn.execute(insert(answers), batch)
    if done:
        conn.execute(insert(completions), done)


def _analyze(conn: Connection) -> None:
    conn.execute(text("ANALYZE"))


def _count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM answers")).scalar_one())


async def _fill(db: Database, url: str, catalog: Catalog, total: int) -> float:
    """Bulk-load ``total`` answers: COPY over a plain asyncpg connection, or executemany jobs."""
    t0 = time.perf_counter()
    if db.dialect == "postgresql":
        import asyncpg

        pg = await asyncpg.connect(url)
        try:
            for batch, done in _rows(catalog, total):
                await pg.copy_records_to_table("answers", records=batch, columns=COLUMNS)
                await pg.copy_records_to_table("completions", records=done, columns=COMPLETION_COLUMNS)
            await pg.execute("ANALYZE answers; ANALYZE completions")
        finally:
            await pg.close()
    else:
        for batch, done in _rows(catalog, total):
            await db.run(partial(_insert_batch,
                                 batch=[dict(zip(COLUMNS, r, strict=True)) for r in batch],
                                 done=[dict(zip(COMPLETION_COLUMNS, r, strict=True)) for r in done]))
        await db.run(_analyze)
    return time.perf_counter() - t0


class Peak:
    """Samples this process's RSS in a thread; ``peak_mb`` is the most above the start."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self.base = self._proc.memory_info().rss
        self.peak = self.base
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return (self.peak - self.base) / 1e6


async def _measure(step: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    with Peak() as peak:
        t0 = time.perf_counter()
        result = await step()
        seconds = time.perf_counter() - t0
    return seconds, peak.peak_mb, result


async def _one(url: str, catalog: Catalog, rows: int) -> dict[str, Any]:
    db = await Database.open(url)
    try:
        fill = await _fill(db, url, catalog, rows)

        async def count() -> int:
            return await db.run(_count)

        async def digest() -> int:
            builder = DigestBuilder(InsightQueries(db), FeedbackStore(db), catalog, MUNICIPALITIES)
            built = await builder.build(Scope("beverwijk"), TARGET_WEEK, "nl")
            rendered = await asyncio.to_thread(render, [built], inline_images=False)
            return len(rendered.html) + len(rendered.csv)

        c_s, c_mb, counted = await _measure(count)
        d_s, d_mb, size = await _measure(digest)
        return {"backend": db.dialect, "rows": counted, "fill_s": round(fill, 1),
                "count_s": round(c_s, 3), "count_peak_mb": round(c_mb, 1),
                "digest_s": round(d_s, 2), "digest_peak_mb": round(d_mb, 1),
                "ratio_s": round(d_s / c_s, 1) if c_s else None, "digest_bytes": size}
    finally:
        await db.close()


async def _postgres(server: str, catalog: Catalog, rows: int) -> dict[str, Any]:
    import asyncpg

    name = f"praatmee_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = server.rsplit("/", 1)[0] + "/" + name
            return await _one(url, catalog, rows)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=os.environ.get(
        "PRAATMEE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    catalog = Catalog.load([DEFAULT_DIALOGUES])
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="praatmee-bench-") as folder:
            results.append(await _one(f"sqlite:///{folder}/bench.sqlite", catalog, args.rows))
    if args.backend in ("postgresql", "both"):
        results.append(await _postgres(args.postgres, catalog, args.rows))
    print(f"{'backend':<11}{'rows':>10}{'fill s':>8}{'count(*) s':>12}{'MB':>7}{'digest s':>10}{'MB':>7}{'ratio':>7}")
    for r in results:
        print(f"{r['backend']:<11}{r['rows']:>10}{r['fill_s']:>8}{r['count_s']:>12}{r['count_peak_mb']:>7}"
              f"{r['digest_s']:>10}{r['digest_peak_mb']:>7}{r['ratio_s']:>7}")
    ok = all(r["digest_s"] < 10 and r["digest_peak_mb"] < 500 for r in results)
    print("goal (< 10 s, < 500 MB):", "met" if ok else "NOT met")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
