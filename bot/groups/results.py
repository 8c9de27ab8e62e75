"""``/resultaten``: a coach's own prompts as aggregates, after the small-cell rule.

Counts come from :meth:`GroupStore.results`; every number shown passes the one
small-cell rule (:mod:`bot.digest.small_cells`): an option chosen by fewer than
k people reads "fewer than 5", and so does any total that small.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.digest.small_cells import K_DEFAULT, hide, suppress
from bot.groups.model import PromptResults
from bot.groups.texts import t
from bot.messages import OutboundMessage

__all__ = ["results_message"]


def _shown(value: int | None, lang: str, k: int) -> str:
    return t("few", lang, k=k) if value is None else str(value)


def results_message(results: list[PromptResults], names: Mapping[str, str], lang: str,
                    k: int = K_DEFAULT) -> OutboundMessage:
    if not results:
        return OutboundMessage(t("no_prompts", lang), lang=lang)
    blocks = [t("results_head", lang)]
    for r in results:
        p = r.prompt
        answered = hide(r.answered, k=k)
        block = t("results_prompt", lang, question=p.question[:80], name=names.get(p.group_id, "?"),
                  status=t(f"status_{p.status}", lang), answered=_shown(answered, lang, k),
                  recipients=_shown(hide(r.recipients, k=k), lang, k))
        if p.options:
            cells = suppress(r.by_option, k=k, total=r.answered)
            lines = [f"• {label}: {_shown(cells[i], lang, k)}" for i, label in enumerate(p.options)]
            block += "\n" + "\n".join(lines)
        elif r.answered:
            block += "\n" + t("open_answers", lang)
        blocks.append(block)
    return OutboundMessage("\n\n".join(blocks), lang=lang)
