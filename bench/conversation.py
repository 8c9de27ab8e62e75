"""Conversation benchmark: synthetic participants answering concurrently through the web chat API.

    .venv/bin/python bench/conversation.py [--participants 1000] [--backends embedded,redis-pg]

Each backend's service runs in its own process (embedded defaults: SQLite + SQLite state and the
embedded NLU; or Redis + PostgreSQL, the servers the tests use). Two phases per server:

* saturation: every participant talks at once, answering each reply as soon as it arrives
  (closed loop), through a whole theme dialogue: messages per second is the capacity;
* paced: fresh participants at half that capacity (open loop: each waits a fixed think time
  between messages), where the p99 reply latency must stay under 100 ms.

The anchor is a bare aiohttp endpoint answering a real reply's JSON without doing any work,
driven in the same run with exactly the same requests (replayed) and the same pacing. Peak
memory is each server process's peak resident set. Results go to bench/out/conversation.json
and, as one JSON object, to the last line of output.

Goal (issue 3): on embedded defaults at least 0.25 of the anchor's messages per second, and
p99 under 100 ms at half that load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import (
    Latency,
    ServerProcess,
    scratch_stores,
    serve_forever,
    start_server,
    summarise,
)
from bot.config import DEFAULT_DIALOGUES
from bot.dialogue.catalog import Catalog
from bot.dialogue.model import Dialogue, StepType
from bot.process import run_service
from bot.simulate import step_for

OUT = ROOT / "bench" / "out" / "conversation.json"
NLU_CACHE = ROOT / "var" / "bench-nlu-cache"
API = "/api/webchat/messages"
MUNICIPALITIES = ("beverwijk", "heemskerk", "velsen")
#: Open answers as young people type them: lower case, typos, slang, emoji, some contact details.
OPEN_ANSWERS = (
    "meer plekken om te chillen in de buurt",
    "de bus rijdt savonds bijna niet 😩",
    "sport is echt te duur voor ons",
    "een hangplek met wifi en een dak pls",
    "gwn normaal met je praten ipv als een dossier",
    "idk man, minder lange wachtlijsten",
    "bel me gerust 06-12345678",
    "mail me: sanne.devries@example.nl",
    "a skatepark would be sick tbh",
    "meer licht bij het fietspad naar school, is eng in de winter",
)
TARGET_RATIO, TARGET_P99_MS = 0.25, 100.0


# --- one synthetic participant -----------------------------------------------------------------


def answer(rng: random.Random, dialogue: Dialogue, message: dict[str, Any]) -> dict[str, Any] | None:
    """What a participant sends next; None once the closing message (with the menu) is there.

    Raises ValueError for a message it cannot answer: the benchmark counts that as an error.
    """
    ids = [o["id"] for o in message.get("options") or []]
    if "_topic" in ids:
        return None
    step = step_for(dialogue, message["text"])
    real = [i for i in ids if not i.endswith("._skip")]
    expect = message.get("expect")
    if step is not None and step.type is StepType.CONSENT:
        return {"choice": next(i for i in ids if i.endswith(".yes"))}
    if expect == "multi_choice" and real:
        most = min(step.max_choices if step and step.max_choices else 2, len(real))
        return {"choices": rng.sample(real, k=rng.randint(1, most))}
    if expect == "choice" and real:
        return {"choice": rng.choice(real)}
    if expect == "number" and step is not None and step.min is not None and step.max is not None:
        return {"text": str(rng.randint(int(step.min), int(step.max)))}
    if expect == "text":
        return {"text": rng.choice(OPEN_ANSWERS)}
    raise ValueError(f"no answer to a message that expects {expect!r}")


@dataclass
class Tally:
    """What a phase saw: one latency per answered message, the requests sent, errors."""

    latencies: list[float] = field(default_factory=list)
    scripts: list[list[bytes]] = field(default_factory=list)
    replies: list[bytes] = field(default_factory=list)
    completed: int = 0
    errors: int = 0


async def _post(http: aiohttp.ClientSession, url: str, body: bytes, tally: Tally) -> bytes | None:
    t0 = time.perf_counter()
    try:
        async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
            raw = await resp.read()
            ok = resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        ok, raw = False, b""
    if not ok:
        tally.errors += 1
        return None
    tally.latencies.append(time.perf_counter() - t0)
    return raw


async def _talk(
    http: aiohttp.ClientSession, url: str, dialogue: Dialogue, municipality: str, seed: int,
    think: float, tally: Tally,
) -> None:
    """One person through one dialogue; ``think`` seconds between a reply and the next message."""
    rng = random.Random(seed)
    session = "bench" + secrets.token_hex(12)
    body: dict[str, Any] = {"start": f"{municipality}--{dialogue.id}"}
    script: list[bytes] = []
    tally.scripts.append(script)
    for turn in range(60):
        raw_body = json.dumps({**body, "session": session, "id": f"m{turn}"}).encode()
        script.append(raw_body)
        raw = await _post(http, url, raw_body, tally)
        if raw is None:
            return
        if len(tally.replies) < 64:
            tally.replies.append(raw)
        messages = json.loads(raw)["messages"]
        try:
            following = answer(rng, dialogue, messages[-1]) if messages else {}
        except ValueError:
            following = {}
        if following is None:  # the closing message
            tally.completed += 1
            return
        if not following:  # no reply, or one nobody could answer
            tally.errors += 1
            return
        body = following
        if think:
            await asyncio.sleep(think * rng.uniform(0.8, 1.2))
    tally.errors += 1  # a dialogue that never ends is a failure


async def _replay(http: aiohttp.ClientSession, url: str, script: list[bytes], think: float,
                  seed: int, tally: Tally) -> None:
    """The same requests as a recorded participant, against the anchor."""
    rng = random.Random(seed)
    for body in script:
        if await _post(http, url, body, tally) is None:
            return
        if think:
            await asyncio.sleep(think * rng.uniform(0.8, 1.2))
    tally.completed += 1


def _client(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
        timeout=aiohttp.ClientTimeout(total=120),
    )


async def drive(
    url: str, catalog: Catalog, *, participants: int, seed: int, think: float = 0.0,
    scripts: list[list[bytes]] | None = None,
) -> tuple[Latency, Tally]:
    """All ``participants`` at once; with ``think`` > 0 their first messages are spread over it."""
    dialogues = sorted(catalog.dialogues.values(), key=lambda d: d.id)
    tally = Tally()
    rng = random.Random(seed)
    async with _client(participants) as http:

        async def one(n: int) -> None:
            if think:
                await asyncio.sleep(rng.uniform(0, think))
            if scripts is not None:
                await _replay(http, url + API, scripts[n % len(scripts)], think, seed + n, tally)
            else:
                await _talk(http, url + API, dialogues[n % len(dialogues)],
                            MUNICIPALITIES[n % len(MUNICIPALITIES)], seed + n, think, tally)

        with _no_collector_pauses():
            started = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(participants)))
            seconds = time.perf_counter() - started
    return summarise(tally.latencies, seconds, tally.errors), tally


@contextlib.contextmanager
def _no_collector_pauses() -> Any:
    """The load generator's own garbage collections (pauses of up to 100 ms in this process,
    with thousands of participants' tallies in memory) would count as the server's latency:
    none while a phase is measured, for the service and the anchor alike."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


