"""``praatmee digest | officials | feedback | review``: the commands behind the digest.

:func:`register` adds the sub-commands to the main parser and :func:`dispatch`
runs them, so :mod:`bot.cli` needs two lines. Each command takes the parsed
arguments and a text stream; the database, dialogues and municipalities come
from the usual ``PRAATMEE_*`` settings. Output never names a participant:
officials see counts, anonymised quotes (for review) and their own texts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings, load_settings
from bot.dialogue.catalog import Catalog
from bot.digest.build import DigestBuilder
from bot.digest.feedback import KINDS, STATUSES, FeedbackNote, FeedbackStore
from bot.digest.mail import SmtpSettings
from bot.digest.officials import OfficialStore, Subscription, SubscriptionError
from bot.digest.queries import InsightQueries, Scope
from bot.digest.render import render
from bot.digest.review import ReviewQueue
from bot.digest.scheduler import DigestJob, send_digest
from bot.digest.weeks import parse_week, previous_week, week_of
from bot.errors import ConfigError
from bot.stores.sql.addresses import AddressBook
from bot.stores.sql.database import Database
from bot.stores.sql.outbox import Outbox

__all__ = ["digest", "dispatch", "feedback", "officials", "register", "review"]

COMMANDS = ("digest", "officials", "feedback", "review")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _week(value: str) -> str:
    try:
        return parse_week(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def register(sub: Any) -> None:
    """Add the digest sub-commands to ``praatmee``'s sub-parsers."""
    d = sub.add_parser(
        "digest", help="write a weekly digest to a folder, or send due digests by e-mail"
    )
    d.add_argument("--week", type=_week, help="ISO week, e.g. 2026-W47 (default: last week)")
    d.add_argument("--municipality", help="municipality code (for --out)")
    d.add_argument("--out", type=Path, help="folder for digest.html, digest.txt and digest.csv")
    d.add_argument("--lang", choices=["nl", "en"], default="nl")
    d.add_argument("--domains", type=_csv, default=(), help="comma-separated, e.g. jeugd,wmo")
    d.add_argument("--themes", type=_csv, default=(), help="comma-separated theme names")
    d.add_argument(
        "--send", action="store_true", help="e-mail the week's digest to subscribed officials now"
    )
    d.add_argument("--official", help="with --send: only this official")

    o = sub.add_parser("officials", help="officials' digest subscriptions")
    osub = o.add_subparsers(dest="officials_command", required=True, metavar="ACTION")
    add = osub.add_parser("add", help="add or change a subscription")
    add.add_argument("--id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument(
        "--may-see", type=_csv, required=True, help="municipalities this official may see"
    )
    add.add_argument(
        "--municipalities", type=_csv, help="what the digest covers (default: --may-see)"
    )
    add.add_argument("--domains", type=_csv, default=())
    add.add_argument("--themes", type=_csv, default=())
    add.add_argument("--lang", choices=["nl", "en"], default="nl")
    add.add_argument("--day", type=int, default=1, help="1 = Monday ... 7 = Sunday")
    add.add_argument("--hour", type=int, default=9, help="0-23, Dutch time")
    osub.add_parser("list", help="list subscriptions")
    rm = osub.add_parser("remove", help="remove a subscription")
    rm.add_argument("--id", required=True)

    f = sub.add_parser("feedback", help="tell participants what was done with their input")
    fsub = f.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    fadd = fsub.add_parser("add", help="record feedback (and deliver it with --deliver)")
    fadd.add_argument("--municipality", required=True)
    fadd.add_argument("--on", choices=KINDS, required=True, help="what the feedback is about")
    fadd.add_argument("--target", required=True, help="dialogue id, theme name or topic number")
    fadd.add_argument("--status", choices=STATUSES, required=True)
    fadd.add_argument("--text-nl", required=True, help="short, plain Dutch (B1)")
    fadd.add_argument("--text-en")
    fadd.add_argument("--official")
    fadd.add_argument("--deliver", action="store_true", help="queue it for the contributors now")
    fdel = fsub.add_parser("deliver", help="queue recorded feedback for everyone who contributed")
    fdel.add_argument("--id", type=int, required=True)
    flist = fsub.add_parser("list", help="feedback of a week, with how many it reached")
    flist.add_argument("--municipality", required=True)
    flist.add_argument("--week", type=_week)

    r = sub.add_parser("review", help="review quotes before they appear in a digest")
    rsub = r.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    rl = rsub.add_parser("list", help="queue this week's open answers and show what waits")
    rl.add_argument("--municipality", required=True)
    rl.add_argument("--week", type=_week)
    rl.add_argument(
        "--held", action="store_true", help="also show quotes held back for leftover risk"
    )
    for name, text in (
        ("approve", "approve a quote (optionally with your own redaction)"),
        ("reject", "keep a quote out of every digest"),
        ("useful", "mark a suggestion as useful (a headline figure)"),
    ):
        one = rsub.add_parser(name, help=text)
        one.add_argument("--id", type=int, required=True)
        one.add_argument("--by", required=True, help="your official id")
        if name == "approve":
            one.add_argument("--text", help="the quote as you redacted it")


