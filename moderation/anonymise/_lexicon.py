"""Lookup lists shipped in ``moderation/data``, loaded once per :class:`Lexicon`."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from moderation.anonymise._tokens import tokenize

__all__ = ["Lexicon", "load_lexicon"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Chat slang and abbreviations that no dictionary lists but that are never names.
_SLANG = frozenset(
    [
        "mn",
        "m'n",
        "zn",
        "z'n",
        "egt",
        "echt",
        "ff",
        "effe",
        "gwn",
        "gewn",
        "wrm",
        "wrom",
        "pls",
        "plz",
        "idk",
        "ofz",
        "ofzo",
        "bro",
        "broer",
        "brooo",
        "wollah",
        "wallah",
        "wallahi",
        "inshallah",
        "hahaha",
        "haha",
        "hihi",
        "lol",
        "lmao",
        "omg",
        "wtf",
        "tmrw",
        "tmr",
        "nvm",
        "btw",
        "thx",
        "tnx",
        "dankjewel",
        "doei",
        "hoii",
        "hoi",
        "heey",
        "hey",
        "hallo",
        "hai",
        "yo",
        "yoo",
        "ja",
        "jaa",
        "jaaa",
        "nee",
        "neee",
        "nah",
        "ok",
        "oke",
        "oké",
        "okey",
        "okay",
        "kk",
        "sws",
        "wss",
        "wsl",
        "iig",
        "idd",
        "ipv",
        "bijv",
        "evt",
        "zsm",
        "mss",
        "nu",
        "ik",
        "jij",
        "hij",
        "zij",
        "wij",
        "jullie",
        "ze",
        "je",
        "u",
        "uw",
        "mij",
        "mijn",
        "me",
        "m",
        "dr",
        "d'r",
        "hun",
        "hen",
        "zo",
        "zoo",
        "toch",
        "wel",
        "niet",
        "niks",
        "nog",
        "ook",
        "maar",
        "dus",
        "want",
        "omdat",
        "als",
        "dan",
        "hier",
        "daar",
        "oom",
        "tante",
        "opa",
        "oma",
        "moeder",
        "vader",
        "mama",
        "papa",
        "zus",
        "zusje",
        "broertje",
        "neef",
        "nicht",
        "mam",
        "pap",
        "ouders",
        "juf",
        "meester",
        "meneer",
        "mevrouw",
        "mw",
        "mevr",
        "dhr",
        "heer",
        "mr",
        "mrs",
        "ms",
        "sir",
        "insta",
        "snap",
        "tiktok",
        "snapchat",
        "discord",
        "fortnite",
        "roblox",
        "whatsapp",
        "telegram",
        "twitter",
        "facebook",
        "fb",
        "youtube",
        "spotify",
        "app",
        "apps",
        "appen",
        "iban",
        "bsn",
        "tel",
        "telnr",
        "nr",
        "mail",
        "email",
        "adres",
        "postcode",
        "nummer",
        "doesnt",
        "dont",
        "cant",
        "wont",
        "isnt",
        "im",
        "ive",
        "id",
        "ill",
        "thats",
        "whats",
        "hes",
        "shes",
        "theyre",
        "albert",
        "heijn",
        "jumbo",
        "lidl",
        "aldi",
        "hema",
        "kruidvat",
        "etos",
        "primark",
        "mcdonalds",
        "kfc",
        "dirk",
        "plus",
        "coop",
        "spar",
        "action",
    ]
)

#: Countries and provinces: guidelines say never to label them as a PLACE.
_NOT_PLACES = frozenset(
    [
        "nederland",
        "holland",
        "belgie",
        "belgië",
        "duitsland",
        "frankrijk",
        "spanje",
        "italie",
        "italië",
        "turkije",
        "marokko",
        "syrie",
        "syrië",
        "polen",
        "oekraine",
        "oekraïne",
        "roemenie",
        "roemenië",
        "bulgarije",
        "suriname",
        "curacao",
        "curaçao",
        "aruba",
        "irak",
        "iran",
        "afghanistan",
        "eritrea",
        "somalie",
        "somalië",
        "ethiopie",
        "ethiopië",
        "egypte",
        "tunesie",
        "algerije",
        "engeland",
        "amerika",
        "rusland",
        "china",
        "india",
        "pakistan",
        "indonesie",
        "indonesië",
        "europa",
        "afrika",
        "azie",
        "azië",
        "drenthe",
        "flevoland",
        "friesland",
        "fryslân",
        "gelderland",
        "groningen-provincie",
        "limburg",
        "noord-brabant",
        "brabant",
        "noord-holland",
        "overijssel",
        "zeeland",
        "zuid-holland",
        "randstad",
    ]
)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All word lists, lower case. Built once; share one instance between threads."""

    first_names: frozenset[str]
    surnames: frozenset[str]
    common_words: frozenset[str]
    top_words: frozenset[str]
    places_nl: frozenset[str]
    places_world: frozenset[str]
    streets: frozenset[str]
    institutions: frozenset[str]
    slang: frozenset[str]
    not_places: frozenset[str]
    #: First tokens of every place/institution phrase and last tokens of every street: cheap
    #: pre-checks so the phrase look-ups run only where a phrase can start or end.
    place_heads: dict[str, int]
    #: the first two tokens of every place phrase of two or more ("den haag", "nieuw-vennep"):
    #: a head followed by anything else can only be a one-word place
    place_pairs: frozenset[str]
    institution_heads: frozenset[str]
    street_tails: frozenset[str]

    def is_word(self, token: str) -> bool:
        """True for an ordinary word of a chat language (never a name on its own)."""
        return token in self.common_words or token in self.slang


def _lines(name: str) -> frozenset[str]:
    path = DATA_DIR / name
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    return frozenset(
        ln.strip()
        for ln in raw.decode("utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    )


def _heads(phrases: frozenset[str]) -> dict[str, int]:
    """First token of each phrase -> the most tokens a phrase with that start has."""
    heads: dict[str, int] = {}
    for phrase in phrases:
        tokens = tokenize(phrase)
        if tokens:
            heads[tokens[0].low] = max(heads.get(tokens[0].low, 0), len(tokens))
    return heads


def _pairs(phrases: frozenset[str]) -> frozenset[str]:
    pairs = set()
    for phrase in phrases:
        tokens = tokenize(phrase)
        if len(tokens) > 1:
            pairs.add(phrase[tokens[0].start : tokens[1].end])
    return frozenset(pairs)


def _edge(phrases: frozenset[str], index: int) -> frozenset[str]:
    edges = set()
    for phrase in phrases:
        tokens = tokenize(phrase)
        if tokens:
            edges.add(tokens[index].low)
    return frozenset(edges)


def load_lexicon() -> Lexicon:
    """Read every list from ``moderation/data`` (well under a second, about 60 MB)."""
    places_nl = _lines("places_nl.txt") | _lines("neighbourhoods_nl.txt")
    places_world = _lines("places_world.txt.gz")
    streets = _lines("streets_nl.txt.gz")
    institutions = _lines("institutions_nl.txt")
    return Lexicon(
        first_names=_lines("first_names.txt"),
        surnames=_lines("surnames.txt"),
        common_words=_lines("common_words.txt"),
        top_words=_lines("top_words.txt"),
        places_nl=places_nl,
        places_world=places_world,
        streets=streets,
        institutions=institutions,
        slang=_SLANG,
        not_places=_NOT_PLACES,
        place_heads=_heads(places_nl | places_world),
        place_pairs=_pairs(places_nl | places_world),
        institution_heads=_edge(institutions, 0),
        street_tails=_edge(streets, -1),
    )