# --- servers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    saturation: Latency
    paced: Latency
    paced_target: float
    peak_rss_mb: float
    completed: int
    participants: int


def _serve(args: argparse.Namespace) -> int:
    """The child process: a Praatmee service on ``args.backend`` on a free port."""
    from bot.config import Settings
    from bot.service import Service

    overrides: dict[str, Any] = {"data_dir": Path(args.data_dir), "nlu_cache_dir": NLU_CACHE,
                                 "log_level": "WARNING", "_env_file": None}
    if args.backend == "redis-pg":
        overrides |= {"database_url": args.database_url, "redis_url": args.redis_url,
                      "redis_prefix": args.redis_prefix}
    service = Service(Settings(**overrides))
    with contextlib.suppress(KeyboardInterrupt):
        run_service(serve_forever(service.app()))
    return 0



@contextlib.asynccontextmanager
async def _backend(name: str, work: Path) -> Any:
    """The child's arguments for ``name``; a PostgreSQL database and Redis prefix of its own."""
    data = work / name
    data.mkdir()
    argv = [str(Path(__file__).resolve()), "serve", "--backend", name, "--data-dir", str(data)]
    if name == "embedded":
        yield argv
        return
    async with scratch_stores() as extra:
        yield [*argv, *extra]


async def _phases(
    name: str, server: ServerProcess, catalog: Catalog, participants: int, seed: int,
    *, paced_rate: float | None, scripts: list[list[bytes]] | None,
) -> tuple[Result, Tally]:
    # Warm-up (not measured): first requests load code paths, pools and caches.
    await drive(server.url, catalog, participants=min(30, participants), seed=seed + 10_000_000,
                scripts=scripts)
    saturation, tally = await drive(server.url, catalog, participants=participants, seed=seed, scripts=scripts)
    rate = paced_rate if paced_rate is not None else saturation.per_second / 2
    think = participants / rate
    paced, paced_tally = await drive(server.url, catalog, participants=participants, seed=seed + 20_000_000,
                                     think=think, scripts=scripts)
    peak = server.stop() / 2**20
    completed = tally.completed + paced_tally.completed
    return Result(name, saturation, paced, rate, peak, completed, 2 * participants), tally


