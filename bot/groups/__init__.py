"""Peer groups: members join by link or QR, coaches push flash polls within a fatigue policy.

Seeds: flash polls work but not too many in a row (lessen, les 8); peer groups
spread participation (les 12). See ``docs/coach.md``.
"""

from bot.groups.desk import GroupDesk, Routed
from bot.groups.fanout import Fanout, FanoutReport, Preview
from bot.groups.fatigue import Decision, FatiguePolicy, PastPrompt, Verdict, decide
from bot.groups.model import Group, Member, Prompt, PromptResults, PromptStatus
from bot.groups.store import GroupStore

__all__ = [
    "Decision",
    "Fanout",
    "FanoutReport",
    "FatiguePolicy",
    "Group",
    "GroupDesk",
    "GroupStore",
    "Member",
    "PastPrompt",
    "Preview",
    "Prompt",
    "PromptResults",
    "PromptStatus",
    "Routed",
    "Verdict",
    "decide",
]
