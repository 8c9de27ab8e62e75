"""``praatmee groups|coaches|prompts``: admins manage peer groups from the command line.

    praatmee groups create --municipality velsen --domain jeugd --name "Jongerenraad Velsen"
    praatmee groups qr --group g1a2b3c4d5e6 --out ./qr
    praatmee groups approval --municipality velsen --required yes
    praatmee coaches invite --group g1a2b3c4d5e6
    praatmee prompts list --municipality velsen
    praatmee prompts approve --id p1a2b3c4d5e6 --by official-7

Wire into ``bot/cli.py`` with ``register(sub)`` in the parser and
``dispatch(args)`` before the other commands (it returns None for other commands).
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
from bot.errors import ConfigError
from bot.groups.codes import join_link, join_payload, new_invite_code, qr_png, qr_svg
from bot.groups.model import PromptStatus
from bot.groups.store import GroupStore
from bot.stores.sql import Database

__all__ = ["coaches_invite", "dispatch", "groups_create", "register"]

_SLUG = "lower-case letters, digits, '-' or '_'"


def register(sub: Any) -> None:
    """Add ``groups``, ``coaches`` and ``prompts`` to ``praatmee``'s sub-parsers."""
    g = sub.add_parser("groups", help="peer groups: create, QR code, approval rule")
    gsub = g.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    create = gsub.add_parser("create", help="create a group; prints its id and join link")
    create.add_argument("--municipality", required=True)
    create.add_argument("--domain", required=True, help="e.g. jeugd, wmo, participatiewet")
    create.add_argument("--name", required=True)
    create.add_argument("--qr", type=Path, help="also write join-<group>.png and .svg into this folder")
    qr = gsub.add_parser("qr", help="write the join link as QR code (PNG and SVG)")
    qr.add_argument("--group", required=True)
    qr.add_argument("--out", type=Path, default=Path("."))
    appr = gsub.add_parser("approval", help="must an official approve coach prompts first?")
    appr.add_argument("--municipality", required=True)
    appr.add_argument("--required", choices=["yes", "no"], required=True)

    c = sub.add_parser("coaches", help="coaches of peer groups")
    csub = c.add_subparsers(dest="coaches_command", required=True, metavar="ACTION")
    inv = csub.add_parser("invite", help="print a one-time invite code for a new coach")
    inv.add_argument("--group", required=True)

    p = sub.add_parser("prompts", help="coach prompts waiting for approval")
    psub = p.add_subparsers(dest="prompts_command", required=True, metavar="ACTION")
    plist = psub.add_parser("list", help="prompts waiting for approval")
    plist.add_argument("--municipality", required=True)
    for name in ("approve", "reject"):
        one = psub.add_parser(name, help=f"{name} a waiting prompt")
        one.add_argument("--id", required=True)
        one.add_argument("--by", required=True, help="your official id")


def dispatch(args: argparse.Namespace, out: TextIO = sys.stdout) -> int | None:
    """Run a group sub-command; None when ``args.command`` is not one of them."""
    settings = None
    if args.command == "groups":
        settings = load_settings()
        if args.groups_command == "create":
            return asyncio.run(groups_create(settings, args.municipality, args.domain, args.name, out, qr=args.qr))
        if args.groups_command == "qr":
            return asyncio.run(groups_qr(settings, args.group, args.out, out))
        return asyncio.run(groups_approval(settings, args.municipality, args.required == "yes", out))
    if args.command == "coaches":
        return asyncio.run(coaches_invite(load_settings(), args.group, out))
    if args.command == "prompts":
        settings = load_settings()
        if args.prompts_command == "list":
            return asyncio.run(prompts_list(settings, args.municipality, out))
        return asyncio.run(prompts_decide(settings, args.id, args.by, args.prompts_command == "approve", out))
    return None


@asynccontextmanager
async def _store(settings: Settings) -> AsyncIterator[GroupStore]:
    db = await Database.open(settings.resolved_database_url)
    try:
        yield GroupStore(db)
    finally:
        await db.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _municipality(settings: Settings, code: str) -> str:
    if code not in settings.municipalities:
        raise ConfigError(f"--municipality must be one of: {', '.join(sorted(settings.municipalities))}")
    return code


def _write_qr(link: str, folder: Path, group_id: str, out: TextIO) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"join-{group_id}.png", folder / f"join-{group_id}.svg"
    png.write_bytes(qr_png(link))
    svg.write_text(qr_svg(link), encoding="utf-8")
    print(f"qr: {png} {svg}", file=out)


async def groups_create(settings: Settings, municipality: str, domain: str, name: str, out: TextIO,
                        *, qr: Path | None = None) -> int:
    """Print the new group's id and join link (and write its QR code with ``qr``)."""
    _municipality(settings, municipality)
    if not domain.strip() or not domain.replace("-", "").replace("_", "").isalnum() or domain != domain.lower():
        raise ConfigError(f"--domain must be {_SLUG}")
    if not name.strip():
        raise ConfigError("--name must not be empty")
    async with _store(settings) as store:
        group = await store.create_group(municipality, domain, name, _now())
    link = join_link(group.join_code, settings.telegram_bot_username)
    print(f"group: {group.group_id}", file=out)
    print(f"join link: {link}", file=out)
    print(f"web chat start code: {join_payload(group.join_code)}", file=out)
    if qr is not None:
        _write_qr(link, qr, group.group_id, out)
    return 0


async def groups_qr(settings: Settings, group_id: str, folder: Path, out: TextIO) -> int:
    async with _store(settings) as store:
        group = await store.group(group_id)
    if group is None:
        raise ConfigError(f"no group {group_id!r}")
    _write_qr(join_link(group.join_code, settings.telegram_bot_username), folder, group_id, out)
    return 0


async def groups_approval(settings: Settings, municipality: str, required: bool, out: TextIO) -> int:
    _municipality(settings, municipality)
    async with _store(settings) as store:
        await store.set_requires_approval(municipality, required, _now())
    print(f"{municipality}: coach prompts {'need' if required else 'do not need'} an official's approval",
          file=out)
    return 0


async def coaches_invite(settings: Settings, group_id: str, out: TextIO) -> int:
    """Print a one-time invite code; the new coach sends it to the bot."""
    async with _store(settings) as store:
        if await store.group(group_id) is None:
            raise ConfigError(f"no group {group_id!r}")
        code = new_invite_code()
        await store.new_invite(group_id, code, _now())
    print(code, file=out)
    return 0


async def prompts_list(settings: Settings, municipality: str, out: TextIO) -> int:
    _municipality(settings, municipality)
    async with _store(settings) as store:
        waiting = [p for p in await store.prompts_with_status(PromptStatus.AWAITING)
                   if p.municipality == municipality]
    for p in waiting:
        options = " | ".join(p.options) if p.options else "(open)"
        print(f"{p.prompt_id}  {p.group_id}  {p.send_at:%Y-%m-%d %H:%M}Z  {p.question}  [{options}]", file=out)
    if not waiting:
        print("nothing waits for approval", file=out)
    return 0


async def prompts_decide(settings: Settings, prompt_id: str, official: str, approve: bool, out: TextIO) -> int:
    """Approve (the running service fans it out within seconds) or reject a waiting prompt."""
    status = PromptStatus.QUEUED if approve else PromptStatus.REJECTED
    async with _store(settings) as store:
        changed = await store.set_status(prompt_id, status, expect=PromptStatus.AWAITING, approved_by=official)
    if not changed:
        print(f"praatmee: prompt {prompt_id} does not wait for approval", file=sys.stderr)
        return 1
    print(f"{prompt_id}: {'approved' if approve else 'rejected'}", file=out)
    return 0
