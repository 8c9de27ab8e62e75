"""Bar charts of answer distributions as PNG bytes (matplotlib, Agg: no display needed).

Only visible cells are drawn; a hidden cell gets no bar and its label says
"fewer than k", so a chart never shows more than its text table beside it.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.digest.model import Question

__all__ = ["bar_chart"]

BAR = "#1f5f8b"
TEXT = "#1a1a1a"
WIDTH_IN = 4.6
DPI = 130


def bar_chart(question: Question, hidden_label: str) -> bytes:
    """A horizontal bar chart of the question's shares (percent of respondents)."""
    rows = list(question.rows)
    height = 0.8 + 0.36 * len(rows)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    ax = fig.add_subplot()
    labels = [_short(r.label) for r in rows]
    values = [(r.share or 0.0) * 100 for r in rows]
    y = list(range(len(rows)))[::-1]
    ax.barh(y, values, color=BAR, height=0.65)
    ax.set_yticks(y, labels, fontsize=10.5, color=TEXT)
    top = max([v for v in values] + [10.0])
    ax.set_xlim(0, min(100.0, top * 1.25 + 5))
    for yi, row, value in zip(y, rows, values, strict=True):
        note = f"{value:.0f}%" if row.share is not None else hidden_label
        ax.text(value + top * 0.02, yi, note, va="center", fontsize=10, color=TEXT)
    # No x axis: every bar carries its value, and fewer texts draw much faster.
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    # Fixed margins instead of tight_layout (which draws the figure an extra time).
    longest = max(len(label) for label in labels)
    fig.subplots_adjust(left=min(0.5, 0.04 + 0.0175 * longest), right=0.97,
                        top=1 - 0.12 / height, bottom=0.12 / height)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
