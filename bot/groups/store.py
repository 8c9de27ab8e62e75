"""Groups, members, coaches, invites and prompts in the SQL database.

Every query that could reach another group takes the group id from the caller's
own checked list (see :mod:`bot.groups.desk`); results leave this module only as
counts per prompt, never as rows per person.

Each method is one :meth:`Database.run` job. The statements are built once, here
at module level, with named parameters: :class:`GroupDesk` reads this store while
routing inbound messages, so a call costs a parameter dict, not a statement build.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.sql.dml import Update

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


# --- statements, built once --------------------------------------------------------------
# Parameter names differ from column names where an UPDATE or DELETE uses them: a
# bindparam named like a column of the target table is reserved for its SET clause.

_GROUP = select(peer_groups).where(peer_groups.c.group_id == bindparam("gid"),
                                   peer_groups.c.active.is_(True))
_GROUP_BY_CODE = select(peer_groups).where(peer_groups.c.join_code == bindparam("code"),
                                           peer_groups.c.active.is_(True))
_ADD_GROUP = insert(peer_groups)
_SET_JOIN_CODE = (update(peer_groups).where(peer_groups.c.group_id == bindparam("gid"))
                  .values(join_code=bindparam("code")))
_MEMBER_COUNT = (select(func.count()).select_from(group_members)
                 .where(group_members.c.group_id == bindparam("gid")))

_IS_MEMBER = select(group_members.c.pseudonym).where(group_members.c.group_id == bindparam("gid"),
                                                     group_members.c.pseudonym == bindparam("ps"))
_ADD_MEMBER = insert(group_members)
_REMOVE_MEMBER = delete(group_members).where(group_members.c.group_id == bindparam("gid"),
                                             group_members.c.pseudonym == bindparam("ps"))
_WAITING = select(prompt_recipients.c.prompt_id).where(
    prompt_recipients.c.group_id == bindparam("gid"), prompt_recipients.c.pseudonym == bindparam("ps"),
    prompt_recipients.c.answered_at.is_(None))
_DROP_PENDING = delete(outbox).where(outbox.c.idempotency_key.in_(bindparam("keys", expanding=True)),
                                     outbox.c.status == "pending")
_GROUPS_OF_MEMBER = (select(peer_groups)
                     .join(group_members, group_members.c.group_id == peer_groups.c.group_id)
                     .where(group_members.c.pseudonym == bindparam("ps")))
_MEMBERS_FROM_START = (
    select(group_members.c.pseudonym, addresses.c.channel, addresses.c.address_enc,
           participants.c.lang, participants.c.active, participants.c.unreachable)
    .select_from(group_members
                 .outerjoin(addresses, addresses.c.pseudonym == group_members.c.pseudonym)
                 .outerjoin(participants, participants.c.pseudonym == group_members.c.pseudonym))
    .where(group_members.c.group_id == bindparam("gid"))
    .order_by(group_members.c.pseudonym)
    .limit(bindparam("lim", type_=Integer))
)
_MEMBERS_AFTER = _MEMBERS_FROM_START.where(group_members.c.pseudonym > bindparam("after"))

_ADD_INVITE = insert(coach_invites)
_USE_INVITE = (update(coach_invites)
               .where(coach_invites.c.code_hash == bindparam("digest"), coach_invites.c.used_at.is_(None))
               .values(used_at=bindparam("at")))
_INVITE_GROUP = select(coach_invites.c.group_id).where(coach_invites.c.code_hash == bindparam("digest"))
_IS_COACH = select(coaches.c.pseudonym).where(coaches.c.group_id == bindparam("gid"),
                                              coaches.c.pseudonym == bindparam("ps"))
_ADD_COACH = insert(coaches)
_COACH_GROUPS = (select(peer_groups).join(coaches, coaches.c.group_id == peer_groups.c.group_id)
                 .where(coaches.c.pseudonym == bindparam("ps"), peer_groups.c.active.is_(True))
                 .order_by(peer_groups.c.created_at))
_COACHES_OF = select(coaches.c.pseudonym).where(coaches.c.group_id == bindparam("gid"))

_REQUIRES_APPROVAL = select(group_policies.c.require_approval).where(
    group_policies.c.municipality == bindparam("muni"))

_ADD_PROMPT = insert(group_prompts)
_PROMPT = select(group_prompts).where(group_prompts.c.prompt_id == bindparam("pid"))
_PROMPTS_BY = (select(group_prompts).where(group_prompts.c.pseudonym == bindparam("coach"))
               .order_by(group_prompts.c.created_at.desc()).limit(bindparam("lim", type_=Integer)))
_PROMPTS_WITH_STATUS = (select(group_prompts).where(group_prompts.c.status == bindparam("want"))
                        .order_by(group_prompts.c.created_at))


def _set_status_stmt(expect: bool, approve: bool) -> Update:
    stmt = update(group_prompts).where(group_prompts.c.prompt_id == bindparam("pid"))
    if expect:
        stmt = stmt.where(group_prompts.c.status == bindparam("expect"))
    values: dict[str, Any] = {"status": bindparam("new_status")}
    if approve:
        values["approved_by"] = bindparam("approver")
    return stmt.values(**values)


#: By (expect given, approved_by given).
_SET_STATUS = {(e, a): _set_status_stmt(e, a) for e in (False, True) for a in (False, True)}

_HISTORIES = select(prompt_recipients.c.pseudonym, prompt_recipients.c.due_at,
                    prompt_recipients.c.open_until, prompt_recipients.c.answered_at).where(
    prompt_recipients.c.pseudonym.in_(bindparam("pss", expanding=True)),
    prompt_recipients.c.due_at > bindparam("since"),
    prompt_recipients.c.prompt_id != bindparam("exclude"))
_OPEN_RECIPIENT = select(prompt_recipients.c.group_id).where(
    prompt_recipients.c.prompt_id == bindparam("pid"), prompt_recipients.c.pseudonym == bindparam("ps"),
    prompt_recipients.c.answered_at.is_(None), prompt_recipients.c.due_at <= bindparam("now"))
_MARK_ANSWERED = (update(prompt_recipients)
                  .where(prompt_recipients.c.prompt_id == bindparam("pid"),
                         prompt_recipients.c.pseudonym == bindparam("ps"),
                         prompt_recipients.c.answered_at.is_(None))
                  .values(answered_at=bindparam("at")))
_RECIPIENT_COUNT = (select(func.count()).select_from(prompt_recipients)
                    .where(prompt_recipients.c.prompt_id == bindparam("pid")))
_ANSWER_COUNTS = (select(answers.c.option_ids, func.count()).where(answers.c.prompt_id == bindparam("pid"))
                  .group_by(answers.c.option_ids))
_TOPICS_IN_WEEK = select(func.count()).select_from(topics).where(
    topics.c.group_id == bindparam("gid"), topics.c.iso_week == bindparam("week"))

_ERASE = tuple(delete(table).where(table.c.pseudonym == bindparam("ps"))
               for table in (group_members, coaches, prompt_recipients))
_REKEY = tuple(update(table).where(table.c.pseudonym == bindparam("old")).values(pseudonym=bindparam("new"))
               for table in (group_members, coaches, prompt_recipients, group_prompts))


def _active_group(conn: Connection, group_id: str) -> Group | None:
    row = conn.execute(_GROUP, {"gid": group_id}).first()
    return None if row is None else _group(row)


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
        values = {"group_id": group.group_id, "municipality": municipality, "domain": domain,
                  "name": group.name, "join_code": group.join_code, "active": True, "created_at": at}

        def work(conn: Connection) -> None:
            conn.execute(_ADD_GROUP, values)

        await self._db.run(work)
        return group

    async def group(self, group_id: str) -> Group | None:
        return await self._db.run(lambda conn: _active_group(conn, group_id))

    async def group_by_code(self, join_code: str) -> Group | None:
        params = {"code": join_code.lower()}

        def work(conn: Connection) -> Row[Any] | None:
            return conn.execute(_GROUP_BY_CODE, params).first()

        row = await self._db.run(work)
        return None if row is None else _group(row)

    async def rotate_join_code(self, group_id: str) -> str:
        """A fresh join link; the old one stops working (a leaked link can be shut)."""
        code = new_join_code()

        def work(conn: Connection) -> None:
            conn.execute(_SET_JOIN_CODE, {"gid": group_id, "code": code})

        await self._db.run(work)
        return code

    async def member_count(self, group_id: str) -> int:
        def work(conn: Connection) -> int:
            return int(conn.execute(_MEMBER_COUNT, {"gid": group_id}).scalar_one())

        return await self._db.run(work)

    # --- members ---------------------------------------------------------------------------

    async def join(self, group_id: str, pseudonym: str, at: datetime) -> bool:
        """Add a member; False when they were in the group already."""
        def work(conn: Connection) -> bool:
            if conn.execute(_IS_MEMBER, {"gid": group_id, "ps": pseudonym}).first() is not None:
                return False
            conn.execute(_ADD_MEMBER, {"group_id": group_id, "pseudonym": pseudonym, "joined_at": at})
            return True

        return await self._db.run(work)

    async def leave(self, group_id: str, pseudonym: str) -> bool:
        """Remove a member and every copy of this group's prompts still waiting for them."""
        params = {"gid": group_id, "ps": pseudonym}

        def work(conn: Connection) -> bool:
            gone = conn.execute(_REMOVE_MEMBER, params).rowcount
            waiting = conn.execute(_WAITING, params).scalars().all()
            keys = [recipient_key(p, pseudonym) for p in waiting]
            if keys:
                conn.execute(_DROP_PENDING, {"keys": keys})
            return bool(gone)

        return await self._db.run(work)

    async def groups_of_member(self, pseudonym: str) -> list[Group]:
        def work(conn: Connection) -> list[Group]:
            return [_group(r) for r in conn.execute(_GROUPS_OF_MEMBER, {"ps": pseudonym})]

        return await self._db.run(work)

    async def member_batch(self, group_id: str, after: str | None, limit: int) -> list[Member]:
        """Members in pseudonym order after ``after``, with their sealed address (keyset paging)."""
        if after is None:
            stmt, params = _MEMBERS_FROM_START, {"gid": group_id, "lim": limit}
        else:
            stmt, params = _MEMBERS_AFTER, {"gid": group_id, "lim": limit, "after": after}

        def work(conn: Connection) -> list[Row[Any]]:
            return list(conn.execute(stmt, params).all())

        rows = await self._db.run(work)
        return [Member(r.pseudonym, r.channel, r.address_enc, r.lang or "nl",
                       bool(r.address_enc) and r.active is not False and not r.unreachable)
                for r in rows]

    # --- coaches ---------------------------------------------------------------------------

    async def new_invite(self, group_id: str, code: str, at: datetime) -> None:
        values = {"code_hash": invite_hash(code), "group_id": group_id, "created_at": at}

        def work(conn: Connection) -> None:
            conn.execute(_ADD_INVITE, values)

        await self._db.run(work)

    async def redeem_invite(self, code: str, pseudonym: str, at: datetime) -> Group | None:
        """Use a one-time code: the pseudonym becomes a coach of its group. None if unknown or used."""
        digest = invite_hash(code)

        def work(conn: Connection) -> Group | None:
            if conn.execute(_USE_INVITE, {"digest": digest, "at": at}).rowcount != 1:
                return None
            group_id = conn.execute(_INVITE_GROUP, {"digest": digest}).scalar_one()
            if conn.execute(_IS_COACH, {"gid": group_id, "ps": pseudonym}).first() is None:
                conn.execute(_ADD_COACH, {"group_id": group_id, "pseudonym": pseudonym, "registered_at": at})
            return _active_group(conn, group_id)

        return await self._db.run(work)

    async def coach_groups(self, pseudonym: str) -> list[Group]:
        def work(conn: Connection) -> list[Group]:
            return [_group(r) for r in conn.execute(_COACH_GROUPS, {"ps": pseudonym})]

        return await self._db.run(work)

    async def coaches_of(self, group_id: str) -> list[str]:
        def work(conn: Connection) -> list[str]:
            return list(conn.execute(_COACHES_OF, {"gid": group_id}).scalars())

        return await self._db.run(work)

    # --- approval rule ---------------------------------------------------------------------

    async def requires_approval(self, municipality: str) -> bool:
        def work(conn: Connection) -> bool:
            return bool(conn.execute(_REQUIRES_APPROVAL, {"muni": municipality}).scalar())

        return await self._db.run(work)

    async def set_requires_approval(self, municipality: str, required: bool, at: datetime) -> None:
        stmt = upsert(self._db.dialect, group_policies, "municipality", ("require_approval", "updated_at"))
        values = {"municipality": municipality, "require_approval": required, "updated_at": at}

        def work(conn: Connection) -> None:
            conn.execute(stmt, values)

        await self._db.run(work)

    # --- prompts ---------------------------------------------------------------------------

    async def add_prompt(self, prompt: Prompt) -> None:
        values = {
            "prompt_id": prompt.prompt_id, "group_id": prompt.group_id, "pseudonym": prompt.coach,
            "municipality": prompt.municipality, "domain": prompt.domain, "question": prompt.question,
            "options": json.dumps(list(prompt.options), ensure_ascii=False), "status": prompt.status,
            "send_at": prompt.send_at, "created_at": prompt.created_at, "now_count": 0, "later_count": 0,
            "never_count": 0,
        }

        def work(conn: Connection) -> None:
            conn.execute(_ADD_PROMPT, values)

        await self._db.run(work)

    async def prompt(self, prompt_id: str) -> Prompt | None:
        def work(conn: Connection) -> Row[Any] | None:
            return conn.execute(_PROMPT, {"pid": prompt_id}).first()

        row = await self._db.run(work)
        return None if row is None else _prompt(row)

    async def prompts_by(self, coach: str, limit: int = 5) -> list[Prompt]:
        """A coach's own prompts, newest first."""
        def work(conn: Connection) -> list[Row[Any]]:
            return list(conn.execute(_PROMPTS_BY, {"coach": coach, "lim": limit}).all())

        return [_prompt(r) for r in await self._db.run(work)]

    async def prompts_with_status(self, status: str) -> list[Prompt]:
        def work(conn: Connection) -> list[Row[Any]]:
            return list(conn.execute(_PROMPTS_WITH_STATUS, {"want": status}).all())

        return [_prompt(r) for r in await self._db.run(work)]

    async def set_status(self, prompt_id: str, status: str, *, expect: str | None = None,
                         approved_by: str | None = None) -> bool:
        """Change a prompt's status (only from ``expect``, when given)."""
        stmt = _SET_STATUS[expect is not None, approved_by is not None]
        params: dict[str, object] = {"pid": prompt_id, "new_status": status}
        if expect is not None:
            params["expect"] = expect
        if approved_by is not None:
            params["approver"] = approved_by

        def work(conn: Connection) -> bool:
            return bool(conn.execute(stmt, params).rowcount)

        return await self._db.run(work)

    # --- recipients and answers ------------------------------------------------------------

    async def histories(self, pseudonyms: Sequence[str], since: datetime,
                        exclude: str) -> dict[str, list[PastPrompt]]:
        """Each member's prompts due after ``since`` (other than ``exclude``), for the fatigue policy."""
        found: dict[str, list[PastPrompt]] = defaultdict(list)
        if not pseudonyms:
            return found
        params = {"pss": list(pseudonyms), "since": since, "exclude": exclude}

        def work(conn: Connection) -> list[Row[Any]]:
            return list(conn.execute(_HISTORIES, params).all())

        for r in await self._db.run(work):
            closes = min(r.open_until, r.answered_at) if r.answered_at else r.open_until
            found[r.pseudonym].append(PastPrompt(r.due_at, closes))
        return found

    async def open_recipient(self, prompt_id: str, pseudonym: str, now: datetime) -> str | None:
        """The group of an unanswered copy this member got and may still answer, else None."""
        def work(conn: Connection) -> str | None:
            row = conn.execute(_OPEN_RECIPIENT, {"pid": prompt_id, "ps": pseudonym, "now": now}).first()
            return None if row is None else str(row[0])

        return await self._db.run(work)

    async def mark_answered(self, prompt_id: str, pseudonym: str, at: datetime) -> bool:
        def work(conn: Connection) -> bool:
            return bool(conn.execute(_MARK_ANSWERED, {"pid": prompt_id, "ps": pseudonym, "at": at}).rowcount)

        return await self._db.run(work)

    async def results(self, prompt: Prompt) -> PromptResults:
        """Counts only: recipients, answers, and people per option."""
        params = {"pid": prompt.prompt_id}

        def work(conn: Connection) -> tuple[int, list[Row[Any]]]:
            return (int(conn.execute(_RECIPIENT_COUNT, params).scalar_one()),
                    list(conn.execute(_ANSWER_COUNTS, params).all()))

        recipients, rows = await self._db.run(work)
        by_option: dict[int, int] = {i: 0 for i in range(len(prompt.options))}
        answered = 0
        for option_ids, n in rows:
            answered += int(n)
            for oid in json.loads(option_ids or "[]"):
                if oid.startswith("o") and oid[1:].isdigit() and int(oid[1:]) in by_option:
                    by_option[int(oid[1:])] += int(n)
        return PromptResults(prompt, recipients, answered, by_option)

    async def topics_this_week(self, group_id: str, now: datetime) -> int:
        params = {"gid": group_id, "week": iso_week(now)}

        def work(conn: Connection) -> int:
            return int(conn.execute(_TOPICS_IN_WEEK, params).scalar_one())

        return await self._db.run(work)

    # --- privacy ---------------------------------------------------------------------------

    async def erase(self, pseudonym: str) -> int:
        """"Vergeet mij": memberships, coach roles and the fatigue ledger of this pseudonym."""
        def work(conn: Connection) -> int:
            return sum(conn.execute(stmt, {"ps": pseudonym}).rowcount or 0 for stmt in _ERASE)

        return await self._db.run(work)

    async def rekey(self, old: str, new: str) -> None:
        def work(conn: Connection) -> None:
            for stmt in _REKEY:
                conn.execute(stmt, {"old": old, "new": new})

        await self._db.run(work)
