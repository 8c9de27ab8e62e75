"""Weekly digests on each official's day and hour (Europe/Amsterdam), surviving restarts.

Nothing is kept in memory between rounds: every round asks, per active
subscription, "is this week's send moment past?" and, if so, tries to send the
digest of the week before. The delivery log (:mod:`bot.digest.sends`) makes a
second attempt a no-op once a digest went out, so a restart, two service
instances or a catch-up after downtime never send twice.

The service starts it with::

    asyncio.create_task(scheduler.run(DigestJob(...)), name="digest-scheduler")
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.dialogue.catalog import Catalog
from bot.digest.build import DigestBuilder
from bot.digest.feedback import FeedbackStore
from bot.digest.mail import Mailer, MailError, SmtpSettings, compose
from bot.digest.officials import OfficialStore, Subscription
from bot.digest.queries import InsightQueries, Scope
from bot.digest.render import render
from bot.digest.sends import DigestLog, digest_key
from bot.digest.small_cells import K_DEFAULT
from bot.digest.weeks import AMSTERDAM, monday, previous_week, week_of
from bot.stores.sql.database import Database

__all__ = ["DigestJob", "due_week", "run", "send_digest"]

log = logging.getLogger(__name__)


def due_week(sub: Subscription, now: datetime) -> str | None:
    """The week whose digest is due for ``sub`` at ``now``, or None before this week's moment."""
    local = now.astimezone(AMSTERDAM)
    this_week = week_of(local)
    day = monday(this_week) + timedelta(days=sub.weekday - 1)
    moment = datetime.combine(day, time(sub.hour), AMSTERDAM)
    return previous_week(this_week) if local >= moment else None


@dataclass(frozen=True, slots=True)
class DigestJob:
    """Everything a digest send needs, built once by the service."""

    db: Database
    catalog: Catalog
    municipality_names: Mapping[str, str]
    smtp: SmtpSettings
    clock: Callable[[], datetime]
    k: int = K_DEFAULT

    def builder(self) -> DigestBuilder:
        return DigestBuilder(
            InsightQueries(self.db),
            FeedbackStore(self.db),
            self.catalog,
            self.municipality_names,
            self.k,
        )


async def send_digest(
    job: DigestJob, sub: Subscription, week: str, mailer: Mailer | None = None
) -> str:
    """Send ``week``'s digest to ``sub``: 'sent', 'skipped' (already sent or being sent), 'retry' or 'failed'."""
    sends = DigestLog(job.db)
    if not await sends.claim(sub.official_id, week, job.clock()):
        return "skipped"
    try:
        builder = job.builder()
        allowed = [m for m in sub.municipalities if m in sub.may_see]
        digests = [
            await builder.build(Scope(m, sub.domains, sub.themes), week, sub.lang) for m in allowed
        ]
        # Charts are CPU work: off the event loop, so chats are not held up.
        rendered = await asyncio.to_thread(render, digests, inline_images=False)
        envelope = compose(
            rendered,
            sub.email,
            job.smtp,
            idempotency_key=digest_key(sub.official_id, week),
        )
        await (mailer or Mailer(job.smtp)).send(envelope)
    except MailError as exc:
        outcome = await sends.failed(
            sub.official_id, week, str(exc), job.clock(), temporary=exc.temporary
        )
        log.warning("digest %s for official %s: %s (%s)", week, sub.official_id, outcome, exc)
        return outcome
    except Exception as exc:
        await sends.failed(
            sub.official_id, week, f"{type(exc).__name__}", job.clock(), temporary=True
        )
        raise
    await sends.sent(sub.official_id, week, envelope.message_id, job.clock())
    log.info("digest %s sent to official %s", week, sub.official_id)
    return "sent"


async def run_once(job: DigestJob, mailer: Mailer | None = None) -> dict[str, str]:
    """One round over every active subscription; official id -> outcome for those due."""
    outcomes: dict[str, str] = {}
    for sub in await OfficialStore(job.db).all(active_only=True):
        week = due_week(sub, job.clock())
        if week is None:
            continue
        try:
            outcomes[sub.official_id] = await send_digest(job, sub, week, mailer)
        except Exception:
            log.exception("digest for official %s failed; it is retried later", sub.official_id)
            outcomes[sub.official_id] = "retry"
    return outcomes


async def run(job: DigestJob, *, interval: float = 60.0, mailer: Mailer | None = None) -> None:
    """Check every ``interval`` seconds for ever; cancel the task to stop."""
    while True:
        try:
            await run_once(job, mailer)
        except Exception:
            log.exception("digest scheduler round failed")
        await asyncio.sleep(interval)
