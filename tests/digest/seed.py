"""Several weeks of answers for two municipalities, and independent SQL counts to check against.

Volume goes in with direct :class:`InsightStore` writes (fixed, varied, with
people coming back across weeks); a few participants of the last week go
through the real service over the web chat (``bot.simulate``) so the digest
also reads what the runtime itself stores.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Connection, text

from bot.dialogue.catalog import Catalog
from bot.dialogue.model import StepType
from bot.digest.weeks import monday
from bot.stores.sql.database import Database
from bot.stores.sql.insights import AnswerRecord, InsightStore

WEEKS = ("2026-W44", "2026-W45", "2026-W46", "2026-W47")
CANARY = "kanarie-zq7x"
THEMES = ("vrije_tijd", "vervoer", "veiligheid", "sport")


def at(week: str, day: int = 2, hour: int = 15) -> datetime:
    return datetime.combine(monday(week) + timedelta(days=day), time(hour), UTC)


async def seed_direct(db: Database, catalog: Catalog, municipality: str, people: int, seed: int,
                      *, themes: tuple[str, ...] = THEMES, dialogue_id: str = "vrije-tijd-buurt") -> None:
    """``people`` per week (about half of them came before), each answering a whole dialogue."""
    store = InsightStore(db)
    dialogue = catalog.get(dialogue_id)
    assert dialogue is not None
    rng = random.Random(seed)
    pool = [f"{municipality[:3]}-{seed}-{i:04d}" + "0" * 40 for i in range(people * 3)]
    n = 0
    for w, week in enumerate(WEEKS):
        count = people + 3 * w
        chosen = rng.sample(pool[: people + w * people // 2], k=min(count, people + w * people // 2))
        for p, pseudonym in enumerate(chosen):
            pseudonym = pseudonym[:64]
            when = at(week, day=p % 5)
            await store.enrol(pseudonym, "webchat", municipality, "nl", when)
            for step in dialogue.steps:
                if not step.is_question:
                    continue
                n += 1
                kw: dict[str, object] = {}
                if step.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
                    weights = [len(step.options) - i for i in range(len(step.options))]
                    picks = rng.choices([o.id for o in step.options], weights=weights,
                                        k=1 if step.type is StepType.SINGLE_CHOICE else 2)
                    kw["option_ids"] = tuple(dict.fromkeys(picks))
                elif step.type is StepType.YES_NO:
                    kw["option_ids"] = (rng.choice(["yes", "no"]),)
                elif step.type is StepType.SCALE:
                    kw["option_ids"] = (str(rng.randint(1, 5)),)
                elif step.type is StepType.NUMBER:
                    assert step.min is not None and step.max is not None
                    kw["number"] = float(rng.randint(int(step.min), int(step.max)))
                elif step.type is StepType.OPEN_TEXT:
                    if p % 4 == 3:
                        kw["skipped"] = True
                    else:
                        kw["text"] = f"idee nummer {p} voor de buurt"
                        kw["themes"] = (themes[p % len(themes)],)
                await store.add_answer(AnswerRecord(
                    f"{municipality}-{seed}-{n}", pseudonym, municipality, dialogue.domain, step.id,
                    str(step.type), "nl", when, dialogue_id=dialogue.id, **kw))  # type: ignore[arg-type]
            if p % 5 != 4:
                await store.add_completion(f"{municipality}-{seed}-{week}-{p}", pseudonym, municipality,
                                           dialogue.domain, dialogue.id, when)


async def sql_counts(db: Database, municipality: str, week: str, dialogue_id: str) -> dict[str, int]:
    """The headline figures, counted with plain SQL written for this test."""
    params = {"m": municipality, "w": week, "d": dialogue_id, "f": False}
    queries = {
        "unique": "SELECT COUNT(DISTINCT pseudonym) FROM answers WHERE municipality=:m AND iso_week=:w AND skipped=:f",
        "answers": "SELECT COUNT(*) FROM answers WHERE municipality=:m AND iso_week=:w AND skipped=:f",
        "returning": "SELECT COUNT(DISTINCT a.pseudonym) FROM answers a WHERE a.municipality=:m AND a.iso_week=:w "
                     "AND a.skipped=:f AND EXISTS (SELECT 1 FROM answers b WHERE b.pseudonym=a.pseudonym "
                     "AND b.municipality=:m AND b.skipped=:f AND b.iso_week < :w)",
        "suggestions": "SELECT COUNT(*) FROM answers WHERE municipality=:m AND iso_week=:w AND skipped=:f "
                       "AND step_type='open_text' AND text <> ''",
        "starters": "SELECT COUNT(DISTINCT pseudonym) FROM answers WHERE municipality=:m AND iso_week=:w "
                    "AND skipped=:f AND dialogue_id=:d",
        "completers": "SELECT COUNT(DISTINCT c.pseudonym) FROM completions c WHERE c.municipality=:m "
                      "AND c.iso_week=:w AND c.dialogue_id=:d AND c.pseudonym IN (SELECT pseudonym FROM answers "
                      "WHERE municipality=:m AND iso_week=:w AND skipped=:f AND dialogue_id=:d)",
        "topics": "SELECT COUNT(*) FROM topics WHERE municipality=:m AND iso_week=:w",
    }

    def work(conn: Connection) -> dict[str, int]:
        return {name: int(conn.execute(text(sql), params).scalar_one()) for name, sql in queries.items()}

    return await db.run(work)


async def sql_option_counts(db: Database, municipality: str, week: str, dialogue_id: str,
                            step_id: str) -> tuple[int, dict[str, int]]:
    """(respondents, people per option) for a choice question, from the raw rows."""
    sql = ("SELECT pseudonym, option_ids FROM answers WHERE municipality=:m AND iso_week=:w "
           "AND dialogue_id=:d AND step_id=:s AND skipped=:f")
    import json

    params = {"m": municipality, "w": week, "d": dialogue_id, "s": step_id, "f": False}
    rows = await db.run(lambda conn: conn.execute(text(sql), params).all())
    people: dict[str, set[str]] = {}
    respondents: set[str] = set()
    for pseudonym, options in rows:
        respondents.add(pseudonym)
        for o in json.loads(options):
            people.setdefault(o, set()).add(pseudonym)
    return len(respondents), {o: len(p) for o, p in people.items()}
