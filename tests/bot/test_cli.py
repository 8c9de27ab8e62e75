"""The praatmee command line as an operator uses it: real subprocesses, stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=full_env, cwd=cwd or ROOT, timeout=timeout,
    )


def test_dialogues_validate_reports_reading_ease_and_passes_shipped_files() -> None:
    out = run("dialogues", "validate", "dialogues")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("OK") == 3 and "Flesch-Douma" in out.stdout


def test_dialogues_validate_names_file_and_line_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "kapot.yml"
    bad.write_text((ROOT / "dialogues" / "rondkomen.yml").read_text().replace("domain: participatiewet", "domain: sport"))
    out = run("dialogues", "validate", str(bad))
    assert out.returncode == 1
    assert f"{bad}:" in out.stdout and "domain" in out.stdout


def test_anonymise_reads_and_writes_json_lines_in_order() -> None:
    lines = [
        json.dumps({"id": "a", "text": "bel me op 06-12345678"}),
        "{not json",
        json.dumps({"id": "c", "text": "gewoon een zin zonder gegevens"}),
    ]
    out = run("anonymise", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "c"]
    assert "06-12345678" not in rows[0]["text"] and rows[0]["spans"][0]["type"] == "PHONE"
    assert "error" in rows[1]
    assert rows[2]["text"] == "gewoon een zin zonder gegevens" and rows[2]["spans"] == []


def test_screen_flags_a_crisis() -> None:
    out = run("screen", stdin=json.dumps({"id": "1", "text": "ik wil dood"}) + "\n")
    (row,) = [json.loads(x) for x in out.stdout.splitlines()]
    assert row == {"id": "1", "crisis": True, "kind": "suicide", "abuse": False}


def test_wrong_setting_stops_with_one_line(tmp_path: Path) -> None:
    out = run("simulate", "--participants", "1", "--dialogue", "rondkomen",
              env={"PRAATMEE_PORT": "abc", "PRAATMEE_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "PRAATMEE_PORT" in out.stderr


def test_simulate_in_process_prints_a_summary(tmp_path: Path) -> None:
    out = run("simulate", "--participants", "6", "--dialogue", "vrije-tijd-buurt", "--municipality", "velsen",
              "--seed", "3", env={"PRAATMEE_DATA_DIR": str(tmp_path), "PRAATMEE_NLU_BACKEND": "keywords"},
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["participants"] == 6 and summary["completed"] == 6
    assert summary["answers_stored"] >= 6 * 5


def test_chat_in_the_terminal(tmp_path: Path) -> None:
    script = "2\n1\n1\nstop\n"
    out = run("chat", stdin=script, env={"PRAATMEE_DATA_DIR": str(tmp_path), "PRAATMEE_NLU_BACKEND": "keywords"},
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "In welke gemeente woon je?" in out.stdout
    assert "Kies een onderwerp" in out.stdout
    assert "Je bent gestopt" in out.stdout


def test_keys_new_prints_usable_keys() -> None:
    out = run("keys", "new")
    values = dict(line.split("=", 1) for line in out.stdout.splitlines())
    from cryptography.fernet import Fernet

    Fernet(values["PRAATMEE_SEALING_KEYS"].encode())
    assert len(values["PRAATMEE_PSEUDONYM_KEY"]) >= 32


def test_sql_statements_and_parameters_are_never_logged() -> None:
    import logging

    from bot.commands import _logging

    _logging("DEBUG")
    for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine", "asyncpg", "alembic"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """`praatmee serve` as `make run` starts it, on embedded defaults in ``tmp_path``."""
    env = {**os.environ, "PRAATMEE_PORT": str(port), "PRAATMEE_DATA_DIR": str(tmp_path / "var"),
           "PRAATMEE_NLU_BACKEND": "keywords", "PRAATMEE_DIALOGUES": str(ROOT / "dialogues")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if f"http://127.0.0.1:{port}/" not in first:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"praatmee serve did not start: {first}{err}")
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, as a process manager stops it: a clean exit, nothing on stderr but logs."""
    import signal

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def _post(port: int, body: dict[str, object]) -> list[dict[str, object]]:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/webchat/messages", method="POST",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        messages: list[dict[str, object]] = json.loads(resp.read())["messages"]
    return messages


def test_serve_answers_in_the_web_chat_and_a_restarted_process_continues(tmp_path: Path) -> None:
    import urllib.request

    port = _free_port()
    proc = _serve(tmp_path, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as resp:
            assert resp.status == 200
        session = {"session": "proef-sessie-serve-0001"}
        consent = _post(port, {**session, "start": "velsen--vrije-tijd-buurt", "id": "a"})[-1]
        yes = next(o["id"] for o in consent["options"] if str(o["id"]).endswith(".yes"))  # type: ignore[union-attr]
        first_question = _post(port, {**session, "choice": yes, "id": "b"})[-1]
        assert first_question["options"], first_question
    finally:
        _stop(proc)
    proc = _serve(tmp_path, port)
    try:
        again = _post(port, {**session, "choice": yes, "id": "b"})
        assert again == []  # the same message id, once more: handled before the restart
        option = first_question["options"][0]["id"]  # type: ignore[index]
        following = _post(port, {**session, "choice": option, "id": "c"})[-1]
        assert following["text"] != first_question["text"] and following["text"]
    finally:
        _stop(proc)
