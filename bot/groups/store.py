"""Groups, members, coaches, invites and prompts in the SQL database.

Every query that could reach another group takes the group id from the caller's
own checked list (see :mod:`bot.groups.desk`); results leave this module only as
counts per prompt, never as rows per person.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from bot.groups.codes import invite_hash, new_group_id, new_join_code
from bot.groups.fatigue import PastPrompt
from bot.groups.model import Group, Member, Prompt, PromptResults
from bot.stores.sql._dialect import upsert
from bot.stores.sql.database import Database
from bot.stores.sql.insights import iso_week
from bot.stores.sql.tables import addresses, answers, outbox, participants, topics
from bot.stores.sql.tables_groups import (
    coach_invites,
    coaches,
    group_members,
    group_policies,
    group_prompts,
    peer_groups,
    prompt_recipients,
)

__all__ = ["GroupStore", "recipient_key"]


def recipient_key(prompt_id: str, pseudonym: str) -> str:
    """The outbox idempotency key of one member's copy of one prompt."""
    return hashlib.sha256(f"prompt:{prompt_id}:{pseudonym}".encode()).hexdigest()


def _group(row: object) -> Group:
    return Group(row.group_id, row.municipality, row.domain, row.name, row.join_code)  # type: ignore[attr-defined]


def _prompt(row: object) -> Prompt:
    r = row
    return Prompt(
        prompt_id=r.prompt_id, group_id=r.group_id, coach=r.pseudonym,  # type: ignore[attr-defined]
        municipality=r.municipality, domain=r.domain, question=r.question,  # type: ignore[attr-defined]
        options=tuple(json.loads(r.options)), status=r.status, send_at=r.send_at,  # type: ignore[attr-defined]
        created_at=r.created_at, cursor=r.cursor, now_count=r.now_count,  # type: ignore[attr-defined]
        later_count=r.later_count, never_count=r.never_count,  # type: ignore[attr-defined]
    )


class GroupStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # --- groups ----------------------------------------------------------------------------

    async def create_group(self, municipality: str, domain: str, name: str, at: datetime) -> Group:
        group = Group(new_group_id(), municipality, domain, name.strip()[:100], new_join_code())
        async with self._db.engine.begin() as conn:
            await conn.execute(insert(peer_groups).values(
                group_id=group.group_id, municipality=municipality, domain=domain, name=group.name,
                join_code=group.join_code, active=True, created_at=at))
        return group

    async def group(self, group_id: str) -> Group | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(peer_groups).where(
                peer_groups.c.group_id == group_id, peer_groups.c.active.is_(True)))).first()
        return None if row is None else _group(row)

    async def group_by_code(self, join_code: str) -> Group | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(peer_groups).where(
                peer_groups.c.join_code == join_code.lower(), peer_groups.c.active.is_(True)))).first()
        return None if row is None else _group(row)

    async def rotate_join_code(self, group_id: str) -> str:
        """A fresh join link; the old one stops working (a leaked link can be shut)."""
        code = new_join_code()
        async with self._db.engine.begin() as conn:
            await conn.execute(update(peer_groups).where(peer_groups.c.group_id == group_id)
                               .values(join_code=code))
        return code

    async def member_count(self, group_id: str) -> int:
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(group_members)
                                           .where(group_members.c.group_id == group_id))).scalar_one())

    # --- members ---------------------------------------------------------------------------

    async def join(self, group_id: str, pseudonym: str, at: datetime) -> bool:
        """Add a member; False when they were in the group already."""
        async with self._db.engine.begin() as conn:
            known = (await conn.execute(select(group_members.c.pseudonym).where(
                group_members.c.group_id == group_id, group_members.c.pseudonym == pseudonym))).first()
            if known is not None:
                return False
            await conn.execute(insert(group_members).values(group_id=group_id, pseudonym=pseudonym,
                                                            joined_at=at))
        return True

    async def leave(self, group_id: str, pseudonym: str) -> bool:
        """Remove a member and every copy of this group's prompts still waiting for them."""
        async with self._db.engine.begin() as conn:
            gone = await conn.execute(delete(group_members).where(
                group_members.c.group_id == group_id, group_members.c.pseudonym == pseudonym))
            waiting = (await conn.execute(select(prompt_recipients.c.prompt_id).where(
                prompt_recipients.c.group_id == group_id, prompt_recipients.c.pseudonym == pseudonym,
                prompt_recipients.c.answered_at.is_(None)))).scalars().all()
            keys = [recipient_key(p, pseudonym) for p in waiting]
            if keys:
                await conn.execute(delete(outbox).where(outbox.c.idempotency_key.in_(keys),
                                                        outbox.c.status == "pending"))
        return bool(gone.rowcount)

    async def groups_of_member(self, pseudonym: str) -> list[Group]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(
                select(peer_groups).join(group_members, group_members.c.group_id == peer_groups.c.group_id)
                .where(group_members.c.pseudonym == pseudonym))).all()
        return [_group(r) for r in rows]

    async def member_batch(self, group_id: str, after: str | None, limit: int) -> list[Member]:
        """Members in pseudonym order after ``after``, with their sealed address (keyset paging)."""
        stmt = (
            select(group_members.c.pseudonym, addresses.c.channel, addresses.c.address_enc,
                   participants.c.lang, participants.c.active, participants.c.unreachable)
            .select_from(group_members
                         .outerjoin(addresses, addresses.c.pseudonym == group_members.c.pseudonym)
                         .outerjoin(participants, participants.c.pseudonym == group_members.c.pseudonym))
            .where(group_members.c.group_id == group_id)
            .order_by(group_members.c.pseudonym)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(group_members.c.pseudonym > after)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [Member(r.pseudonym, r.channel, r.address_enc, r.lang or "nl",
                       bool(r.address_enc) and r.active is not False and not r.unreachable)
                for r in rows]

    # --- coaches ---------------------------------------------------------------------------

    async def new_invite(self, group_id: str, code: str, at: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(insert(coach_invites).values(code_hash=invite_hash(code), group_id=group_id,
                                                            created_at=at))

    async def redeem_invite(self, code: str, pseudonym: str, at: datetime) -> Group | None:
        """Use a one-time code: the pseudonym becomes a coach of its group. None if unknown or used."""
        digest = invite_hash(code)
        async with self._db.engine.begin() as conn:
            used = await conn.execute(update(coach_invites).where(
                coach_invites.c.code_hash == digest, coach_invites.c.used_at.is_(None)).values(used_at=at))
            if used.rowcount != 1:
                return None
            group_id = (await conn.execute(select(coach_invites.c.group_id).where(
                coach_invites.c.code_hash == digest))).scalar_one()
            known = (await conn.execute(select(coaches.c.pseudonym).where(
                coaches.c.group_id == group_id, coaches.c.pseudonym == pseudonym))).first()
            if known is None:
                await conn.execute(insert(coaches).values(group_id=group_id, pseudonym=pseudonym,
                                                          registered_at=at))
        return await self.group(group_id)

    async def coach_groups(self, pseudonym: str) -> list[Group]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(
                select(peer_groups).join(coaches, coaches.c.group_id == peer_groups.c.group_id)
                .where(coaches.c.pseudonym == pseudonym, peer_groups.c.active.is_(True))
                .order_by(peer_groups.c.created_at))).all()
        return [_group(r) for r in rows]

    async def coaches_of(self, group_id: str) -> list[str]:
        async with self._db.engine.connect() as conn:
            return list((await conn.execute(select(coaches.c.pseudonym)
                                            .where(coaches.c.group_id == group_id))).scalars())

    # --- approval rule ---------------------------------------------------------------------

    async def requires_approval(self, municipality: str) -> bool:
        async with self._db.engine.connect() as conn:
            value = (await conn.execute(select(group_policies.c.require_approval).where(
                group_policies.c.municipality == municipality))).scalar()
        return bool(value)

    async def set_requires_approval(self, municipality: str, required: bool, at: datetime) -> None:
        values = {"municipality": municipality, "require_approval": required, "updated_at": at}
        async with self._db.engine.begin() as conn:
            await conn.execute(upsert(self._db.dialect, group_policies, "municipality", values,
                                      ["require_approval", "updated_at"]))

    # --- prompts ---------------------------------------------------------------------------

    async def add_prompt(self, prompt: Prompt) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(insert(group_prompts).values(
                prompt_id=prompt.prompt_id, group_id=prompt.group_id, pseudonym=prompt.coach,
                municipality=prompt.municipality, domain=prompt.domain, question=prompt.question,
                options=json.dumps(list(prompt.options), ensure_ascii=False), status=prompt.status,
                send_at=prompt.send_at, created_at=prompt.created_at, now_count=0, later_count=0,
                never_count=0))

    async def prompt(self, prompt_id: str) -> Prompt | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(group_prompts)
                                      .where(group_prompts.c.prompt_id == prompt_id))).first()
        return None if row is None else _prompt(row)

    async def prompts_by(self, coach: str, limit: int = 5) -> list[Prompt]:
        """A coach's own prompts, newest first."""
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(group_prompts).where(group_prompts.c.pseudonym == coach)
                                       .order_by(group_prompts.c.created_at.desc()).limit(limit))).all()
        return [_prompt(r) for r in rows]

    async def prompts_with_status(self, status: str) -> list[Prompt]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(group_prompts).where(group_prompts.c.status == status)
                                       .order_by(group_prompts.c.created_at))).all()
        return [_prompt(r) for r in rows]

    async def set_status(self, prompt_id: str, status: str, *, expect: str | None = None,
                         approved_by: str | None = None) -> bool:
        """Change a prompt's status (only from ``expect``, when given)."""
        stmt = update(group_prompts).where(group_prompts.c.prompt_id == prompt_id)
        if expect is not None:
            stmt = stmt.where(group_prompts.c.status == expect)
        values: dict[str, object] = {"status": status}
        if approved_by is not None:
            values["approved_by"] = approved_by
        async with self._db.engine.begin() as conn:
            return bool((await conn.execute(stmt.values(**values))).rowcount)

    # --- recipients and answers ------------------------------------------------------------

    async def histories(self, pseudonyms: Sequence[str], since: datetime,
                        exclude: str) -> dict[str, list[PastPrompt]]:
        """Each member's prompts due after ``since`` (other than ``exclude``), for the fatigue policy."""
        found: dict[str, list[PastPrompt]] = defaultdict(list)
        if not pseudonyms:
            return found
        stmt = select(prompt_recipients.c.pseudonym, prompt_recipients.c.due_at,
                      prompt_recipients.c.open_until, prompt_recipients.c.answered_at).where(
            prompt_recipients.c.pseudonym.in_(list(pseudonyms)), prompt_recipients.c.due_at > since,
            prompt_recipients.c.prompt_id != exclude)
        async with self._db.engine.connect() as conn:
            for r in (await conn.execute(stmt)).all():
                closes = min(r.open_until, r.answered_at) if r.answered_at else r.open_until
                found[r.pseudonym].append(PastPrompt(r.due_at, closes))
        return found

    async def open_recipient(self, prompt_id: str, pseudonym: str, now: datetime) -> str | None:
        """The group of an unanswered copy this member got and may still answer, else None."""
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(prompt_recipients.c.group_id).where(
                prompt_recipients.c.prompt_id == prompt_id, prompt_recipients.c.pseudonym == pseudonym,
                prompt_recipients.c.answered_at.is_(None), prompt_recipients.c.due_at <= now))).first()
        return None if row is None else str(row[0])

    async def mark_answered(self, prompt_id: str, pseudonym: str, at: datetime) -> bool:
        async with self._db.engine.begin() as conn:
            result = await conn.execute(update(prompt_recipients).where(
                prompt_recipients.c.prompt_id == prompt_id, prompt_recipients.c.pseudonym == pseudonym,
                prompt_recipients.c.answered_at.is_(None)).values(answered_at=at))
        return bool(result.rowcount)

    async def results(self, prompt: Prompt) -> PromptResults:
        """Counts only: recipients, answers, and people per option."""
        async with self._db.engine.connect() as conn:
            recipients = int((await conn.execute(select(func.count()).select_from(prompt_recipients)
                                                 .where(prompt_recipients.c.prompt_id == prompt.prompt_id))).scalar_one())
            rows = (await conn.execute(
                select(answers.c.option_ids, func.count()).where(answers.c.prompt_id == prompt.prompt_id)
                .group_by(answers.c.option_ids))).all()
        by_option: dict[int, int] = {i: 0 for i in range(len(prompt.options))}
        answered = 0
        for option_ids, n in rows:
            answered += int(n)
            for oid in json.loads(option_ids or "[]"):
                if oid.startswith("o") and oid[1:].isdigit() and int(oid[1:]) in by_option:
                    by_option[int(oid[1:])] += int(n)
        return PromptResults(prompt, recipients, answered, by_option)

    async def topics_this_week(self, group_id: str, now: datetime) -> int:
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(topics).where(
                topics.c.group_id == group_id, topics.c.iso_week == iso_week(now)))).scalar_one())

    # --- privacy ---------------------------------------------------------------------------

    async def erase(self, pseudonym: str) -> int:
        """"Vergeet mij": memberships, coach roles and the fatigue ledger of this pseudonym."""
        total = 0
        async with self._db.engine.begin() as conn:
            for table in (group_members, coaches, prompt_recipients):
                total += (await conn.execute(delete(table).where(table.c.pseudonym == pseudonym))).rowcount or 0
        return total

    async def rekey(self, old: str, new: str) -> None:
        async with self._db.engine.begin() as conn:
            for table in (group_members, coaches, prompt_recipients, group_prompts):
                await conn.execute(update(table).where(table.c.pseudonym == old).values(pseudonym=new))


