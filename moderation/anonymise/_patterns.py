"""Pattern-shaped personal data: numbers, codes and addresses with a checkable form.

Each detector returns spans for one type. Checksums come from ``python-stdnum`` (BSN 11-test,
IBAN mod-97) and phone numbers are confirmed by Google's ``phonenumbers`` metadata, so a random
9- or 10-digit number (a score, an order number) is not taken for personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban as _iban
from stdnum.nl import bsn as _bsn

from moderation.anonymise._tokens import Token
from moderation.types import Span

__all__ = ["find_patterns"]

_I = re.IGNORECASE

# Local part as RFC 5322 allows it (atext and dots), domain labels, a TLD (IDN "xn--" too).
EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[\w-]+\.)+[a-z][a-z0-9-]*[a-z0-9](?![\w-])",
    _I,
)

# A URL is personal when it points somewhere specific: a path, a subdomain or an explicit
# scheme/www. Bare domains ("113.nl", "bol.com") are general sites and stay.
_URL = re.compile(
    r"(?<![\w@./-])(?:(?:https?://|www\.)[^\s<>()\"']+"
    r"|(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>()\"']+"
    r"|(?:[a-z0-9-]+\.){2,}[a-z]{2,}(?![\w.@-]))",
    _I,
)
_URL_TRAIL = ".,!?;:)'\""
_GENERIC_HOSTS = frozenset({"www", "m", "nl", "en"})

_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+/.-])(?:(?:\+|00)[1-9]|0|\(0)(?:\d{1,4}\)[\s.-]?)?(?:[\s.-]?\(?\d\)?){6,13}(?![\w/-]|[.,]\d)"
)
_IBAN_HEAD = re.compile(r"[a-z]{2}\d{2}\s?[a-z]{4}\s?$", re.IGNORECASE)
_SERVICE = re.compile(r"^(?:\+31|0031)?0?(?:800|900|906|909|14\d{2,3}$|112$|113$)")

_IBAN = re.compile(
    r"(?<![\w-])[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){3,7}(?:[ ]?[a-z0-9]{1,3})?(?![\w-])", _I
)
_BSN = re.compile(
    r"(?<![\w.,/-])(?:\d{9}|\d{4}[. ]\d{2}[. ]\d{3}|\d{3}[. ]\d{3}[. ]\d{3}|\d{2}[. ]\d{3}[. ]\d{2}[. ]\d{2})(?![\w/-]|[.,]\d)"
)

_NOT_POSTCODE_LETTERS = frozenset(
    [
        "is",
        "en",
        "in",
        "op",
        "om",
        "of",
        "te",
        "al",
        "nu",
        "ja",
        "ik",
        "je",
        "we",
        "ze",
        "er",
        "na",
        "zo",
        "de",
        "ie",
        "et",
        "an",
        "at",
        "to",
        "so",
        "or",
        "it",
        "he",
        "me",
        "my",
        "no",
        "on",
        "by",
        "be",
        "do",
        "go",
        "up",
        "us",
        "as",
        "if",
        "am",
        "pm",
        "km",
        "cm",
        "mm",
        "kg",
        "gb",
        "mb",
        "eu",
        "nl",
        "x",
    ]
)
_POSTCODE = re.compile(r"(?<![\w.,-])([1-9]\d{3})(\s?)([a-z]{2})(?![\w-])", _I)

# Dutch licence plates, sidecodes 1-14 (X letter, 9 digit); dashes optional.
_SIDECODES = (
    "XX99 99",
    "99 99XX",
    "99XX99",
    "XX 99XX",
    "XXXX99",
    "99XXXX",
    "99XXX9",
    "9XXX99",
    "XX999X",
    "X999XX",
    "XXX99X",
    "X99XXX",
    "9XX999",
    "999XX9",
)


def _sidecode_regex() -> re.Pattern[str]:
    parts = []
    for code in (
        "XX-99-99",
        "99-99-XX",
        "99-XX-99",
        "XX-99-XX",
        "XX-XX-99",
        "99-XX-XX",
        "99-XXX-9",
        "9-XXX-99",
        "XX-999-X",
        "X-999-XX",
        "XXX-99-X",
        "X-99-XXX",
        "9-XX-999",
        "999-XX-9",
    ):
        groups = [g.replace("X", "[a-z]").replace("9", r"\d") for g in code.split("-")]
        parts.append("-?".join(groups))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", _I)


_PLATE = _sidecode_regex()

_CASE_SHAPE = re.compile(
    r"(?<![\w/-])(?:[a-z]{1,4}-?\d{2,4}[-/]\d{3,}|[a-z]{2,5}-\d{5,}|[a-z]/\d{2}/\d{4,}"
    r"|\d{4}/\d{3,}/[a-z]{1,3})(?![\w-])",
    _I,
)
_CASE_CUED = re.compile(
    r"\b(?:dossier\s?(?:nummer|nr\.?)?|klant\s?(?:nummer|nr\.?)|cli[eë]nt\s?(?:nummer|nr\.?)"
    r"|referentie(?:nummer)?|kenmerk|zaak\s?(?:nummer|nr\.?)|aanvraag\s?(?:nummer|nr\.?)"
    r"|student\s?(?:nummer|nr\.?)|leerling\s?(?:nummer|nr\.?)|relatie\s?(?:nummer|nr\.?)"
    r"|registratie\s?(?:nummer|nr\.?)|onder nummer|heeft nummer|case\s?(?:number|nr))"
    r"(?:[\s:]+(?:is|was|van\s+\S+(?:\s+\S+)?|bij\s+\S+(?:\s+is)?|op\s+de\s+brief(?:\s+is)?|nu|:)){0,3}[\s:]*"
    r"(?P<v>[a-z]{0,4}[-/]?\d[\w/-]{3,}\d|\d{4,})(?![\w-])",
    _I,
)

_MONTHS = (
    r"jan(?:uari|uary)?|feb(?:ruari|ruary)?|m(?:aa)?rt|march|apr(?:il)?|mei|may|jun[ie]?|jul[iy]?"
    r"|aug(?:ustus|ust)?|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    r"(?<![\w/.-])(?:(?P<d1>[0-3]?\d)[-/.](?P<m1>[01]?\d)[-/.](?P<y1>(?:19|20)\d{2}|\d{2})"
    r"|(?P<y2>(?:19|20)\d{2})-(?P<m2>[01]\d)-(?P<d2>[0-3]\d)"
    r"|(?P<d3>[0-3]?\d)(?:e|ste|de)?\s(?P<m3>"
    + _MONTHS
    + r")\.?(?:\s(?P<y3>(?:19|20)\d{2}|'\d{2}))?)"
    r"(?![\w/-]|\.\d)",
    _I,
)
_BIRTH_CUE = re.compile(
    r"geboren|geb\.|geb\b|geboorte|verjaardag|jarig|birthday|born|dob\b|doğum|urodzi|ik word \d+ op",
    _I,
)
_BIRTH_YEAR = re.compile(
    r"\b(?:(?:ik ben|ben ik|hij is|zij is|ze is)\s+van\s+(?P<a>(?:19|20)?\d{2})"
    r"|(?:geboren in|bouwjaar|geboortejaar:?|born in)\s+(?P<b>(?:19|20)\d{2}))\b(?![.,:/-]\d)(?!\s?(?:euro|jaar|uur|keer|x))",
    _I,
)
#: Dates with a year this far back are birth dates, not appointments or letters.
_OLDEST_LETTER_YEAR = 2020

_HANDLE_AT = re.compile(r"(?<![\w.@/])@[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?(?:#\d{4})?", _I)
_PLATFORM = (
    r"(?:insta(?:gram)?|ig|snap(?:chat)?|tiktok|tik tok|discord|roblox|fortnite|twitter|x|twitch"
    r"|telegram|psn|xbox|steam|gamertag|minecraft|threads|bereal|pinterest|youtube)"
)
_HANDLE_CUED = re.compile(
    r"\b" + _PLATFORM + r"(?:\s+(?:naam|name|account|username|gebruikersnaam|tag|id))?"
    r"(?:\s+(?:is|=|:)|:|\s+heet\s+ik|,)?\s+(?:@?)(?P<v>[a-z0-9_.]*[a-z_][a-z0-9_.]*(?:#\d{4})?)",
    _I,
)
_EXPLICIT_HANDLE = re.compile(r"(?:\bis|\bheet ik|\bnaam|\bname|:)\s*@?$", _I)
_HANDLE_BEFORE_PLATFORM = re.compile(
    r"(?<![\w@.])[a-z0-9_.]*[_.\d][a-z0-9_.]*\s+(?:op|on)\s+" + _PLATFORM + r"\b", _I
)
_HANDLE_TRAIL = re.compile(
    r"^(?P<v>[a-z0-9_.]*[_.\d][a-z0-9_.]*)\s+(?:op|on)\s+" + _PLATFORM + r"\b", _I
)


def _strip_url(url: str) -> str:
    return url.rstrip(_URL_TRAIL)


def _is_personal_url(url: str) -> bool:
    low = url.lower()
    if low.startswith(("http://", "https://", "www.")):
        return True
    host, _, path = low.partition("/")
    if path:
        return True
    labels = host.split(".")
    return len(labels) > 2 and labels[0] not in _GENERIC_HOSTS


def emails(text: str) -> Iterator[Span]:
    for m in EMAIL.finditer(text):
        yield Span(m.start(), m.end(), "EMAIL")


def urls(text: str) -> Iterator[Span]:
    for m in _URL.finditer(text):
        url = _strip_url(m.group())
        if "@" in url.split("/")[0] or not _is_personal_url(url):
            continue
        yield Span(m.start(), m.start() + len(url), "URL")


def _valid_phone(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9 or _SERVICE.match(digits):
        return False
    international = raw.startswith(("+", "00"))
    # Dutch numbers people type are 10 digits from 0: accepted whether or not the metadata knows
    # them, so phonenumbers' parse (the costliest step of the whole anonymiser) is skipped.
    if not international and len(digits) == 10 and digits.startswith("0"):
        return True
    number = "+" + raw[2:] if raw.startswith("00") else raw
    try:
        parsed = phonenumbers.parse(number, "NL")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


def phones(text: str) -> Iterator[Span]:
    pos = 0
    while (m := _PHONE_CANDIDATE.search(text, pos)) is not None:
        raw = m.group().rstrip(" .-")
        if _IBAN_HEAD.search(text, 0, m.start()):
            pos = m.end()  # the digits of an IBAN (valid or not) are not a phone number
            continue
        # A run of digits may hold two numbers ("06 1234 5678 06 8765 4321"): shorten from the end.
        while raw and not _valid_phone(raw):
            cut = max(raw.rfind(" "), raw.rfind("-"), raw.rfind("."))
            raw = raw[:cut].rstrip(" .-") if cut > 0 else ""
        if raw:
            yield Span(m.start(), m.start() + len(raw), "PHONE")
            pos = m.start() + len(raw)
        else:
            pos = m.end()


def ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        value = m.group()
        # Allow trailing chunks to be trimmed until the checksum holds ("... 75 en" stays out).
        while value:
            if _iban.is_valid(value.replace(" ", "")):
                yield Span(m.start(), m.start() + len(value), "IBAN")
                break
            cut = value.rfind(" ")
            if cut < 0:
                break
            value = value[:cut]


def bsns(text: str) -> Iterator[Span]:
    for m in _BSN.finditer(text):
        digits = re.sub(r"\D", "", m.group())  # the expression admits exactly nine digits
        # stdnum's 11-test on the digits alone; validate() would only re-clean them first
        if digits != "000000000" and _bsn.checksum(digits) == 0:
            yield Span(m.start(), m.end(), "BSN")


def postcodes(text: str) -> Iterator[Span]:
    for m in _POSTCODE.finditer(text):
        letters = m.group(3)
        if letters.lower() in {"sa", "sd", "ss"}:
            continue
        cued = "postcode" in text[max(0, m.start() - 25) : m.start()].lower()
        if letters.lower() in _NOT_POSTCODE_LETTERS and not (cued or letters.isupper()):
            continue
        if (
            not m.group(2)
            and not cued
            and m.group(1).startswith(("19", "20"))
            and letters.islower()
        ):
            continue
        yield Span(m.start(), m.end(), "POSTCODE")


def plates(text: str) -> Iterator[Span]:
    for m in _PLATE.finditer(text):
        value = m.group()
        letters = [c for c in value if c.isalpha()]
        if not letters or not any(c.isdigit() for c in value):
            continue
        if "-" not in value:
            # Undashed: avoid postcodes and words with digits; new plates carry no vowels.
            if re.fullmatch(r"\d{4}[a-z]{2}", value, _I) or any(c in "aeiouAEIOU" for c in letters):
                continue
            if not (value.isupper() or value.islower()):
                continue
        yield Span(m.start(), m.end(), "LICENSE_PLATE")


def case_numbers(text: str, shaped: bool = True) -> Iterator[Span]:
    """``shaped=False`` skips the shapes, every one of which holds a "-" or "/"."""
    for m in _CASE_SHAPE.finditer(text) if shaped else ():
        yield Span(m.start(), m.end(), "CASE_NUMBER")
    for m in _CASE_CUED.finditer(text):
        yield Span(m.start("v"), m.end("v"), "CASE_NUMBER")


def dates_of_birth(text: str, year_cued: bool = True) -> Iterator[Span]:
    """``year_cued=False`` skips "ik ben van 2009" / "geboren in 2009" (no cue word present)."""
    cued: bool | None = None  # looked up at the first date: most messages have none
    for m in _DATE.finditer(text):
        year = m.group("y1") or m.group("y2") or m.group("y3")
        month = m.group("m1") or m.group("m2")
        day = m.group("d1") or m.group("d2") or m.group("d3")
        if month and not 1 <= int(month) <= 12 or not 1 <= int(day) <= 31:
            continue
        old = year is not None and len(year.strip("'")) == 4 and int(year) <= _OLDEST_LETTER_YEAR
        if cued is None:
            cued = _BIRTH_CUE.search(text) is not None
        if cued or old:
            yield Span(m.start(), m.end(), "DATE_OF_BIRTH")
    for m in _BIRTH_YEAR.finditer(text) if year_cued else ():
        group = "a" if m.group("a") else "b"
        yield Span(m.start(group), m.end(group), "DATE_OF_BIRTH")


def handles(text: str) -> Iterator[Span]:
    for m in _HANDLE_AT.finditer(text):
        if len(m.group()) > 2:
            yield Span(m.start(), m.end(), "SOCIAL_HANDLE")
    for m in _HANDLE_CUED.finditer(text):
        value = m.group("v").rstrip(".")
        # A bare word after the platform name must look like a username, not a Dutch word.
        if value.isalpha() and not _EXPLICIT_HANDLE.search(m.group(), 0, m.start("v") - m.start()):
            continue
        if value.lower() in {
            "is",
            "en",
            "op",
            "of",
            "maar",
            "dan",
            "daar",
            "add",
            "me",
            "mij",
            "stuur",
        }:
            continue
        yield Span(m.start("v"), m.start("v") + len(value), "SOCIAL_HANDLE")
    for m in _HANDLE_BEFORE_PLATFORM.finditer(text):
        t = _HANDLE_TRAIL.match(m.group())
        if t and any(c.isalpha() for c in t.group("v")):
            yield Span(m.start(), m.start() + len(t.group("v")), "SOCIAL_HANDLE")


#: the words of ``_PLATFORM``: a message none of whose words is one needs no platform search
_PLATFORM_WORDS = frozenset(
    [
        "insta",
        "instagram",
        "ig",
        "snap",
        "snapchat",
        "tiktok",
        "tik",
        "discord",
        "roblox",
        "fortnite",
        "twitter",
        "x",
        "twitch",
        "telegram",
        "psn",
        "xbox",
        "steam",
        "gamertag",
        "minecraft",
        "threads",
        "bereal",
        "pinterest",
        "youtube",
    ]
)
#: the words ``_BIRTH_YEAR`` starts with
_BIRTH_YEAR_WORDS = frozenset({"van", "geboren", "bouwjaar", "geboortejaar", "born"})
_WORD_PARTS = re.compile(r"[-'’]")


_DIGIT = re.compile(r"\d")
#: every URL shape has a dot between a letter or digit and a letter ("x.nl", "www.", "t.co/..."):
#: a sentence-ending ". " has not, so most messages skip the URL expression
_URL_GATE = re.compile(r"[a-z0-9-]\.[a-z]|://", _I)


def _words(tokens: list[Token]) -> frozenset[str]:
    """Lower-case words of the message, hyphenated and clitic tokens also split into parts."""
    words = {t.low for t in tokens}
    for low in [w for w in words if "-" in w or "'" in w or "’" in w]:
        words.update(_WORD_PARTS.split(low))
    return frozenset(words)


def find_patterns(text: str, tokens: list[Token]) -> list[Span]:
    """All pattern-shaped spans; detectors whose key character or word is absent are skipped.

    The skips are supersets of what each expression needs, so they change speed, not results.
    """
    spans: list[Span] = []
    words = _words(tokens)
    if "@" in text:
        spans.extend(emails(text))
    if _URL_GATE.search(text):
        spans.extend(urls(text))
    if _DIGIT.search(text):
        for detect in (ibans, phones, bsns, plates, postcodes):
            spans.extend(detect(text))
        spans.extend(case_numbers(text, shaped="-" in text or "/" in text))
        spans.extend(dates_of_birth(text, year_cued=not words.isdisjoint(_BIRTH_YEAR_WORDS)))
    if "@" in text or not words.isdisjoint(_PLATFORM_WORDS):
        spans.extend(handles(text))
    return spans
