"""PLACE, ADDRESS and SCHOOL_OR_INSTITUTION from open lists plus the words around them.

Dutch towns and neighbourhoods count on their own unless they are ordinary words ("hoorn",
"lombok") or big cities in a general remark; those, and towns abroad, count after a cue such as
"ik woon in", "uit", "verhuisd naar" or a Turkish locative ("zaandam'da").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from moderation.anonymise._lexicon import Lexicon
from moderation.anonymise._tokens import Token
from moderation.types import Span

__all__ = ["addresses", "institutions", "places"]

_MAX_NGRAM = 4
#: Towns whose names are also frequent words; they still count after a cue ("in hoorn").
_COMMON_TOWNS = frozenset(
    ["hoorn", "ede", "best", "putten", "epe", "zuid", "noord", "oost", "west", "centrum"]
)
_BIG_CITIES = frozenset(
    ["amsterdam", "rotterdam", "den", "haag", "utrecht", "londen", "parijs", "dubai"]
)
_PLACE_CUES = frozenset(
    [
        "in",
        "uit",
        "naar",
        "bij",
        "vanuit",
        "richting",
        "rond",
        "buurt",
        "wijk",
        "woonplaats",
        "woon",
        "woont",
        "wonen",
        "w",
        "z",
        "iz",
    ]
)
_STRONG_BEFORE = re.compile(
    r"(?:\b(?:woon|woont|wonen|woonde|woonden|zit|zitten|slaap|verhuisd|verhuizen|kom|komt|komen|geboren|opgegroeid"
    r"|werk|werkt|studeer|logeer|mieszkam|jestem|living|live|lives|from|ben)\b[^.!?\n]{0,25}"
    r"\b(?:in|uit|naar|bij|w|z|z\s+\w+|from|in)\s+(?:de\s+|het\s+)?"
    r"|\buit\s+(?:de\s+|het\s+)?|\bvan\s+\w+\s+naar\s+|\bwoonplaats:?\s*|\bbij ons in\s+|\b(?:ben|is)\s+\w+\s+uit\s+"
    r"|\b[\w'-]+\s+uit\s+|,\s*\d{4}\s?[a-z]{2}\s+|\d{4}\s?[a-z]{2}\s+|^[\w -]+,\s*)$",
    re.IGNORECASE,
)
_WEAK_BEFORE = re.compile(r"\b(?:in|uit|naar|van|bij)\s+(?:de\s+|het\s+)?$", re.IGNORECASE)
_GENERAL_AFTER = re.compile(
    r"^\s+(?:is|zijn|was|beslissen|beslist|heeft|wil|moet|doet)\b", re.IGNORECASE
)
_DREAM_BEFORE = re.compile(
    r"\b(?:wil|willen|zou|droom|vakantie|reis|reizen|gaan|ga)\b[^.!?]{0,45}$", re.IGNORECASE
)
_TURKISH_LOCATIVE = re.compile(r"^['’](?:da|de|ta|te|dan|den|tan|ten|lı|li|lu|lü)\b", re.IGNORECASE)


def _ngrams(
    tokens: list[Token], text: str, i: int, longest: int = _MAX_NGRAM
) -> Iterator[tuple[int, str]]:
    """(end index, phrase) of token runs starting at ``i``, longest first, only across spaces/hyphens."""
    ends = [i + 1]
    for k in range(i + 1, min(len(tokens), i + min(longest, _MAX_NGRAM))):
        if text[tokens[k - 1].end : tokens[k].start] not in {" ", "-"}:
            break
        ends.append(k + 1)
    for end in reversed(ends):
        yield end, text[tokens[i].start : tokens[end - 1].end].lower()


def places(text: str, tokens: list[Token], lex: Lexicon) -> Iterator[Span]:
    heads = lex.place_heads
    starts = [i for i, tok in enumerate(tokens) if tok.low in heads]
    resume = 0  # after a place is found, the tokens it covers are not looked at again
    for i in starts:
        if i < resume:
            continue
        low = tokens[i].low
        longest = heads[low]
        if longest > 1 and (
            i + 1 >= len(tokens)
            or text[tokens[i].start : tokens[i + 1].end].lower() not in lex.place_pairs
        ):
            longest = 1  # no place of two or more words starts with these two tokens
        if longest == 1 and (low in lex.top_words and low not in _COMMON_TOWNS or low in lex.slang):
            continue  # a frequent word alone is never a place (checked again below, per phrase)
        for end, phrase in _ngrams(tokens, text, i, longest):
            in_nl = phrase in lex.places_nl
            in_world = phrase in lex.places_world
            if not (in_nl or in_world) or phrase in lex.not_places:
                continue
            start, stop = tokens[i].start, tokens[end - 1].end
            before = text[max(0, start - 60) : start]  # cues sit right before the name
            after = text[stop : stop + 30]
            strong = bool(_STRONG_BEFORE.search(before)) or bool(_TURKISH_LOCATIVE.match(after))
            weak = bool(_WEAK_BEFORE.search(before))
            single_word = end - i == 1 and lex.is_word(phrase)
            if (
                end - i > 1
                and tokens[i].low in {"de", "het"}
                and lex.is_word(phrase.split(" ", 1)[1])
                and not strong
            ):
                continue
            if end - i == 1 and (
                phrase in lex.top_words and phrase not in _COMMON_TOWNS or phrase in lex.slang
            ):
                continue
            if in_nl and not single_word and phrase not in _BIG_CITIES:
                ok = not (_GENERAL_AFTER.match(after) and not strong and not weak) or strong
            elif in_nl and phrase in _BIG_CITIES:
                ok = strong or (
                    weak and not _GENERAL_AFTER.match(after) and not _DREAM_BEFORE.search(before)
                )
            elif in_nl:
                ok = strong or (weak and len(phrase) > 3)
            else:
                ok = (
                    strong and not _DREAM_BEFORE.search(before) and not (single_word and not strong)
                )
            if ok and not (end - i == 1 and phrase in lex.first_names and not strong and not weak):
                yield Span(start, stop, "PLACE")
                resume = end
                break


_STREET_SUFFIX = re.compile(
    r"[^\W\d_]{2,}(?:straat|laan|weg|plein|kade|gracht|singel|dijk|dreef|steeg|pad|plantsoen|hof|park"
    r"|allee|boulevard|ring|wal|markt|baan|kwartier|erf|hoek|dam|veld|haven|burg)$"
)
_STREET_ENDINGS = (
    "straat", "laan", "weg", "plein", "kade", "gracht", "singel", "dijk", "dreef", "steeg", "pad",
    "plantsoen", "hof", "park", "allee", "boulevard", "ring", "wal", "markt", "baan", "kwartier",
    "erf", "hoek", "dam", "veld", "haven", "burg",
)  # fmt: skip
_HOUSE_NUMBER = re.compile(
    r"^\s+(?:nr\.?\s*|nummer\s+)?\d{1,5}(?:\s?[a-z]\b|-\d{1,4}\b|\s(?:bis|hs|huis|boven|beneden|bg|i{1,3})\b"
    r"|\s?-?[a-z]{1,2}\b(?!\s?\w))?(?:\s+kamer\s+\d+)?",
    re.IGNORECASE,
)
_ADDRESS_CUE = re.compile(r"\b(?:op|aan|in)\s+(?:de\s+|het\s+)?$", re.IGNORECASE)
_STREET_TITLES = frozenset(
    [
        "burgemeester",
        "graaf",
        "gravin",
        "koningin",
        "koning",
        "prins",
        "prinses",
        "sint",
        "st",
        "dokter",
        "dr",
        "pastoor",
        "pater",
        "generaal",
        "admiraal",
        "president",
        "professor",
        "prof",
        "mr",
        "jan",
        "pieter",
        "van",
        "de",
        "der",
        "den",
        "het",
        "'t",
        "ten",
        "ter",
    ]
)
_STREET_GENERIC = frozenset(
    [
        "straat",
        "laan",
        "weg",
        "plein",
        "kade",
        "gracht",
        "singel",
        "dijk",
        "dreef",
        "steeg",
        "pad",
        "park",
        "ring",
        "wal",
        "markt",
        "baan",
        "hoek",
        "dam",
        "veld",
        "haven",
        "burg",
        "hof",
        "fietspad",
        "schoolplein",
        "snelweg",
        "zijweg",
        "hoofdweg",
        "parkeerplaats",
    ]
)


def addresses(text: str, tokens: list[Token], lex: Lexicon) -> Iterator[Span]:
    candidates = [
        i
        for i, tok in enumerate(tokens)
        if tok.low in lex.street_tails or tok.low.endswith(_STREET_ENDINGS)
    ]
    for i in candidates:
        tok = tokens[i]
        if tok.is_number:
            continue
        suffix = (
            tok.low.endswith(_STREET_ENDINGS)
            and tok.low not in _STREET_GENERIC
            and _STREET_SUFFIX.fullmatch(tok.low) is not None
        )
        if not suffix and tok.low not in lex.street_tails:
            continue
        number = _HOUSE_NUMBER.match(text[tok.end :])
        # Longest known street name ending at this token ("pieter lieftinckweg", "de ruyterkade").
        start_i = i
        known = False
        for k in range(max(0, i - 3), i + 1):
            phrase = text[tokens[k].start : tok.end].lower()
            if phrase in lex.streets and all(
                text[tokens[j].end : tokens[j + 1].start] in {" ", "-"} for j in range(k, i)
            ):
                start_i, known = k, True
                break
        if known and start_i < i and tokens[start_i].low in {"de", "het"}:
            before = text[: tokens[start_i].start].lower()
            if not re.search(r"\b(?:op|aan|in|naar|woon|adres:?)\s*$", before) or not number:
                start_i = (
                    start_i + 1
                    if text[tokens[start_i + 1].start : tok.end].lower() in lex.streets
                    else start_i
                )
        if not known and suffix:
            while (
                start_i > 0
                and tokens[start_i - 1].low in _STREET_TITLES - {"de", "het"}
                and text[tokens[start_i - 1].end : tokens[start_i].start] == " "
            ):
                start_i -= 1
        is_word = lex.is_word(tok.low) and start_i == i
        if (
            start_i == i
            and (tok.low in lex.places_nl or tok.low in lex.places_world)
            and not number
        ):
            continue
        if (
            known
            and not suffix
            and start_i == i
            and not re.search(
                r"\b(?:op|aan|adres:?|woon|woont|wonen|naar)\s+(?:de\s+|het\s+)?$",
                text[: tok.start],
                re.IGNORECASE,
            )
        ):
            continue
        if not ((suffix or known) and (number or (not is_word and (suffix or len(tok.low) > 6)))):
            continue
        # A known street name without a suffix or number ("de dam") needs an address cue.
        if not number and not suffix and not _ADDRESS_CUE.search(text, 0, tokens[start_i].start):
            continue
        stop = tok.end + (number.end() if number else 0)
        yield Span(tokens[start_i].start, stop, "ADDRESS")


_KIND_ALWAYS_NAMED = frozenset(
    [
        "obs",
        "cbs",
        "pcbs",
        "rkbs",
        "ikc",
        "sbo",
        "vso",
        "roc",
        "basisschool",
        "praktijkschool",
        "stichting",
        "vv",
        "sv",
        "svv",
        "rkvv",
        "voetbalvereniging",
        "voetbalclub",
        "hockeyclub",
        "zwemvereniging",
        "bakkerij",
        "garage",
        "kapsalon",
        "slagerij",
        "restaurant",
        "snackbar",
        "cafe",
        "café",
        "autobedrijf",
        "schildersbedrijf",
        "installatiebedrijf",
        "hoveniersbedrijf",
        "kinderdagverblijf",
        "zorgboerderij",
        "woongroep",
        "jeugdbescherming",
        "scholengemeenschap",
        "lyceum",
        "college",
        "gymnasium",
    ]
)
_KIND_NEEDS_ARTICLE = frozenset(
    [
        "opvang",
        "kinderopvang",
        "pleegzorg",
        "jeugdhuis",
        "buurthuis",
        "jongerencentrum",
        "jeugdzorg",
        "gezinshuis",
        "school",
        "bso",
        "jongerenopvang",
        "nachtopvang",
        "crisisopvang",
        "daklozenopvang",
        "blijf-van-mijn-lijfhuis",
        "vrouwenopvang",
        "zorginstelling",
        "woonvoorziening",
        "internaat",
    ]
)
_SUFFIX_KINDS = frozenset(
    ["college", "lyceum", "gymnasium", "atheneum", "academie", "scholengemeenschap"]
)
_REGION_WORDS = frozenset(
    [
        "noord",
        "noordwest",
        "noordoost",
        "zuid",
        "zuidwest",
        "zuidoost",
        "oost",
        "west",
        "midden",
        "regio",
    ]
)
_STOP = frozenset(
    [
        "in",
        "op",
        "bij",
        "en",
        "van",
        "voor",
        "maar",
        "want",
        "dus",
        "ik",
        "je",
        "jij",
        "hij",
        "zij",
        "ze",
        "we",
        "wij",
        "is",
        "was",
        "zijn",
        "heeft",
        "hebben",
        "met",
        "naar",
        "om",
        "te",
        "tot",
        "als",
        "dan",
        "dat",
        "die",
        "dit",
        "daar",
        "hier",
        "niet",
        "wel",
        "ook",
        "nog",
        "al",
        "of",
        "een",
        "de",
        "het",
        "door",
        "over",
        "na",
        "want",
        "omdat",
        "en",
        "sinds",
        "al",
        "mee",
        "aan",
        "uit",
        "zo",
        "heel",
        "erg",
        "echt",
        "elke",
        "iedere",
        "mijn",
        "mn",
        "m'n",
    ]
)


def _name_after(tokens: list[Token], j: int, text: str, lex: Lexicon, need_article: bool) -> int:
    """End index of an institution's own name starting at token ``j`` (== j when there is none)."""
    if j >= len(tokens) or text[tokens[j - 1].end : tokens[j].start] != " ":
        return j
    k = j
    if tokens[k].low in {"de", "het", "'t"}:
        k += 1
    elif need_article and tokens[k].low not in _REGION_WORDS:
        return j
    taken = 0
    while k < len(tokens) and taken < 3 and text[tokens[k - 1].end : tokens[k].start] in {" ", "-"}:
        low = tokens[k].low
        if low in _STOP or tokens[k].is_number or (low in lex.places_nl and taken > 0):
            break
        if (
            taken > 0
            and lex.is_word(low)
            and low not in _REGION_WORDS
            and not re.match(r".*(zorg|jeugd|opvang|groep)$", low)
        ):
            break
        k += 1
        taken += 1
        if (
            k < len(tokens) - 1
            and tokens[k].low == "en"
            and tokens[k + 1].low in {"zonen", "zn", "partners", "co"}
        ):
            k += 2
    return k if taken else j


