"""The small-cell rule: hidden cells cannot be read back from what is shown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest.small_cells import hide, rate, suppress


def test_small_cells_are_hidden_and_zero_stays() -> None:
    assert suppress({"a": 12, "b": 3, "c": 0, "d": 7}) == {"a": 12, "b": None, "c": 0, "d": 7}


def test_one_hidden_cell_with_a_total_takes_the_smallest_visible_cell_with_it() -> None:
    # 3 alone would be total - 12 - 9 = 3; hiding 9 too leaves 12 hidden people in two cells.
    assert suppress({"a": 12, "b": 3, "c": 9}, total=24) == {"a": 12, "b": None, "c": None}


def test_without_a_total_only_small_cells_go() -> None:
    assert suppress({"a": 12, "b": 3, "c": 9}) == {"a": 12, "b": None, "c": 9}


def test_a_small_total_hides_everything() -> None:
    assert suppress({"a": 4, "b": 0}, total=4) == {"a": None, "b": None}


def test_single_figures_and_rates() -> None:
    assert hide(4) is None and hide(5) == 5 and hide(0) == 0
    assert rate(10, 20) == 0.5
    assert rate(18, 20) is None  # the 2 who did not finish could be read back
    assert rate(3, 20) is None
    assert rate(0, 0) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=9), st.integers(2, 10))
def test_no_hidden_group_can_be_back_calculated(cells: list[int], k: int) -> None:
    counts = dict(enumerate(cells))
    total = sum(cells)
    shown = suppress(counts, k=k, total=total)
    assert all(v is None or v == counts[key] for key, v in shown.items())
    assert not any(v is not None and 0 < v < k for v in shown.values())
    if total >= k:
        hidden_sum = total - sum(v for v in shown.values() if v is not None)
        assert hidden_sum == 0 or hidden_sum >= k
    for key, n in counts.items():
        if 0 < n < k:
            assert shown[key] is None
