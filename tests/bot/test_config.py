"""Settings: defaults, one-line errors that name the variable, and the documented example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import Settings, load_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_run_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(_env_file=None)
    assert s.port == 8080 and s.host == "127.0.0.1"
    assert s.resolved_database_url == "sqlite:///var/praatmee.sqlite"
    assert s.resolved_state_store == "sqlite"
    assert set(s.municipalities) == {"beverwijk", "heemskerk", "velsen"}


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("PRAATMEE_PORT", "abc", "Config 'PRAATMEE_PORT' has value \"abc\""),
        ("PRAATMEE_PORT", "70000", "Config 'PRAATMEE_PORT'"),
        ("PRAATMEE_STATE_STORE", "mongo", "Config 'PRAATMEE_STATE_STORE'"),
        ("PRAATMEE_MUNICIPALITIES", '{"Bad Code": "x"}', "Config 'PRAATMEE_MUNICIPALITIES'"),
        ("PRAATMEE_NLU_BACKEND", "gpt", "Config 'PRAATMEE_NLU_BACKEND'"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None)
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRAATMEE_WHATSAPP_THROUGHPUT", "-1")
    monkeypatch.setenv("PRAATMEE_TELEGRAM_TOKEN", "123:SECRET-TOKEN")
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None)
    assert "SECRET-TOKEN" not in str(err.value)
    s = load_settings(_env_file=None, whatsapp_throughput=80)
    assert "SECRET-TOKEN" not in repr(s)


def test_redis_store_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(_env_file=None, state_store="redis")
    with pytest.raises(ConfigError, match="PRAATMEE_REDIS_URL"):
        _ = s.resolved_state_store


def test_empty_lines_in_env_file_mean_default(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PRAATMEE_PSEUDONYM_KEY=\nPRAATMEE_PORT=9000\nPRAATMEE_DATABASE_URL=\n")
    s = load_settings(_env_file=env)
    assert s.port == 9000 and s.pseudonym_key is None and s.database_url is None


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*(PRAATMEE_[A-Z_]+)=", example, re.MULTILINE))
    from bot.digest.mail import SmtpSettings

    expected = {"PRAATMEE_" + name.upper() for name in Settings.model_fields}
    expected |= {"PRAATMEE_SMTP_" + name.upper() for name in SmtpSettings.model_fields}
    assert expected == listed
    s = load_settings(_env_file=ROOT / ".env.example")
    assert s.port == 8080


def test_docker_compose_parses_and_names_its_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"bot", "redis", "postgres", "rasa"} <= set(services)
    for name in ("bot", "redis", "postgres", "rasa"):
        assert "healthcheck" in services[name], name
    assert set(compose["volumes"]) >= {"bot-data", "redis-data", "postgres-data"}
    bot = services["bot"]
    env = bot["environment"]
    assert env["PRAATMEE_DATABASE_URL"].startswith("postgresql://")
    assert env["PRAATMEE_REDIS_URL"] == "redis://redis:6379/0"
    assert set(bot["depends_on"]) == {"redis", "postgres", "rasa"}
    rasa = services["rasa"]
    assert "ports" not in rasa and "--auth-token" in " ".join(rasa["command"])
    assert rasa["environment"]["RASA_TELEMETRY_ENABLED"] == "false"
    for key in env:
        if key.startswith("PRAATMEE_"):
            assert key.removeprefix("PRAATMEE_").lower() in Settings.model_fields, key


def test_readme_dialogue_example_is_a_valid_dialogue() -> None:
    from bot.dialogue.loader import parse_dialogue

    readme = (ROOT / "README.md").read_text()
    block = readme.split("## The dialogue format", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    result = parse_dialogue(block, "README.md")
    assert result.dialogue.id == "vrije-tijd-buurt"
