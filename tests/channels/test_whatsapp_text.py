"""Cutting text for WhatsApp's limits never breaks a word, emoji or accent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp._text import cut, graphemes, shorten, split_text, width

FAMILY = "👩‍👩‍👧‍👦"
FLAG = "🇳🇱"
THUMB = "👍🏽"
KEYCAP = "1️⃣"
E_ACUTE = "e\u0301"  # e + combining acute, as some keyboards send it

pieces = st.sampled_from(
    ["hoi", "jongeren", "gemeente", "café", "één", "wtf", "lol", "ff", "😀", FAMILY, FLAG,
     THUMB, KEYCAP, E_ACUTE, "idk", "sportveld", "Zeist", "🏳️‍🌈", "!!", "?"]
)
separators = st.sampled_from([" ", " ", " ", ". ", "! ", "\n", "\n\n", ""])
chat_text = st.lists(st.tuples(pieces, separators), min_size=1, max_size=80).map(
    lambda parts: "".join(a + b for a, b in parts).strip() or "hoi"
)


def test_graphemes_keep_sequences_whole() -> None:
    text = f"a{FAMILY}{FLAG}{THUMB}{KEYCAP}{E_ACUTE}🏳️‍🌈"
    assert graphemes(text) == ["a", FAMILY, FLAG, THUMB, KEYCAP, E_ACUTE, "🏳️‍🌈"]
    assert graphemes(FLAG + FLAG) == [FLAG, FLAG]


def test_width_counts_utf16_units() -> None:
    assert width("hoi") == 3 and width("😀") == 2 and width(FAMILY) == 11


def test_cut_prefers_a_space_and_shorten_marks_the_cut() -> None:
    assert cut("Veiliger fietsen naar school", 20) == ("Veiliger fietsen", "naar school")
    assert shorten("Veiliger fietsen naar school", 20) == "Veiliger fietsen…"
    assert shorten("kort", 20) == "kort"


def test_an_emoji_run_is_cut_between_emoji() -> None:
    head, rest = cut(FAMILY * 3, 20)
    assert head == FAMILY and rest == FAMILY * 2


def _clusters_ok(piece: str, whole: str) -> bool:
    """Every cluster of ``piece`` is a cluster of ``whole``: nothing was split."""
    return set(graphemes(piece)) <= set(graphemes(whole))


@settings(max_examples=150, deadline=None)
@given(chat_text, st.integers(min_value=19, max_value=80))
def test_cut_fits_and_loses_nothing_but_spaces(text: str, limit: int) -> None:
    head, rest = cut(text, limit)
    assert width(head) <= limit
    assert head or not text.strip()
    assert "".join((head + rest).split()) == "".join(text.split())
    assert _clusters_ok(head, text) and _clusters_ok(rest, text)
    whole = graphemes(text.strip())
    assert whole[: len(graphemes(head))] == graphemes(head)  # a prefix, cut between clusters


@settings(max_examples=150, deadline=None)
@given(chat_text, st.integers(min_value=19, max_value=72))
def test_shorten_fits(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert 0 < width(short) <= limit
    assert _clusters_ok(short.removesuffix("…"), text)


@settings(max_examples=100, deadline=None)
@given(chat_text, st.integers(min_value=24, max_value=120))
def test_split_text_chunks_fit_and_join_back(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert chunks and all(0 < width(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())
    assert all(_clusters_ok(c, text) for c in chunks)
