"""The JSON-lines stream behind ``praatmee anonymise``: one output line per input line, in order."""

from __future__ import annotations

import json

import pytest

from moderation import Anonymiser
from moderation.jsonl_anonymise import anonymise_lines


@pytest.fixture(scope="module")
def anon() -> Anonymiser:
    return Anonymiser()


def test_redacts_and_gives_offsets_into_the_original(anon: Anonymiser) -> None:
    line = json.dumps({"id": "m1", "text": "ik ben sanne, bel 06-41234567"})
    (out,) = anonymise_lines([line], anon)
    record = json.loads(out)
    assert record == {
        "id": "m1",
        "text": "ik ben [NAAM], bel [TELEFOON]",
        "spans": [
            {"start": 7, "end": 12, "type": "PERSON"},
            {"start": 18, "end": 29, "type": "PHONE"},
        ],
    }


def test_bad_lines_report_an_error_and_the_stream_goes_on(anon: Anonymiser) -> None:
    lines = [
        '{"id": 1, "text": "hoi"}',
        "{not json",
        "",
        '{"id": 2}',
        '{"id": 3, "text": 42}',
        "[1, 2]",
        "   ",
        '{"id": 4, "text": "mn bsn is 111222333"}',
    ]
    out = [json.loads(o) for o in anonymise_lines(lines, anon)]
    assert [o.get("id") for o in out] == [1, None, 2, 3, None, 4]
    assert out[0] == {"id": 1, "text": "hoi", "spans": []}
    assert "invalid JSON" in out[1]["error"]
    assert out[2]["error"] == "missing field 'text'"
    assert out[3]["error"] == "field 'text' must be a string, got int"
    assert out[4]["error"] == "expected a JSON object, got list"
    assert out[5]["text"] == "mn bsn is [BSN]"


def test_errors_never_echo_the_raw_text(anon: Anonymiser) -> None:
    (out,) = anonymise_lines(['{"id": 9, "text": ["sanne 06-41234567"]}'], anon)
    assert "sanne" not in out and "0641234567" not in out.replace("-", "")


def test_output_keeps_non_ascii_readable(anon: Anonymiser) -> None:
    (out,) = anonymise_lines([json.dumps({"id": "x", "text": "çok güzel 😂"})], anon)
    assert "çok güzel 😂" in out
