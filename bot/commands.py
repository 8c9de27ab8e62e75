"""What each ``praatmee`` command does (the argument parsing lives in :mod:`bot.cli`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import statistics
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from bot.accesslog import PathOnlyAccessLogger
from bot.config import load_settings
from bot.errors import ConfigError, DialogueError

__all__ = ["anonymise", "chat", "new_keys", "nlu_parse", "reseal_keys", "screen", "serve", "simulate", "validate"]

log = logging.getLogger("praatmee")


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # These echo SQL statements and parameters (stored, anonymised answers) at INFO and
    # DEBUG: never log them, whatever PRAATMEE_LOG_LEVEL says.
    for noisy in ("sqlalchemy", "asyncpg", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def serve() -> int:
    """Run until SIGINT/SIGTERM; prints where the web chat is."""
    from bot.process import settle_heap
    from bot.service import Service

    settings = load_settings()
    _logging(settings.log_level)
    service = Service(settings)
    runner = web.AppRunner(service.app(), access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    settle_heap()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"Config 'PRAATMEE_PORT' has value {settings.port}: cannot listen on "
            f"{settings.host}:{settings.port} ({exc.strerror})"
        ) from exc
    print(f"Praatmee draait. Web chat: http://{settings.host}:{settings.port}/", flush=True)
    print(f"Health: http://{settings.host}:{settings.port}/healthz  (stop with Ctrl-C)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


async def chat(stdin: TextIO, stdout: TextIO) -> int:
    """A conversation in the terminal, through the same runtime as the web chat."""
    from bot.channels.webchat import ApiError, WebChatChannel, parse_request
    from bot.service import Service

    settings = load_settings()
    _logging("WARNING")
    service = Service(settings)
    await service.open()
    try:
        channel = service.channels["webchat"]
        assert isinstance(channel, WebChatChannel)
        session = "terminal" + secrets.token_hex(8)
        last: list[dict[str, Any]] = []

        def show(messages: list[dict[str, Any]]) -> None:
            for m in messages:
                print(f"\nPraatmee: {m['text']}", file=stdout)
                for n, o in enumerate(m["options"], 1):
                    print(f"  {n}. {o['label']}", file=stdout)
            if messages:
                last[:] = messages
            stdout.flush()

        show(await channel.exchange(parse_request({"session": session, "start": None})))
        loop = asyncio.get_running_loop()
        while True:
            print("\nJij: ", end="", file=stdout, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                return 0
            text = line.strip()
            if not text:
                continue
            body: dict[str, Any] = {"session": session, "text": text}
            options = last[-1]["options"] if last else []
            if text.isdigit() and 1 <= int(text) <= len(options) and last[-1]["expect"] != "multi_choice":
                body = {"session": session, "choice": options[int(text) - 1]["id"]}
            try:
                show(await channel.exchange(parse_request(body)))
            except ApiError as exc:
                print(f"({exc})", file=stdout)
    finally:
        await service.close()


def validate(paths: list[Path], out: TextIO) -> int:
    """Check dialogue files; exit 1 when any has an error."""
    from actions import default_actions
    from bot.dialogue.inspect import reading_scores
    from bot.dialogue.loader import load_dialogue
    from bot.dialogue.readability import B1_WARN_BELOW

    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    failed = 0
    for path in files:
        try:
            result = load_dialogue(path, known_actions=frozenset(default_actions()))
        except DialogueError as exc:
            print(f"FOUT  {exc}", file=out)
            failed += 1
            continue
        scores = [score for _, score in reading_scores(result.dialogue)]
        low = sum(1 for s in scores if s < B1_WARN_BELOW)
        print(
            f"OK    {path}: {result.dialogue.id}, {len(result.dialogue.questions)} vragen, "
            f"leesgemak (Flesch-Douma) mediaan {statistics.median(scores):.0f}, "
            f"laagste {min(scores):.0f}, {low} boven B1",
            file=out,
        )
        for warning in result.warnings:
            print(f"  let op  {path}:{warning.line}: {warning.message}", file=out)
    if not files:
        print("no dialogue files found", file=out)
        return 1
    return 1 if failed else 0


async def simulate(
    *, participants: int, dialogue: str, municipality: str | None, seed: int, week: str | None,
    url: str | None, concurrency: int,
) -> dict[str, Any]:
    """Run synthetic participants; returns the JSON summary printed as the last line."""
    from bot.dialogue.catalog import Catalog
    from bot.service import Service
    from bot.simulate import run_participants, week_clock

    settings = load_settings()
    _logging("WARNING")
    if participants < 1:
        raise ConfigError("--participants must be 1 or more")
    catalog = Catalog.load([settings.dialogues])
    chosen = catalog.get(dialogue)
    if chosen is None:
        raise ConfigError(f"--dialogue {dialogue!r} is not one of: {', '.join(sorted(catalog.dialogues))}")
    code = municipality or chosen.municipalities[0]
    if url is not None:
        if week is not None:
            raise ConfigError("--week works only in-process (leave out --url)")
        result = await run_participants(url, catalog, participants=participants, dialogue_id=dialogue,
                                        municipality=code, seed=seed, concurrency=concurrency)
        return {"participants": participants, "completed": result.completed,
                "answers_stored": result.answered, "errors": result.errors}
    service = Service(settings, clock=week_clock(week)) if week else Service(settings)
    runner = web.AppRunner(service.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        assert service.insights is not None
        before = await service.insights.count_answers(code)
        port = runner.addresses[0][1]
        result = await run_participants(f"http://127.0.0.1:{port}", catalog, participants=participants,
                                        dialogue_id=dialogue, municipality=code, seed=seed,
                                        concurrency=concurrency)
        stored = await service.insights.count_answers(code) - before
    finally:
        await runner.cleanup()
    return {"participants": participants, "completed": result.completed, "answers_stored": stored,
            "errors": result.errors}


def anonymise(stdin: TextIO, stdout: TextIO) -> int:
    from moderation.anonymiser import Anonymiser
    from moderation.jsonl_anonymise import anonymise_lines

    for line in anonymise_lines(stdin, Anonymiser()):
        stdout.write(line + "\n")
    return 0


def screen(stdin: TextIO, stdout: TextIO) -> int:
    from moderation.jsonl_screen import screen_lines
    from moderation.screen import Screener

    for line in screen_lines(stdin, Screener()):
        stdout.write(line + "\n")
    return 0


async def nlu_parse(stdin: TextIO, stdout: TextIO, backend: str) -> int:
    from nlu.jsonl_parse import parse_lines

    settings = load_settings()
    model = await _nlu_backend(settings, backend)
    async for line in parse_lines(stdin, model):
        stdout.write(line + "\n")
    return 0


async def _nlu_backend(settings: Any, backend: str) -> Any:
    from nlu.embedded import EmbeddedNlu

    embedded = await EmbeddedNlu.load(cache_dir=settings.data_dir / "nlu-cache")
    if backend == "embedded":
        return embedded
    from nlu.rasa_http import RasaHttpNlu

    if not settings.rasa_url:
        raise ConfigError("Config 'PRAATMEE_RASA_URL' is needed for --backend rasa")
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    return RasaHttpNlu(settings.rasa_url, token, embedded)


def new_keys(out: TextIO) -> int:
    from moderation.sealing import AddressSealer

    print(f"PRAATMEE_PSEUDONYM_KEY={secrets.token_urlsafe(48)}", file=out)
    print(f"PRAATMEE_SEALING_KEYS={AddressSealer.new_key().decode()}", file=out)
    return 0


async def reseal_keys(out: TextIO) -> int:
    """Seal every stored address (and queued message) again under the first sealing key.

    Exit 1 when some value opens with none of the configured keys: then an old key is
    still needed (or was lost), and the operator must not remove any key yet.
    """
    from bot.keys import load_sealer
    from bot.stores.sql import Database
    from bot.stores.sql.resealing import reseal_all

    settings = load_settings()
    sealer = load_sealer(settings)
    db = await Database.open(settings.resolved_database_url)
    try:
        counts = await reseal_all(db, sealer)
    finally:
        await db.close()
    for c in counts:
        print(f"{c.table}: {c.resealed} resealed, {c.current} already under the first key, "
              f"{c.unopenable} could not be opened", file=out)
    if any(c.unopenable for c in counts):
        print("Some values open with none of the keys in PRAATMEE_SEALING_KEYS: "
              "keep every old key in the list until they are gone.", file=out)
        return 1
    print("Done: the keys after the first can now be removed from PRAATMEE_SEALING_KEYS.", file=out)
    return 0
