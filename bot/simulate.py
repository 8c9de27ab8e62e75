"""Synthetic participants that talk to Praatmee over the web chat API.

Used by ``praatmee simulate`` (load, demo data for digests) and the benchmarks.
Each participant opens the chat with a deep-link code for the municipality and
dialogue, gives consent, answers every question (random buttons, numbers in
range, open answers from a small pool, some with planted contact details that
must end up redacted) and stops at the closing message.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.dialogue.catalog import Catalog
from bot.dialogue.model import Dialogue, Step, StepType

__all__ = ["OPEN_ANSWERS", "SimResult", "run_participants", "step_for", "week_clock"]

OPEN_ANSWERS = (
    "meer plekken om te chillen in de buurt",
    "dat ze normaal tegen je praten en niet als een dossier",
    "de bus rijdt s avonds bijna niet",
    "sport is te duur voor ons",
    "bel me gerust op 06-12345678",
    "mail mij: sanne.devries@example.nl",
    "een hangplek met wifi en een dak",
    "minder lange wachtlijsten",
)
MAX_TURNS = 60


@dataclass(frozen=True, slots=True)
class SimResult:
    participants: int
    completed: int
    answered: int
    latencies: tuple[float, ...]
    errors: int


def week_clock(week: str) -> Callable[[], datetime]:
    """A clock that starts on Monday 10:00 (Amsterdam) of ISO ``week`` and runs at real speed."""
    try:
        year_s, week_s = week.split("-W")
        monday = date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError as exc:
        raise ValueError(f"--week must look like 2026-W47, not {week!r}") from exc
    start = datetime(monday.year, monday.month, monday.day, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
    t0 = time.monotonic()
    return lambda: (start + timedelta(seconds=time.monotonic() - t0)).astimezone(UTC)


def step_for(dialogue: Dialogue, text: str) -> Step | None:
    """The step a bot message asks (merged replies put the question in the last block)."""
    for block in reversed(text.split("\n\n")):  # the question comes last
        for step in dialogue.steps:
            if any(block.startswith(t) for t in step.text.by_lang.values()):
                return step
    return None


def _answer(rng: random.Random, dialogue: Dialogue, message: dict[str, Any]) -> dict[str, Any] | None:
    """What a participant sends in reply to ``message``; None when the dialogue is over."""
    options = message.get("options") or []
    ids = [o["id"] for o in options]
    if "_topic" in ids:
        return None
    step = step_for(dialogue, message["text"])
    expect = message.get("expect")
    if step is not None and step.type is StepType.CONSENT:
        return {"choice": next(i for i in ids if i.endswith(".yes"))}
    real = [i for i in ids if not i.endswith("._skip")]
    if expect == "multi_choice" and real:
        limit = step.max_choices if step and step.max_choices else 2
        return {"choices": rng.sample(real, k=rng.randint(1, min(limit, len(real))))}
    if expect == "choice" and real:
        return {"choice": rng.choice(real)}
    if expect == "number":
        low, high = (step.min, step.max) if step and step.min is not None and step.max is not None else (0, 5)
        return {"text": str(rng.randint(int(low), int(high)))}
    if expect == "text":
        return {"text": rng.choice(OPEN_ANSWERS)}
    return None


async def _participant(
    http: aiohttp.ClientSession, base: str, dialogue: Dialogue, municipality: str, rng: random.Random,
    latencies: list[float],
) -> tuple[bool, int]:
    session = "sim" + "".join(rng.choice("0123456789abcdef") for _ in range(24))
    body: dict[str, Any] = {"start": f"{municipality}--{dialogue.id}"}
    answered = 0
    for turn in range(MAX_TURNS):
        body.update(session=session, id=f"m{turn}")
        t0 = time.perf_counter()
        async with http.post(f"{base}/api/webchat/messages", json=body) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise RuntimeError(f"web chat answered {resp.status}: {data}")
        latencies.append(time.perf_counter() - t0)
        messages = data["messages"]
        if not messages:
            return False, answered
        reply = _answer(rng, dialogue, messages[-1])
        if reply is None:
            return True, answered
        asked = step_for(dialogue, messages[-1]["text"])
        if asked is not None and asked.is_question:
            answered += 1
        body = reply
    return False, answered


async def run_participants(
    base_url: str,
    catalog: Catalog,
    *,
    participants: int,
    dialogue_id: str,
    municipality: str,
    seed: int = 1,
    concurrency: int = 100,
) -> SimResult:
    """Drive ``participants`` synthetic people through a dialogue, ``concurrency`` at a time."""
    dialogue = catalog.get(dialogue_id)
    if dialogue is None:
        raise ValueError(f"no dialogue {dialogue_id!r}; known: {', '.join(sorted(catalog.dialogues))}")
    if not dialogue.runs_in(municipality):
        raise ValueError(f"dialogue {dialogue_id!r} does not run in {municipality!r}")
    rng = random.Random(seed)
    seeds = [rng.randrange(2**32) for _ in range(participants)]
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    completed = answered = errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def one(s: int) -> None:
            nonlocal completed, answered, errors
            async with gate:
                try:
                    done, n = await _participant(http, base_url.rstrip("/"), dialogue, municipality,
                                                 random.Random(s), latencies)
                except (aiohttp.ClientError, RuntimeError, TimeoutError):
                    errors += 1
                    return
                completed += done
                answered += n

        await asyncio.gather(*(one(s) for s in seeds))
    return SimResult(participants, completed, answered, tuple(latencies), errors)
