"""``praatmee``: the command line (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import ConfigError, DialogueError, PraatmeeError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="praatmee", description="Praatmee: hear young people where they chat.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("serve", help="run the service (web chat, webhooks, outbox)")
    sub.add_parser("chat", help="talk to the bot in this terminal")

    dlg = sub.add_parser("dialogues", help="work with dialogue files")
    dsub = dlg.add_subparsers(dest="dialogues_command", required=True, metavar="ACTION")
    val = dsub.add_parser("validate", help="check dialogue files (schema, structure, B1 reading ease)")
    val.add_argument("paths", nargs="+", type=Path)

    sim = sub.add_parser("simulate", help="drive synthetic participants through a dialogue")
    sim.add_argument("--participants", type=int, required=True)
    sim.add_argument("--dialogue", required=True)
    sim.add_argument("--municipality")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--week", help="date the answers in this ISO week, e.g. 2026-W47 (in-process only)")
    sim.add_argument("--url", help="a running Praatmee; default: start one in this process")
    sim.add_argument("--concurrency", type=int, default=50)

    sub.add_parser("anonymise", help="JSON lines {id, text} on stdin → redacted text and spans")
    sub.add_parser("screen", help="JSON lines {id, text} on stdin → crisis and abuse signals")
    nlu = sub.add_parser("nlu", help="language understanding")
    nsub = nlu.add_subparsers(dest="nlu_command", required=True, metavar="ACTION")
    parse = nsub.add_parser("parse", help="JSON lines {id, text} on stdin → intent, themes, language")
    parse.add_argument("--backend", choices=["embedded", "rasa"], default="embedded")

    from bot.digest import cli as digest_cli
    from bot.groups import cli as groups_cli

    digest_cli.register(sub)
    groups_cli.register(sub)

    keys = sub.add_parser("keys", help="make keys for production settings")
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    ksub.add_parser("new", help="print a new pseudonym key and sealing key")
    ksub.add_parser("reseal", help="after a key rotation: seal every stored address again with the first key")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ConfigError, DialogueError) as exc:
        print(f"praatmee: {exc}", file=sys.stderr)
        return 2
    except PraatmeeError as exc:
        print(f"praatmee: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from bot import commands

    if args.command == "serve":
        from bot.process import run_service

        return run_service(commands.serve())
    if args.command == "chat":
        return asyncio.run(commands.chat(sys.stdin, sys.stdout))
    if args.command == "dialogues":
        return commands.validate(args.paths, sys.stdout)
    if args.command == "simulate":
        summary = asyncio.run(
            commands.simulate(
                participants=args.participants, dialogue=args.dialogue, municipality=args.municipality,
                seed=args.seed, week=args.week, url=args.url, concurrency=args.concurrency,
            )
        )
        print(json.dumps(summary))
        return 0 if summary["completed"] == summary["participants"] else 1
    if args.command == "anonymise":
        return commands.anonymise(sys.stdin, sys.stdout)
    if args.command == "screen":
        return commands.screen(sys.stdin, sys.stdout)
    if args.command == "nlu":
        return asyncio.run(commands.nlu_parse(sys.stdin, sys.stdout, args.backend))
    if args.command == "keys":
        if args.keys_command == "reseal":
            return asyncio.run(commands.reseal_keys(sys.stdout))
        return commands.new_keys(sys.stdout)
    from bot.digest import cli as digest_cli
    from bot.groups import cli as groups_cli

    for extension in (digest_cli, groups_cli):
        code = extension.dispatch(args, sys.stdout)
        if code is not None:
            return code
    raise AssertionError(args.command)


if __name__ == "__main__":
    logging.basicConfig()
    sys.exit(main())