def dispatch(args: argparse.Namespace, out: TextIO = sys.stdout) -> int | None:
    """Run a digest sub-command; None when ``args.command`` is not one of them."""
    runners = {"digest": digest, "officials": officials, "feedback": feedback, "review": review}
    runner = runners.get(args.command)
    return None if runner is None else asyncio.run(runner(args, out))


def _now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[Database]:
    db = await Database.open(settings.resolved_database_url)
    try:
        yield db
    finally:
        await db.close()


def _municipality(settings: Settings, code: str | None) -> str:
    if code is None or code not in settings.municipalities:
        known = ", ".join(sorted(settings.municipalities))
        raise ConfigError(f"--municipality must be one of: {known}")
    return code


async def digest(args: argparse.Namespace, out: TextIO) -> int:
    """Write ``digest.html/.txt/.csv`` for one municipality, or send due e-mails with ``--send``."""
    settings = load_settings()
    catalog = Catalog.load([settings.dialogues])
    week = args.week or previous_week(week_of(_now()))
    async with _opened(settings) as db:
        if args.send:
            job = DigestJob(db, catalog, settings.municipalities, SmtpSettings(), _now)
            subs = await OfficialStore(db).all(active_only=True)
            chosen = [s for s in subs if args.official in (None, s.official_id)]
            if args.official and not chosen:
                raise ConfigError(f"--official {args.official!r} has no active subscription")
            for sub in chosen:
                print(f"{sub.official_id}: {await send_digest(job, sub, week)}", file=out)
            return 0
        code = _municipality(settings, args.municipality)
        if args.out is None:
            raise ConfigError("--out is needed (or use --send)")
        builder = DigestBuilder(
            InsightQueries(db), FeedbackStore(db), catalog, settings.municipalities
        )
        built = await builder.build(
            Scope(code, tuple(args.domains), tuple(args.themes)), week, args.lang
        )
    rendered = await asyncio.to_thread(render, [built], inline_images=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("digest.html", rendered.html),
        ("digest.txt", rendered.text),
        ("digest.csv", rendered.csv),
    ):
        (args.out / name).write_text(content, encoding="utf-8")
    print(f"{rendered.subject}: {args.out / 'digest.html'}, digest.txt, digest.csv", file=out)
    return 0


