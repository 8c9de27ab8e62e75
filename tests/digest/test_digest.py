"""Weekly digests from a real service and database: right figures, nothing small, nothing raw.

Runs on the embedded defaults (SQLite) and on Redis + PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue.catalog import Catalog
from bot.digest.build import DigestBuilder
from bot.digest.cli import digest as digest_command
from bot.digest.feedback import FeedbackStore
from bot.digest.model import Digest
from bot.digest.queries import InsightQueries, Scope
from bot.digest.review import ReviewQueue, leftover_risk
from bot.simulate import week_clock
from bot.stores.sql.database import Database
from tests.digest.seed import CANARY, WEEKS, seed_direct, sql_counts, sql_option_counts
from tests.support.service import Chat, running, settings_for
from tests.support.walk import walk

BACKENDS = ["embedded", "redis-pg"]
WEEK = WEEKS[-1]
DIALOGUE = "vrije-tijd-buurt"


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRAATMEE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PRAATMEE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PRAATMEE_NLU_BACKEND", "keywords")


async def _seed(service: object, client: object, catalog: Catalog) -> None:
    db: Database = service.db  # type: ignore[attr-defined]
    await seed_direct(db, catalog, "beverwijk", people=24, seed=1)
    await seed_direct(db, catalog, "heemskerk", people=14, seed=2, themes=("wonen",), dialogue_id="rondkomen")
    dialogue = catalog.get(DIALOGUE)
    assert dialogue is not None
    # Through the real service over the web chat. (bot.simulate's participants share client
    # message ids "m0", "m1"..., which the runtime de-duplicates across sessions, so they are
    # walked here with ids of their own.)
    for n in range(7):
        chat = Chat(client)  # type: ignore[arg-type]
        await chat.send(start=f"beverwijk--{DIALOGUE}")
        said = f"we willen een skatepark {CANARY}" if n == 3 else f"meer lampen in het park {n}"
        assert (await walk(chat, dialogue, said)).completed


def _expect(raw: int, k: int = 5) -> int | None:
    return None if 0 < raw < k else raw


@pytest.mark.parametrize("backend", BACKENDS)
async def test_digest_figures_match_sql_and_show_no_small_cells_or_raw_text(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The service logs at INFO; our own modules are checked down to DEBUG. (SQLAlchemy's DEBUG
    # lines echo SQL parameters, stored answers included: never run production at DEBUG.)
    caplog.set_level(logging.INFO)
    for name in ("bot", "praatmee", "actions", "moderation", "nlu"):
        caplog.set_level(logging.DEBUG, logger=name)
    settings = settings_for(backend, tmp_path, request)
    async with running(settings, clock=week_clock(WEEK)) as (service, client):
        assert service.db is not None and service.catalog is not None
        catalog = service.catalog
        await _seed(service, client, catalog)
        db = service.db
        builder = DigestBuilder(InsightQueries(db), FeedbackStore(db), catalog, settings.municipalities)
        digest = await builder.build(Scope("beverwijk"), WEEK, "nl")

        # Headline figures and their trends equal plain SQL counts (or are hidden when small).
        figures = {f.key: f for f in digest.headline}
        for i, week in enumerate(WEEKS):
            expected = await sql_counts(db, "beverwijk", week, DIALOGUE)
            for key in ("unique", "answers", "suggestions", "topics"):
                assert figures[key].values[i] == _expect(expected[key]), (key, week)
            back, new = expected["returning"], expected["unique"] - expected["returning"]
            if expected["unique"] < 5 or 0 < back < 5 or (back and 0 < new < 5):
                assert figures["returning"].values[i] is None  # or newcomers could be read back
            else:
                assert figures["returning"].values[i] == back
            section = next(s for s in digest.dialogues if s.id == DIALOGUE)
            rate = section.completion.values[i]
            c, s = expected["completers"], expected["starters"]
            if s >= 5 and (c == 0 or c >= 5) and (s - c == 0 or s - c >= 5):
                assert rate == pytest.approx(c / s)
            else:
                assert rate is None
        this_week = await sql_counts(db, "beverwijk", WEEK, DIALOGUE)
        assert this_week["unique"] == 24 + 9 + 7  # direct writes + walked through the service
        assert figures["returning"].current is not None and figures["returning"].current > 0

        # Answer distributions: exact where shown, hidden where small, nothing derivable.
        section = next(s for s in digest.dialogues if s.id == DIALOGUE)
        small_labels: list[str] = []
        for question in section.questions:
            if question.step_id not in ("plek", "avond-veilig", "missen", "sport"):
                continue
            respondents, raw = await sql_option_counts(db, "beverwijk", WEEK, DIALOGUE, question.step_id)
            assert question.respondents == respondents
            step = catalog.get(DIALOGUE).step(question.step_id)  # type: ignore[union-attr]
            ids = [o.id for o in step.options] or ["yes", "no"]
            for option_id, row in zip(ids, question.rows, strict=True):
                n = raw.get(option_id, 0)
                if 0 < n < 5:
                    assert row.count is None
                    small_labels.append(row.label)
                else:
                    assert row.count in (n, None)  # None only as a complementary cell
            if not question.multiple:
                hidden = respondents - sum(r.count for r in question.rows if r.count is not None)
                assert hidden == 0 or hidden >= 5
        assert small_labels, "the seed should produce some small cells"

        # Another municipality's data never shows up.
        assert all(s.id != "rondkomen" for s in digest.dialogues)
        assert all(theme != "wonen" for theme, _ in section.themes)

        # The CLI writes the same digest to a folder: no small cell, no canary, no other town.
        _env(monkeypatch, settings, tmp_path)
        out = io.StringIO()
        args = argparse.Namespace(week=WEEK, municipality="beverwijk", out=tmp_path / "out", lang="nl",
                                  domains=(), themes=(), send=False, official=None)
        assert await digest_command(args, out) == 0
        html = (tmp_path / "out" / "digest.html").read_text()
        txt = (tmp_path / "out" / "digest.txt").read_text()
        rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "digest.csv").read_text())))
        for label in small_labels:
            assert f"<td>{label}</td><td class=\"n\">minder dan 5</td>" in html
            assert f"- {label}: minder dan 5" in txt
        for row in rows:
            if row["value"]:
                assert int(float(row["value"])) == 0 or float(row["value"]) >= 5 or row["unit"] == "percent"
            else:
                assert row["note"] == "fewer than 5"
        hidden_rows = [r for r in rows if r["section"] == "answer" and r["item"] in small_labels]
        assert hidden_rows and all(r["value"] == "" for r in hidden_rows)
        for text in (html, txt, "\n".join(",".join(r.values()) for r in rows)):
            assert CANARY not in text
            assert "Heemskerk" not in text and "heemskerk" not in text and "wonen" not in text

        # Quotes appear only after review; the reviewer keeps the canary out.
        queue = ReviewQueue(db)
        assert await queue.fill("beverwijk", WEEK, service.clock()) > 0
        items = await queue.items("beverwijk", WEEK, statuses=("pending", "held"))
        canary_items = [i for i in items if CANARY in i.text]
        assert len(canary_items) == 1
        await queue.reject(canary_items[0].id, "ambtenaar1", service.clock())
        keep = [i for i in items if i.status == "pending" and CANARY not in i.text][:2]
        await queue.approve(keep[0].id, "ambtenaar1", service.clock())
        await queue.approve(keep[1].id, "ambtenaar1", service.clock(), text="een plek om te sporten, [NAAM]")
        for item in items[:5]:
            await queue.mark_useful(item.id, "ambtenaar1", service.clock())
        again: Digest = await builder.build(Scope("beverwijk"), WEEK, "nl")
        section = next(s for s in again.dialogues if s.id == DIALOGUE)
        assert keep[0].text in section.quotes
        assert "een plek om te sporten, [NAAM]" in section.quotes
        assert not any(CANARY in q for q in section.quotes)
        assert {f.key: f for f in again.headline}["useful"].current == 5

        heemskerk = await builder.build(Scope("heemskerk"), WEEK, "nl")
        assert [s.id for s in heemskerk.dialogues] == ["rondkomen"]
        assert not heemskerk.dialogues[0].quotes  # approvals in one town never leak to another
    assert CANARY not in caplog.text


def test_leftover_risk_holds_back_what_the_anonymiser_missed() -> None:
    assert leftover_risk("ik ben [NAAM] de Vries") is not None
    assert leftover_risk("bel 06 1234 5678") is not None
    assert leftover_risk("kijk op www.example.nl") is not None
    assert leftover_risk("Meer plekken om te chillen in de buurt") is None
    assert leftover_risk("de bus rijdt s avonds bijna niet. Echt jammer") is None
