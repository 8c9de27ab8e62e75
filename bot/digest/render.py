"""Render digests as HTML (e-mail safe: tables, inline styles), plain text and CSV.

Charts are PNGs; in an e-mail they are ``cid:`` parts of the message, in a file
written to disk they are ``data:`` URIs so ``digest.html`` opens on its own.
Each chart has a text table beside it with the same (suppressed) numbers.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.digest.charts import bar_chart
from bot.digest.export import to_csv
from bot.digest.model import Digest, Question
from bot.digest.texts import t
from bot.digest.weeks import monday

__all__ = ["Rendered", "render", "subject"]


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    html: str
    text: str
    csv: str
    #: content id -> PNG, for ``cid:`` references (empty when images are inline).
    images: dict[str, bytes]


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.digest", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def subject(digests: Sequence[Digest]) -> str:
    lang = digests[0].lang
    names = ", ".join(d.municipality_name for d in digests)
    return t("subject", lang, week=digests[0].week, names=names)


def render(digests: Sequence[Digest], *, inline_images: bool) -> Rendered:
    """HTML, text and CSV of one or more digests (one per municipality, same week and language)."""
    if not digests:
        raise ValueError("nothing to render")
    lang = digests[0].lang
    k = digests[0].k
    images: dict[str, bytes] = {}
    sources: dict[tuple[str, str, str], str] = {}
    hidden = t("hidden", lang, k=k)
    for digest in digests:
        for section in digest.dialogues:
            for question in section.questions:
                if question.respondents is None:
                    continue
                png = bar_chart(question, hidden)
                key = (digest.municipality, section.id, question.step_id)
                if inline_images:
                    sources[key] = "data:image/png;base64," + base64.b64encode(png).decode()
                else:
                    cid = hashlib.sha256(png).hexdigest()[:16] + "@praatmee"
                    images[cid] = png
                    sources[key] = "cid:" + cid
    env = _environment()

    def tr(key: str, **values: object) -> str:
        return t(key, lang, **values)

    def num(value: float | None) -> str:
        return hidden if value is None else f"{int(value)}"

    def pct(value: float | None) -> str:
        return hidden if value is None else f"{value * 100:.0f}%"

    def figure(value: float | None, percent: bool) -> str:
        return pct(value) if percent else num(value)

    def change(value: float | None, percent: bool) -> str:
        if value is None:
            return "–"
        if percent:
            return f"{value * 100:+.0f} {'procentpunt' if lang == 'nl' else 'points'}"
        return f"{int(value):+d}"

    def period(week: str) -> str:
        start = monday(week)
        end = start + timedelta(days=6)
        return t(
            "week", lang, week=week, start=start.strftime("%d-%m-%Y"), end=end.strftime("%d-%m-%Y")
        )

    def chart(digest: Digest, section_id: str, question: Question) -> str:
        return sources.get((digest.municipality, section_id, question.step_id), "")

    context = {
        "digests": digests,
        "lang": lang,
        "k": k,
        "tr": tr,
        "num": num,
        "pct": pct,
        "figure": figure,
        "change": change,
        "period": period,
        "chart": chart,
        "subject": subject(digests),
    }
    html = env.get_template("digest.html.j2").render(**context)
    text = env.get_template("digest.txt.j2").render(**context)
    return Rendered(subject(digests), html, text, to_csv(digests), images)
