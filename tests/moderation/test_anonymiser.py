"""Per-type behaviour of the anonymiser on realistic chat sentences, with the precision traps."""

from __future__ import annotations

from itertools import pairwise

import pytest

from moderation import PLACEHOLDERS, Anonymiser, Span


@pytest.fixture(scope="module")
def anon() -> Anonymiser:
    return Anonymiser()


def found(anon: Anonymiser, text: str) -> list[tuple[str, str]]:
    return [(s.type, text[s.start : s.end]) for s in anon.find(text)]


POSITIVES = [
    ("ik ben lotte en ik woon in almelo", [("PERSON", "lotte"), ("PLACE", "almelo")]),
    ("mn broertje jayden is 9", [("PERSON", "jayden"), ("AGE", "9")]),
    ("mijn mentor mevrouw van dam is streng", [("PERSON", "van dam")]),
    ("de juf van mn zusje heet juf anouk", [("PERSON", "anouk")]),
    ("ik ben yusuf el idrissi uit tiel", [("PERSON", "yusuf el idrissi"), ("PLACE", "tiel")]),
    # "vries" and "putten" are villages too: after a name interfix they are the surname
    ("ik ben sanne de vries", [("PERSON", "sanne de vries")]),
    ("mn vriendin noor ter putten zegt het ook", [("PERSON", "noor ter putten")]),
    ("sem hier, 15 jaar", [("PERSON", "sem"), ("AGE", "15")]),
    ("bel me op 06-41234567 na school", [("PHONE", "06-41234567")]),
    (
        "ons huis 010 412 3456 of +31 6 1234 5678",
        [("PHONE", "010 412 3456"), ("PHONE", "+31 6 1234 5678")],
    ),
    ("mail me: lotte.devries2008@gmail.com", [("EMAIL", "lotte.devries2008@gmail.com")]),
    (
        "ik woon op de dorpsstraat 14b in nieuwegein",
        [("ADDRESS", "dorpsstraat 14b"), ("PLACE", "nieuwegein")],
    ),
    (
        "adres: hoofdstraat 3, 3811 ab amersfoort",
        [("ADDRESS", "hoofdstraat 3"), ("POSTCODE", "3811 ab"), ("PLACE", "amersfoort")],
    ),
    ("mijn bsn is 111222333", [("BSN", "111222333")]),
    ("iban NL91 ABNA 0417 1643 00 tnv mn moeder", [("IBAN", "NL91 ABNA 0417 1643 00")]),
    ("ik ben geboren op 4 juli 2007", [("DATE_OF_BIRTH", "4 juli 2007")]),
    ("mn verjaardag is 12 maart", [("DATE_OF_BIRTH", "12 maart")]),
    ("ik ben 14 en zit in de 2e", [("AGE", "14")]),
    ("ik zit op cbs de wegwijzer", [("SCHOOL_OR_INSTITUTION", "cbs de wegwijzer")]),
    ("mn zus zit op het hyperion lyceum", [("SCHOOL_OR_INSTITUTION", "hyperion lyceum")]),
    ("volg me op insta: sanne.xo", [("SOCIAL_HANDLE", "sanne.xo")]),
    ("check @jaydenn_010 op tiktok", [("SOCIAL_HANDLE", "@jaydenn_010")]),
    (
        "mn profiel https://www.instagram.com/lotte.xo/ kijk maar",
        [("URL", "https://www.instagram.com/lotte.xo/")],
    ),
    ("mijn brommer is 12-ABC-3", [("LICENSE_PLATE", "12-ABC-3")]),
    ("dossiernummer JZ-2023-00412 bij jeugdzorg", [("CASE_NUMBER", "JZ-2023-00412")]),
    (
        "ik woon in de schilderswijk met mn oma fatma",
        [("PLACE", "schilderswijk"), ("PERSON", "fatma")],
    ),
    ("mn moeder komt uit casablanca", [("PLACE", "casablanca")]),
    ("merhaba ben elif, utrecht'te oturuyorum", [("PERSON", "elif"), ("PLACE", "utrecht")]),
    ("jestem kasia, mieszkam w tilburg", [("PERSON", "kasia"), ("PLACE", "tilburg")]),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES, ids=[t for t, _ in POSITIVES])
def test_finds_personal_data(anon: Anonymiser, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(anon, text) == expected


NEGATIVES = [
    "de bakker op de hoek is aardig",
    "ik heb 3 keer per week training",
    "het kost 100 euro per maand",
    "om 15:30 ben ik uit school",
    "groep 8 was leuk",
    "ik zit in havo 4",
    "de straat waar ik woon is vies, overal rommel op straat",
    "ik heb een roos getekend 🌹",
    "ik ben de bob vanavond",
    "in april heb ik examens",
    "mark my words dit gaat mis",
    "we doen boodschappen bij de dirk",
    "ik werk bij de jumbo en de action",
    "bel 112 of 0800-0432 als het niet goed gaat",
    "vanaf 18 jaar krijg je geen jeugdzorg meer",
    "ik woon al 2 jaar op mezelf",
    "de meeste 15-jarigen hangen op het plein",
    "amsterdam is te duur voor jongeren",
    "ik wil later in londen wonen",
    "we gaan naar turkije op vakantie",
    "mn highscore is 964329315 haha",
    "de brief was van 12-03-2024",
    "kijk op 113.nl of bol.com",
    "ik ben moe en heb geen zin",
    "mn moeder kan niet lezen",
    "de jeugdzorg helpt niet, ze luisteren niet",
    "bij de bso is het saai",
    "lijn 15 rijdt niet in het weekend",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_ordinary_text_alone(anon: Anonymiser, text: str) -> None:
    assert found(anon, text) == []
    assert anon.anonymise(text).text == text


def test_bsn_failing_eleven_test_stays(anon: Anonymiser) -> None:
    assert found(anon, "mijn bsn is 111222334") == []


def test_iban_with_wrong_check_digits_stays(anon: Anonymiser) -> None:
    assert found(anon, "rekening NL92 ABNA 0417 1643 00") == []


def test_anonymise_replaces_with_typed_placeholders(anon: Anonymiser) -> None:
    redaction = anon.anonymise("ik ben sanne, bel 06-41234567")
    assert redaction.text == f"ik ben {PLACEHOLDERS['PERSON']}, bel {PLACEHOLDERS['PHONE']}"
    assert redaction.spans == (Span(7, 12, "PERSON"), Span(18, 29, "PHONE"))


def test_spans_are_sorted_and_disjoint(anon: Anonymiser) -> None:
    spans = anon.find(
        "ik ben bilal, 15, mail bilal.zaandam@gmail.com of @bilal.zaandam op insta, ik woon in zaandam"
    )
    assert list(spans) == sorted(spans)
    assert all(a.end <= b.start for a, b in pairwise(spans))
    assert {s.type for s in spans} == {"PERSON", "AGE", "EMAIL", "SOCIAL_HANDLE", "PLACE"}


def test_slot_behaviour(anon: Anonymiser) -> None:
    with pytest.raises(AttributeError):
        anon.extra = 1  # type: ignore[attr-defined]
