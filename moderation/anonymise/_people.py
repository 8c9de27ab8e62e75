"""PERSON and AGE: names from open lists, confirmed or found by the words around them.

A token in the first-name list counts on its own unless it is also an ordinary word ("roos",
"bob", "mark", "april"); such words, and names missing from the lists ("djenairo", "محمد"),
count only after a cue: "ik ben X", "ik heet X", "mn broertje X", "juf X", "mevrouw X".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from moderation.anonymise._lexicon import Lexicon
from moderation.anonymise._tokens import FILLER, Token
from moderation.types import Span

__all__ = ["ages", "people"]

#: Word sequences right before a name that introduce it as a name.
_INTRO_CUES = (
    ("ik", "ben"),
    ("ik", "heet"),
    ("heet",),
    ("naam", "is"),
    ("naam",),
    ("noem", "me"),
    ("zeg", "maar"),
    ("zegt",),
    ("im",),
    ("i'm",),
    ("i", "am"),
    ("name", "is"),
    ("call", "me"),
    ("jestem",),
    ("ben",),
    ("tnv",),
    ("t", "n", "v"),
    ("vraag", "naar"),
    ("met",),
    ("mam", "na", "imię"),
    ("her", "name", "is"),
    ("his", "name", "is"),
    ("benim", "adım"),
    ("adım",),
    ("hey",),
    ("hoi",),
    ("hallo",),
    ("hi",),
    ("groetjes",),
    ("groeten",),
    ("liefs",),
    ("gr",),
    ("en",),
)
_KIN = frozenset(
    [
        "broer",
        "broertje",
        "zus",
        "zusje",
        "zuster",
        "moeder",
        "vader",
        "mama",
        "papa",
        "oom",
        "tante",
        "oma",
        "opa",
        "neef",
        "nicht",
        "nichtje",
        "vriend",
        "vriendin",
        "vriendje",
        "vriendinnetje",
        "pleegmoeder",
        "pleegvader",
        "pleegbroer",
        "pleegzus",
        "pleegouders",
        "stiefvader",
        "stiefmoeder",
        "voogd",
        "gezinsvoogd",
        "begeleider",
        "begeleidster",
        "mentor",
        "mentrix",
        "coach",
        "werkcoach",
        "stagebegeleider",
        "klantmanager",
        "jongerenwerker",
        "buurvrouw",
        "buurman",
        "zoon",
        "zoontje",
        "dochter",
        "dochtertje",
        "ex",
        "baas",
        "collega",
        "jeugdarts",
        "huisarts",
        "therapeut",
        "psycholoog",
        "trainer",
        "leraar",
        "lerares",
        "docent",
        "docente",
        "man",
        "vrouw",
        "kind",
        "jongste",
        "oudste",
        "consulent",
        "hulpverlener",
        "contactpersoon",
        "wijkagent",
        "brother",
        "sister",
        "mom",
        "mother",
        "dad",
        "father",
        "friend",
        "uncle",
        "aunt",
        "kardeşim",
        "annem",
        "babam",
        "siostra",
        "brat",
        "mama",
    ]
)
_TITLES = frozenset(
    [
        "juf",
        "juffrouw",
        "meester",
        "meneer",
        "mevrouw",
        "mevr",
        "mw",
        "dhr",
        "heer",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dokter",
        "dr",
    ]
)
_POSSESSIVE = frozenset(
    [
        "mn",
        "m'n",
        "mijn",
        "me",
        "zn",
        "z'n",
        "zijn",
        "haar",
        "hun",
        "onze",
        "ons",
        "my",
        "his",
        "her",
        "die",
        "de",
    ]
)
_INTERFIX = frozenset(
    [
        "van",
        "de",
        "der",
        "den",
        "te",
        "ter",
        "ten",
        "het",
        "'t",
        "in",
        "op",
        "el",
        "al",
        "bin",
        "ben",
        "abu",
        "da",
        "di",
        "dos",
        "du",
        "le",
        "la",
        "von",
        "zu",
    ]
)
_NOT_NAME_AFTER_CUE = frozenset(
    [
        "een",
        "de",
        "het",
        "die",
        "dat",
        "deze",
        "dit",
        "niet",
        "geen",
        "nog",
        "al",
        "ook",
        "wel",
        "zo",
        "heel",
        "erg",
        "echt",
        "gewoon",
        "bijna",
        "pas",
        "net",
        "dus",
        "ook",
        "jij",
        "hij",
        "zij",
        "wij",
        "ze",
        "je",
        "ik",
        "er",
        "hier",
        "daar",
        "blij",
        "moe",
        "bang",
        "boos",
        "ziek",
        "klaar",
        "gestrest",
        "thuis",
        "bezig",
        "jarig",
        "alleen",
        "verliefd",
        "zwanger",
        "verdrietig",
        "eerlijk",
        "goed",
        "top",
        "slim",
        "lief",
        "stil",
        "druk",
        "kapot",
        "op",
        "weg",
        "zelf",
        "nu",
        "ok",
        "oke",
        "oké",
        "sorry",
        "blij",
        "trots",
        "gelukkig",
        "benieuwd",
        "wakker",
        "laat",
        "vroeg",
        "hier",
        "daar",
        "nooit",
        "altijd",
    ]
)
_AGE_UNIT = re.compile(
    r"\s?(?:jaar|jr|jaren|jarig|yaşındayım|yaşında|yaş|lat|lata|years?\s?old|yo|y/o|yrs|jaartjes)\b",
    re.IGNORECASE,
)
_NUMBER_WITH_AGE_UNIT = re.compile(
    r"(?<![\w.,/-])(\d{1,2})(?=" + _AGE_UNIT.pattern + r")", re.IGNORECASE
)
_AGE_INTRO = re.compile(
    r"\b(?:ik\s+ben(?:\s+(?:nu|al|pas|net|bijna|dus|inmiddels|zelf))*|ben\s+ik(?:\s+nu)?|ik\s+word"
    r"|i'?m|i\s+am|toen\s+ik|sinds\s+ik|mam|leeftijd:?|age:?|ben)\s+(?P<v>\d{1,2})\b"
    r"(?!\s?(?:euro|€|uur|keer|x\b|%|kg|cm|minuten|min\b|dagen|weken|maanden|procent|/|:|\.\d|,\d))",
    re.IGNORECASE,
)
_AGE_AFTER_PERSON = re.compile(
    r"^(?:,|\s|\(|\s+hier|\s+is|\s+was|\s+en\s+is|\s+pas|\s+al|\s+nu|\s+bijna|\s+net)*\s*(?P<v>\d{1,2})\b"
    r"(?!\s?(?:euro|€|uur|keer|x\b|%|kg|cm|minuten|min\b|dagen|weken|maanden|procent|/|:|\.\d|,\d))",
    re.IGNORECASE,
)
_DURATION_BEFORE = re.compile(
    r"\b(?:al|sinds|vanaf|na|over|voor|per|elke|onder|boven|binnen|tot|in|van|nog|ongeveer|zo'?n|ruim|dan"
    r"|heb|heeft|hebben|had|duurt|wacht|wachten|moet|kost|laatste|eerste|afgelopen|paar)\s*$",
    re.IGNORECASE,
)
_NOT_AGE_AFTER = re.compile(
    r"^\s?(?:(?:jaar|jr)\s+(?:in|bij|op|bezig|met)|(?:jaar\s+|jr\s+)?(?:geleden|ouder|jonger|lang|getrouwd|gewoond|gewerkt))\b",
    re.IGNORECASE,
)


_CUES_BY_LAST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _cue in _INTRO_CUES:
    _CUES_BY_LAST[_cue[-1]] = (*_CUES_BY_LAST.get(_cue[-1], ()), _cue)
_WEAK_CUES = frozenset({"met", "en", "hey", "hoi", "hallo", "hi"})
#: every word a cue can end with: most tokens follow none of them and need no further look
_CUE_ENDS = frozenset(_CUES_BY_LAST) | _TITLES | _KIN | {"heet"}


def _cue_before(tokens: list[Token], i: int, text: str) -> str | None:
    """The kind of cue that ends right before token ``i``: "intro", "kin", "title", "weak" or None."""
    if i == 0:
        return None
    prev = tokens[i - 1].low
    if prev not in _CUE_ENDS:
        return None
    if prev in _TITLES:
        return "title"
    between = text[tokens[i - 1].end : tokens[i].start]
    if any(c in between for c in ".!?\n" + FILLER):  # a sentence or a placeholder between
        return None
    if prev in _KIN or (prev == "heet" and i >= 2 and tokens[i - 2].low in _KIN):
        return "kin"
    for cue in _CUES_BY_LAST.get(prev, ()):
        n = len(cue)
        if i >= n and all(tokens[i - n + j].low == cue[j] for j in range(n)):
            return "weak" if cue[0] in _WEAK_CUES else "intro"
    return None


def _reverse_cue(tokens: list[Token], i: int) -> bool:
    """ "tess hier", "nour ben ik", "djenairo hier": the name comes first."""
    nxt = [t.low for t in tokens[i + 1 : i + 3]]
    return nxt[:1] == ["hier"] or nxt == ["ben", "ik"]


def _looks_like_name(tok: Token, lex: Lexicon) -> bool:
    return not tok.is_number and tok.low not in _NOT_NAME_AFTER_CUE and not lex.is_word(tok.low)


_NAME_INTERFIXES = frozenset(
    {("de",), ("van", "der"), ("van", "den"), ("ter",), ("ten",), ("el",), ("al",), ("van",)}
)


def _extend_surname(tokens: list[Token], j: int, text: str, lex: Lexicon, strong: bool) -> int:
    """Index after the last token of a full name starting at token ``j`` (tussenvoegsels included)."""
    end = j + 1
    k = end
    while (
        k < len(tokens)
        and k - end < 3
        and tokens[k].low in _INTERFIX
        and text[tokens[k - 1].end : tokens[k].start] in {" ", "-"}
    ):
        k += 1
    if k >= len(tokens) or text[tokens[k - 1].end : tokens[k].start] not in {" ", "-"}:
        return end
    tok = tokens[k]
    glued = tok.end < len(text) and (text[tok.end].isalnum() or text[tok.end] in "@_")
    if (
        tok.is_number
        or glued
        or len(tok.low) < 2
        or tok.low in lex.slang
        or tok.low in _NOT_NAME_AFTER_CUE
    ):
        return end
    interfix = tuple(t.low for t in tokens[end:k])
    in_list = tok.low in lex.surnames
    # "sanne uit vries" is a place, but "sanne de vries" a surname: a name interfix other than
    # "van" ("van zaandam") makes the next word part of the name even when it is also a place
    name_interfix = interfix in _NAME_INTERFIXES and interfix != ("van",)
    if (tok.low in lex.places_nl or tok.low in lex.places_world) and not name_interfix:
        return end
    if interfix:
        ok = (
            (in_list and (tok.low not in lex.top_words or interfix in _NAME_INTERFIXES))
            or (strong and not lex.is_word(tok.low))
            or (
                interfix in _NAME_INTERFIXES
                and interfix != ("van",)
                and tok.text.isalpha()
                and len(tok.low) > 2
            )
        )
    else:
        unknown = (
            not lex.is_word(tok.low)
            and tok.low not in lex.places_nl
            and tok.low not in lex.places_world
        )
        ok = (in_list and tok.low not in lex.top_words and tok.low not in lex.places_nl) or (
            strong and unknown
        )
    return k + 1 if ok else end


def _ambiguous_ok(tokens: list[Token], i: int, text: str) -> bool:
    """A name that is also a word ("roos", "mark") only when it stands alone or is capitalised."""
    tok = tokens[i]
    if tok.text[:1].isupper():
        return True
    rest = text[tok.end :].lstrip(" ")
    return (
        not rest
        or rest[0] in ",.!?)(:;-"
        or rest[0].isdigit()
        or rest.split(" ", 1)[0].lower()
        in {"en", "ik", "die", "zegt", "heeft", "woont", "is", "zn", "haar"}
    )


def people(text: str, tokens: list[Token], lex: Lexicon) -> Iterator[Span]:
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        low = tok.low
        if tok.is_number or len(low) < 2 or low in lex.slang:
            i += 1
            continue
        cue = _cue_before(tokens, i, text)
        is_first = low in lex.first_names
        if cue is None and i > 0 and not is_first:
            i += 1  # no cue and no first name: nothing below could accept it
            continue
        is_word = lex.is_word(low)
        foreign_script = (
            not low.isascii() and not any("a" <= c <= "z" for c in low) and low.isalpha()
        )
        if cue == "title" and low in _INTERFIX:
            accept = True
        elif cue == "title":
            accept = low not in _NOT_NAME_AFTER_CUE and (
                not is_word or low in lex.surnames or low in _INTERFIX
            )
        elif cue in {"intro", "kin"}:
            if low in _NOT_NAME_AFTER_CUE:
                accept = False
            elif is_word:
                accept = is_first and _ambiguous_ok(tokens, i, text)
            else:
                accept = is_first or low not in lex.places_nl or foreign_script
            accept = accept or (foreign_script and cue == "intro")
        elif cue == "weak":
            accept = is_first and not is_word
        else:
            accept = (is_first and not is_word and low not in lex.places_nl) or (
                i == 0 and _reverse_cue(tokens, i) and (is_first or not is_word)
            )
        if not accept:
            i += 1
            continue
        if cue == "title" and low in _INTERFIX:
            k = i
            while k < len(tokens) and tokens[k].low in _INTERFIX:
                k += 1
            if (
                k < len(tokens)
                and not tokens[k].is_number
                and tokens[k].low not in _NOT_NAME_AFTER_CUE | lex.slang
            ):
                yield Span(tok.start, tokens[k].end, "PERSON")
                i = k + 1
            else:
                i += 1
            continue
        end = _extend_surname(
            tokens, i, text, lex, strong=cue in {"intro", "kin", "title"} or is_first
        )
        yield Span(tok.start, tokens[end - 1].end, "PERSON")
        i = end


_INITIAL_NAME = re.compile(
    r"(?<![\w.])([a-z])\.\s?((?:(?:van|de|der|den|el|al|ter|ten)\s)*[a-z][\w'-]+)\b", re.IGNORECASE
)


def initials(text: str, lex: Lexicon) -> Iterator[Span]:
    """ "g. smit", "y. boukhari", "a. al-hassan": an initial followed by a surname."""
    for m in _INITIAL_NAME.finditer(text):
        surname = m.group(2).lower().split()[-1]
        cued = re.search(
            r"(?:tnv|t\.n\.v\.|naam|aan|van|mw\.?|dhr\.?|mevr\.?)\s*$",
            text[: m.start()],
            re.IGNORECASE,
        )
        if (surname in lex.surnames or cued) and surname not in lex.top_words:
            yield Span(m.start(), m.end(), "PERSON")


def ages(text: str, person_spans: list[Span]) -> Iterator[Span]:
    for m in _AGE_INTRO.finditer(text):
        if _NOT_AGE_AFTER.match(text[m.end("v") :]):
            continue
        yield Span(m.start("v"), m.end("v"), "AGE")
    for m in _NUMBER_WITH_AGE_UNIT.finditer(text):
        before = text[: m.start()]
        after = text[m.end() :]
        if _DURATION_BEFORE.search(before) or _NOT_AGE_AFTER.match(after):
            continue
        if re.search(r"(?:-|\bdie\s|\bde\s|\bhet\s)$", before):
            continue
        yield Span(m.start(1), m.end(1), "AGE")
    for span in person_spans:
        following = _AGE_AFTER_PERSON.match(text[span.end :])
        if following and not _NOT_AGE_AFTER.match(text[span.end + following.end("v") :]):
            yield Span(span.end + following.start("v"), span.end + following.end("v"), "AGE")
