"""Sealed addresses and queued messages: open with the right keys only, across rotations
and across the change from Fernet tokens to AES-GCM ones."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from moderation.sealing import AddressSealer, SealError

OLD = AddressSealer.new_key()
NEW = AddressSealer.new_key()


@pytest.mark.parametrize("value", ["31612345678", "wa:NL.1234567890abcdef", "héél gewoon 🙂 تمام", ""])
def test_what_is_sealed_opens_unchanged_and_is_not_readable(value: str) -> None:
    sealer = AddressSealer([OLD])
    sealed = sealer.seal(value)
    assert sealed.isascii()
    if value:
        assert value not in sealed
    assert sealer.open(sealed) == value


def test_the_same_address_seals_differently_each_time() -> None:
    sealer = AddressSealer([OLD])
    assert sealer.seal("31612345678") != sealer.seal("31612345678")


def test_after_a_rotation_old_tokens_open_and_new_ones_need_the_new_key() -> None:
    before = AddressSealer([OLD])
    after = AddressSealer([NEW, OLD])
    old_token = before.seal("31612345678")
    assert after.open(old_token) == "31612345678"
    new_token = after.seal("31699999999")
    assert AddressSealer([NEW]).open(new_token) == "31699999999"
    with pytest.raises(SealError):
        before.open(new_token)


def test_tokens_sealed_with_fernet_by_earlier_versions_still_open() -> None:
    legacy = Fernet(OLD).encrypt(b"31612345678").decode()
    assert AddressSealer([OLD]).open(legacy) == "31612345678"
    rotated = AddressSealer([NEW, OLD])
    assert rotated.open(legacy) == "31612345678"
    resealed = rotated.reseal(legacy)
    assert resealed != legacy
    assert AddressSealer([NEW]).open(resealed) == "31612345678"
    with pytest.raises(SealError):
        AddressSealer([NEW]).open(legacy)


def test_reseal_moves_an_old_token_to_the_first_key() -> None:
    token = AddressSealer([OLD]).seal("31612345678")
    moved = AddressSealer([NEW, OLD]).reseal(token)
    assert AddressSealer([NEW]).open(moved) == "31612345678"


def _flip(token: str, at: int) -> str:
    c = token[at]
    return token[:at] + ("A" if c != "A" else "B") + token[at + 1:]


@pytest.mark.parametrize("damage", [
    lambda t: _flip(t, len(t) - 3),  # in the tag
    lambda t: _flip(t, 12),  # in the nonce
    lambda t: t[:-6],  # cut short
    lambda t: t[:8],  # hardly anything left
    lambda t: t + "!!",  # not base64
    lambda t: "g1.",  # empty
    lambda t: "gAAAAAnot-a-fernet-token",  # looks like Fernet, is not
    lambda t: "31612345678",  # never sealed at all
    lambda t: "g1.ééé",  # not ASCII
])
def test_a_damaged_or_foreign_token_is_refused_with_a_seal_error(damage) -> None:
    sealer = AddressSealer([OLD])
    with pytest.raises(SealError):
        sealer.open(damage(sealer.seal("31612345678")))


def test_a_token_sealed_under_an_unknown_key_is_refused() -> None:
    with pytest.raises(SealError):
        AddressSealer([OLD]).open(AddressSealer([NEW]).seal("31612345678"))


@pytest.mark.parametrize("keys", [[], [b"too-short"], [b"x" * 44]])
def test_keys_that_are_not_fernet_keys_are_refused(keys: list[bytes]) -> None:
    with pytest.raises(ValueError):
        AddressSealer(keys)
