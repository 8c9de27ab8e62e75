"""Abuse and insults aimed at the bot or at other people, in Dutch (straattaal included) and English.

Abuse here means a message that insults or curses *at* someone: "kut bot", "fuck you",
"kanker op", "je bent een mongool", "kys". Swearing about one's own mood ("ik voel me kut",
"shit dag") is not abuse, nor is telling the bot what others said ("ze noemen me een hoer"),
nor the disease ("mn moeder heeft kanker"). The runtime answers abuse calmly and pauses a
participant who keeps at it (see :mod:`moderation.safety_policy`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from moderation.crisis import normalise

__all__ = ["AbuseDetector"]

_TARGET = r"(?:bot|chatbot|robot|ding|app|programma|computer|you|jij|je|jou|jullie|u|gast|mens|wijf|kind|man)"
#: Insults that name a person; abusive whenever they are aimed at someone.
_NOUN = (
    r"(?:idioot|idioten|debiel|debielen|sukkel|sukkels|loser|lul|eikel|klootzak|klootzakken|hoer|"
    r"hoeren|slet|sletje|bitch|bitches|whore|slut|idiot|moron|retard|cunt|dick|dickhead|asshole|"
    r"arsehole|prick|twat|kech|mongool|mongolen|mongol|mongo|flikker|kankerlijer|tyfuslijer|"
    r"teringlijer|kankerhoer|mafkees|trut|kutwijf|pannenkoek|malloot|bastard|wanker|faggot|fag|"
    r"nigger|nigga|kankerkind|homo|neger|aap|varken|kakkerlak|kutkind|tyfushoer)"
)
#: Words that insult only when said of the bot or a person ("this survey is stupid" is not abuse).
_ADJ = (
    r"(?:stupid|dumb|retarded|achterlijk|achterlijke|gestoord|gestoorde|zielig|zielige|waardeloos|"
    r"waardeloze|nutteloos|nutteloze|useless|trash|garbage|pathetic|dom|dom ding|kut|lelijk|ugly|"
    r"irritant|annoying|debiel|kanker)"
)
#: Curses that insult by themselves in Dutch street language ("kanker", "tering", "tyfus").
_DISEASE_CURSE = re.compile(
    r"\b(?:kanker|kenker|kk|kkr|tering|tyfus|tiefus|pleuris|klere|kolere)"
    r"(?:lijer|lijers|bot|hoer|hoeren|wijf|kind|mongool|app|zooi|ding|lul|homo|flikker|vragen|"
    r"school|leven|saai|dom|slecht|bende|jood|joden|turk|mocro|neger)?\b"
)
#: ... unless the disease itself is meant ("mn moeder heeft kanker", "strijd tegen kanker").
_MEDICAL = re.compile(
    r"\b(?:heeft|had|hebben|heb|hadden|aan|tegen|met|krijgt|kreeg|gekregen|overleden|genezen|chemo|"
    r"chemokuur|ziekenhuis|ziek|diagnose|kwf|tumor|behandeling|onderzoek|bestrijding|patient|"
    r"patienten|fonds|uitgezaaid|bestraling|soort)\b"
)

_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # directed insults: "je bent een mongool", "jij sukkel", "you idiot", "what a loser"
        (
            rf"\b(?:je bent|jij bent|ben je|bent u|jij|you are|you|u bent|wat een|what a|such a|fucking|"
            rf"stomme|domme|vieze|kut|klote|kanker|tering|tyfus|vuile|dirty|stupid|dumb) (?:\w+ ){{0,2}}{_NOUN}\b"
        ),
        rf"\b{_NOUN} (?:\w+ ){{0,1}}{_TARGET}\b",
        rf"\b(?:je bent|jij bent|ben je|bent u|you are|u bent|bot is|bot bent|app is) (?:\w+ ){{0,2}}{_ADJ}\b",
        (
            r"\b(?:kut|klote|kloten|kanker|tering|tyfus|stomme|domme|stupid|dumb|useless|shitty|fucking|"
            r"fking|waardeloze|nutteloze|achterlijke|debiele|gestoorde|trash) ?(?:bot|chatbot|robot|app|"
            r"ding|programma|wijf|gast|kind|jij|you)\b"
        ),
        rf"^(?:(?:vuile|vieze|stomme|domme|kut|dirty|stupid|fucking) )?{_NOUN}(?: {_NOUN})*$",
        r"\b(?:kutbot|kankerbot|kutapp|kutding|kutwijf|kankerwijf|kankerhoer|kankerlijer|fuckbot)\b",
        # curses and dismissals at someone
        r"\bf(?:uck|uk|ck|k|ok)\w* (?:you|off|u|this bot|the bot|jou|je|jullie|yourself|urself)\b",
        (
            r"\b(?:screw (?:you|u|this bot)|piss off|go to hell|get lost|stfu|gtfo|shut up|"
            r"shut the fuck up|fu)\b"
        ),
        r"\bsuck (?:my|a) (?:dick|cock|balls)\b",
        r"\byou suck\b",
        r"\b(?:hou|houd) (?:je|jij|uw) (?:bek|kop|smoel|waffel|mond dicht)\b",
        r"\b(?:bek|kop|smoel) (?:dicht|houden)\b",
        r"\b(?:rot|flikker|sodemieter|donder|tyfus|kanker|tering|oprotten)\s?(?:op|toch op)\b",
        r"\bkrijg (?:de|het|toch de|nou de) (?:kanker|tering|tyfus|pest|klere|kolere|pleuris)\b",
        (
            r"\b(?:je|jouw|your) (?:moeder|mama|moer|mom|vader|pa|dad) (?:is )?(?:\w+ ){0,2}"
            r"(?:hoer|slet|bitch|whore|slut|kanker|tering|dik|fat|lelijk|ugly|aap)\b"
        ),
        (
            r"\b(?:kys|kill yourself|go die|val dood|go kill yourself|hang yourself|maak jezelf dood|"
            r"drop dead|i hope you die|hoop dat je doodgaat|hoop dat je dood gaat)\b"
        ),
        r"(?<!ik )(?<!we )(?<!jullie )\bga (?:toch |lekker |maar )?dood\b(?! van| aan)",
        r"\b(?:i hate you|ik haat je|ik haat jou|ik haat jullie)\b(?! (?:niet|not)\b)",
    )
)
#: The writer reports what others say or do; that is for themes and moderation, not abuse.
_REPORTED = re.compile(
    r"\b(?:zegt|zei|zeggen|zeiden|zeggen ze|noemt|noemde|noemen|noemden|scheld|scheldt|schelden|"
    r"scholden|uitgescholden|roept|riep|roepen|riepen|called|calls|call me|calling me|said|says|"
    r"told me|tegen me|tegen mij|tegen iedereen|uitgemaakt|uitmaken|pesten|gepest|bullied|bully)\b"
)


class AbuseDetector:
    """Stateless and thread-safe; ``is_abusive`` is a handful of regex searches."""

    __slots__ = ("_slang",)

    def __init__(self, slang: Mapping[str, str] | None = None) -> None:
        """``slang`` maps chat spelling to one form (the crisis detector's map fits)."""
        self._slang: Mapping[str, str] = slang or {}

    def is_abusive(self, text: str) -> bool:
        """True when ``text`` insults or curses at the bot or someone else."""
        norm = normalise(text, self._slang)
        if _REPORTED.search(norm):
            return False
        if any(pattern.search(norm) for pattern in _PATTERNS):
            return True
        return self._disease_curse(norm)

    @staticmethod
    def _disease_curse(norm: str) -> bool:
        """Curses "kanker", "tering", "tyfus"; but not the disease ("heeft kanker", "borstkanker")."""
        for match in _DISEASE_CURSE.finditer(norm):
            around = norm[max(0, match.start() - 30) : match.end() + 30]
            if not _MEDICAL.search(around):
                return True
        return False