def _median_reply(replies: list[bytes]) -> bytes:
    with_options = [r for r in replies if b'"options": [{' in r] or replies
    return sorted(with_options, key=len)[len(with_options) // 2]


async def run(participants: int, backends: Sequence[str], seed: int, work: Path) -> list[Result]:
    catalog = Catalog.load([DEFAULT_DIALOGUES])
    results: list[Result] = []
    scripts: list[list[bytes]] | None = None
    reply = b""
    embedded_rate: float | None = None
    for name in backends:
        async with _backend(name, work) as argv:
            print(f"== praatmee {name}: {participants} participants", file=sys.stderr, flush=True)
            server = start_server(argv, work / f"{name}.log")
            try:
                result, tally = await _phases(f"praatmee {name}", server, catalog, participants, seed,
                                              paced_rate=None, scripts=None)
            finally:
                server.stop()
        results.append(result)
        if scripts is None:
            scripts, reply = tally.scripts, _median_reply(tally.replies)
            embedded_rate = result.paced_target
    assert scripts is not None
    print("== bare aiohttp anchor", file=sys.stderr, flush=True)
    anchor = start_server([str(ROOT / "bench" / "_common.py"), "anchor", "--body", reply.decode()],
                          work / "anchor.log")
    try:
        result, _ = await _phases("bare aiohttp", anchor, catalog, participants, seed,
                                  paced_rate=embedded_rate, scripts=scripts)
    finally:
        anchor.stop()
    return [result, *results]


def _raise_fd_limit() -> None:
    """Each participant holds a connection of its own: allow as many sockets as the system does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def report(results: list[Result], participants: int) -> dict[str, Any]:
    anchor = results[0]
    print(f"\n{participants} participants at once, then {participants} more paced at half the "
          "service's capacity (the anchor at the embedded pace)")
    head = (f"{'':22} {'msgs/s':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} | {'paced/s':>8} "
            f"{'p50 ms':>7} {'p99 ms':>7} | {'peak MB':>8} {'done':>10}")
    print(head)
    print("-" * len(head))
    for r in results:
        ratio = r.saturation.per_second / anchor.saturation.per_second
        print(f"{r.name:22} {r.saturation.per_second:8.0f} {ratio:6.2f} {r.saturation.p50_ms:8.1f} "
              f"{r.saturation.p99_ms:8.1f} | {r.paced.per_second:8.0f} {r.paced.p50_ms:7.1f} "
              f"{r.paced.p99_ms:7.1f} | {r.peak_rss_mb:8.1f} {r.completed:>4}/{r.participants:<5}")
    summary: dict[str, Any] = {"participants": participants, "results": [
        {**asdict(r), "saturation": {**asdict(r.saturation), "per_second": r.saturation.per_second},
         "paced": {**asdict(r.paced), "per_second": r.paced.per_second}} for r in results]}
    embedded = next((r for r in results if r.name == "praatmee embedded"), None)
    if embedded is not None:
        ratio = embedded.saturation.per_second / anchor.saturation.per_second
        summary["goal"] = {
            "throughput_ratio": round(ratio, 3),
            "throughput_ok": ratio >= TARGET_RATIO,
            "paced_p99_ms": round(embedded.paced.p99_ms, 1),
            "paced_p99_ok": embedded.paced.p99_ms < TARGET_P99_MS,
        }
        print(f"\ngoal, embedded: throughput {ratio:.2f} of the anchor (>= {TARGET_RATIO}: "
              f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}); p99 {embedded.paced.p99_ms:.1f} ms at "
              f"{embedded.paced.per_second:.0f} msgs/s (< {TARGET_P99_MS:.0f} ms: "
              f"{'met' if embedded.paced.p99_ms < TARGET_P99_MS else 'MISSED'})")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="(internal) run one service for the benchmark")
    serve.add_argument("--backend", choices=["embedded", "redis-pg"], required=True)
    serve.add_argument("--data-dir", required=True)
    serve.add_argument("--database-url")
    serve.add_argument("--redis-url")
    serve.add_argument("--redis-prefix")
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--backends", default="embedded,redis-pg",
                        help="comma-separated: embedded, redis-pg (the first sets the anchor's requests)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - {"embedded", "redis-pg"}:
        parser.error("--backends takes embedded and/or redis-pg")
    _raise_fd_limit()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    with tempfile.TemporaryDirectory(prefix="praatmee-bench-") as tmp:
        results = asyncio.run(run(args.participants, backends, args.seed, Path(tmp)))
    summary = report(results, args.participants)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    broken = [r for r in results if r.saturation.errors or r.paced.errors or r.completed < r.participants]
    for r in broken:
        print(f"{r.name}: {r.saturation.errors + r.paced.errors} errors, {r.completed}/{r.participants} "
              "completed: the run is not valid", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