def institutions(text: str, tokens: list[Token], lex: Lexicon) -> Iterator[Span]:
    for i, tok in enumerate(tokens):
        for end, phrase in _ngrams(tokens, text, i) if tok.low in lex.institution_heads else ():
            if phrase in lex.institutions and (end - i > 1 or not lex.is_word(phrase)):
                yield Span(tok.start, tokens[end - 1].end, "SCHOOL_OR_INSTITUTION")
                break
        if tok.low in _KIND_ALWAYS_NAMED or tok.low in _KIND_NEEDS_ARTICLE:
            end = _name_after(tokens, i + 1, text, lex, tok.low in _KIND_NEEDS_ARTICLE)
            if end > i + 1 and tok.low not in _SUFFIX_KINDS:
                yield Span(tok.start, tokens[end - 1].end, "SCHOOL_OR_INSTITUTION")
                continue
        if tok.low in _SUFFIX_KINDS or (
            tok.low.endswith(("college", "lyceum"))
            and len(tok.low) > 9
            and not lex.is_word(tok.low)
        ):
            k = i
            if tok.low in _SUFFIX_KINDS:
                while (
                    k > 0
                    and i - k < 2
                    and tokens[k - 1].low not in _STOP
                    and not tokens[k - 1].is_number
                    and text[tokens[k - 1].end : tokens[k].start] == " "
                ):
                    k -= 1
                if (
                    k == i
                    or all(lex.is_word(t.low) and t.low not in lex.surnames for t in tokens[k:i])
                    and tokens[k].low in {"het", "mbo", "hbo"}
                ):
                    continue
            yield Span(tokens[k].start, tok.end, "SCHOOL_OR_INSTITUTION")
