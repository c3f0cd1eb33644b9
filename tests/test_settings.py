"""Settings are written once: every ``Config`` field has its variable, its option and its line in the docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.config import Config, env_name, option_name, setting_fields

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


@pytest.mark.parametrize("name", list(setting_fields()))
def test_every_setting_is_documented(name: str) -> None:
    f = setting_fields()[name]
    text = DOCS.read_text(encoding="utf-8")
    assert f"`{env_name(f)}`" in text
    if f.metadata["cli"]:
        assert f"`{option_name(f)}`" in text


@pytest.mark.parametrize("name", [n for n, f in setting_fields().items() if f.metadata["cli"]])
def test_every_command_line_setting_is_an_option_of_serve(name: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert option_name(setting_fields()[name]) in result.output


def test_a_config_round_trips_through_its_environment(tmp_path: Path) -> None:
    config = Config(
        store=tmp_path,
        read_only=True,
        query_timeout=2.5,
        token="secret",
        cors_origins=("https://a.example", "https://b.example"),
        allowed_endpoints=("http://127.0.0.1:7878/query", "https://example.org/sparql"),
        max_queries=3,
    )
    assert Config.from_env(config.to_env()) == config
    assert Config.from_env(Config(store=None).to_env()).store is None


def test_an_option_wins_over_its_variable_and_a_variable_over_the_default() -> None:
    environ = {"GENAI_KG_QUERY_TIMEOUT": "5", "GENAI_KG_READ_ONLY": "yes"}
    assert Config.from_env(environ).query_timeout == 5.0
    assert Config.from_env(environ, query_timeout=7.0).query_timeout == 7.0
    assert Config.from_env(environ).read_only is True
    assert Config.from_env({}).query_timeout == Config().query_timeout


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        ("GENAI_KG_QUERY_TIMEOUT", "soon"),
        ("GENAI_KG_READ_ONLY", "maybe"),
        ("GENAI_KG_PORT", "80.5"),
        ("GENAI_KG_QUERY_TIMEOUT", "inf"),  # a deadline at infinity: OverflowError in every query
        ("GENAI_KG_REQUEST_TIMEOUT", "0"),
        ("GENAI_KG_BULK_RETRACTION_SHARE", "nan"),
    ],
)
def test_a_bad_value_names_its_setting(variable: str, text: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Config.from_env({variable: text})


@pytest.mark.parametrize(
    ("variable", "text"),
    [("GENAI_KG_MAX_QUERIES", "0"), ("GENAI_KG_MAX_CLIENT_QUERIES", "0"), ("GENAI_KG_THREADS", "-1")],
)
def test_a_count_below_its_least_value_names_its_setting(variable: str, text: str) -> None:
    with pytest.raises(ValueError, match=f"{variable} / .*: at least"):
        Config.from_env({variable: text})


def test_serve_refuses_a_count_below_its_least_value_before_starting() -> None:
    result = CliRunner().invoke(main, ["serve", "--memory", "--max-client-queries", "0"])
    assert result.exit_code == 2
    assert "--max-client-queries: at least 1, not 0" in result.output
