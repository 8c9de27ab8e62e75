"""``praatmee nlu parse``: JSON lines in and out, one output per input, in order."""

from __future__ import annotations

import json

from nlu.embedded import EmbeddedNlu
from nlu.jsonl_parse import parse_lines


async def _run(lines: list[str], backend: EmbeddedNlu) -> list[dict[str, object]]:
    return [json.loads(out) async for out in parse_lines(lines, backend)]


async def test_results_come_in_input_order_with_ids(embedded: EmbeddedNlu) -> None:
    lines = [json.dumps({"id": i, "text": t}) for i, t in
             enumerate(["hoi", "stop ff met die berichten", "de bus komt nooit"])]
    out = await _run(lines, embedded)
    assert [o["id"] for o in out] == [0, 1, 2]
    assert [o["intent"] for o in out][:2] == ["greet", "stop"]
    assert out[2]["themes"] == ["vervoer"]
    assert set(out[1]) == {"id", "lang", "intent", "confidence", "themes"}


async def test_bad_lines_give_errors_and_the_rest_goes_on(embedded: EmbeddedNlu) -> None:
    lines = ['{"id": "a", "text": "hoi"}', "{not json", '{"id": "b", "text": 5}', "[1, 2]",
             "", '{"id": "c", "text": "bedankt"}']
    out = await _run(lines, embedded)
    assert [o["id"] for o in out] == ["a", None, "b", None, "c"]
    assert [("error" in o) for o in out] == [False, True, True, True, False]
    assert "line 2" in str(out[1]["error"]) and out[4]["intent"] == "thanks"


async def test_output_never_echoes_the_message_text(embedded: EmbeddedNlu) -> None:
    secret = "mijn naam is jan jansen en ik woon op de dorpsstraat 12"
    lines = [json.dumps({"id": 1, "text": secret}), json.dumps({"id": 2, "text": 42})]
    raw = [out async for out in parse_lines(lines, embedded)]
    assert all("jansen" not in line and "dorpsstraat" not in line for line in raw)
