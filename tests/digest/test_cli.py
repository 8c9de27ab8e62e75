"""The digest commands: every example in the guides parses, and officials/feedback/review work."""

from __future__ import annotations

import argparse
import io
import re
import shlex
from pathlib import Path

import pytest

from bot.digest.cli import dispatch, register
from bot.errors import ConfigError

DOCS = [Path(__file__).resolve().parents[2] / "docs" / "digest.md",
        Path(__file__).resolve().parents[2] / "docs" / "en" / "digest.md"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="praatmee")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def _examples(path: Path) -> list[list[str]]:
    text = path.read_text().replace("\\\n", " ")
    lines = [m.group(1) for m in re.finditer(r"^ {4}praatmee (.+)$", text, re.MULTILINE)]
    return [shlex.split(re.sub(r"\[[^\]]*\]", "", line)) for line in lines]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_command_in_the_guide_parses(doc: Path) -> None:
    examples = _examples(doc)
    assert len(examples) >= 6
    for argv in examples:
        _parser().parse_args(argv)


def test_officials_feedback_and_review_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRAATMEE_DATA_DIR", str(tmp_path))
    parser = _parser()

    def run(line: str) -> str:
        out = io.StringIO()
        assert dispatch(parser.parse_args(shlex.split(line)), out) == 0
        return out.getvalue()

    said = run("officials add --id anna --name 'Anna de Boer' --email anna@beverwijk.test --may-see beverwijk")
    assert "beverwijk" in said and "Monday at 09:00" in said
    assert "anna@beverwijk.test" in run("officials list")
    with pytest.raises(ConfigError, match="beyond what this official may see"):
        run("officials add --id bob --name Bob --email b@x.test --may-see beverwijk --municipalities velsen")
    said = run("feedback add --municipality beverwijk --on theme --target vervoer --status not_now "
               "--text-nl 'Dit kan pas volgend jaar.' --deliver")
    assert "queued for 0 participants" in said  # nobody spoke about it yet
    assert "0 new in the queue; 0 waiting" in run("review list --municipality beverwijk --week 2026-W47")
    assert "removed" in run("officials remove --id anna")
    assert run("officials list") == ""