async def officials(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    async with _opened(settings) as db:
        store = OfficialStore(db)
        if args.officials_command == "add":
            sub = Subscription(
                official_id=args.id,
                name=args.name,
                email=args.email,
                may_see=tuple(args.may_see),
                municipalities=tuple(args.municipalities or args.may_see),
                domains=tuple(args.domains),
                themes=tuple(args.themes),
                lang=args.lang,
                weekday=args.day,
                hour=args.hour,
            )
            try:
                await store.put(sub, settings.municipalities, _now())
            except SubscriptionError as exc:
                raise ConfigError(str(exc)) from exc
            print(
                f"{sub.official_id}: digest of {', '.join(sub.municipalities)} every "
                f"{_DAYS[sub.weekday - 1]} at {sub.hour:02d}:00 ({sub.lang})",
                file=out,
            )
            return 0
        if args.officials_command == "remove":
            removed = await store.remove(args.id)
            print(f"{args.id}: {'removed' if removed else 'no such subscription'}", file=out)
            return 0 if removed else 1
        for s in await store.all():
            print(
                f"{s.official_id}\t{s.name}\t{s.email}\tsees {','.join(s.may_see)}\t"
                f"digest {','.join(s.municipalities)}\t{','.join(s.domains) or 'all domains'}\t"
                f"{','.join(s.themes) or 'all themes'}\t{s.lang}\t{_DAYS[s.weekday - 1]} {s.hour:02d}:00\t"
                f"{'active' if s.active else 'paused'}",
                file=out,
            )
    return 0


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def feedback(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    catalog = Catalog.load([settings.dialogues])
    async with _opened(settings) as db:
        store = FeedbackStore(db)
        if args.feedback_command == "list":
            code = _municipality(settings, args.municipality)
            week = args.week or week_of(_now())
            records = await store.for_week(code, week)
            reached = await store.reached([r.id for r in records])
            for r in records:
                print(
                    f"{r.id}\t{r.note.target_kind}:{r.note.target_id}\t{r.note.status}\t"
                    f"queued {_few(r.recipients)}\treached {_few(reached.get(r.id, 0))}",
                    file=out,
                )
            return 0
        if args.feedback_command == "add":
            code = _municipality(settings, args.municipality)
            if args.on == "dialogue" and catalog.get(args.target) is None:
                raise ConfigError(f"--target {args.target!r} is not a dialogue")
            note = FeedbackNote(
                code, args.on, args.target, args.status, args.text_nl, args.text_en, args.official
            )
            try:
                feedback_id = await store.record(note, _now())
            except ValueError as exc:
                raise ConfigError(str(exc)) from exc
            print(f"feedback {feedback_id} recorded", file=out)
            if not args.deliver:
                return 0
        else:
            feedback_id = args.id
        titles = _titles(catalog)
        try:
            result = await store.fan_out(feedback_id, AddressBook(db), Outbox(db), _now(), titles)
        except LookupError as exc:
            raise ConfigError(str(exc)) from exc
        print(
            f"feedback {feedback_id}: queued for {_few(result.recipients)} participants "
            f"({result.queued} new messages); the running service delivers them",
            file=out,
        )
    return 0


def _few(n: int, k: int = 5) -> str:
    from bot.digest.small_cells import hide

    shown = hide(n, k=k)
    return f"fewer than {k}" if shown is None else str(shown)


def _titles(catalog: Catalog) -> Any:
    def title(note: FeedbackNote, lang: str) -> str:
        if note.target_kind == "dialogue" and (d := catalog.get(note.target_id)) is not None:
            return d.title.get(lang)
        return note.target_id.replace("_", " ")

    return title


async def review(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    async with _opened(settings) as db:
        queue = ReviewQueue(db)
        if args.review_command == "list":
            code = _municipality(settings, args.municipality)
            week = args.week or week_of(_now())
            added = await queue.fill(code, week, _now())
            statuses = ("pending", "held") if args.held else ("pending",)
            items = await queue.items(code, week, statuses=statuses)
            print(f"{added} new in the queue; {len(items)} waiting for review", file=out)
            for item in items:
                where = f"{item.dialogue_id}/{item.step_id}" if item.dialogue_id else "topic"
                risk = f"  [held: {item.risk}]" if item.status == "held" else ""
                print(f"{item.id}\t{where}\t{item.text}{risk}", file=out)
            return 0
        now = _now()
        if args.review_command == "approve":
            done = await queue.approve(args.id, args.by, now, args.text)
        elif args.review_command == "reject":
            done = await queue.reject(args.id, args.by, now)
        else:
            done = await queue.mark_useful(args.id, args.by, now)
        said = {"approve": "approved", "reject": "rejected", "useful": "marked useful"}[
            args.review_command
        ]
        print(f"{args.id}: {said if done else 'no such quote'}", file=out)
        return 0 if done else 1
