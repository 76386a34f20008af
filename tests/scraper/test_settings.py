"""Tests for scraper/settings.py: polite defaults, validation, and loading from TOML."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from scraper.settings import DEFAULT_TOTAL_TIMEOUT, DEFAULT_USER_AGENT, Settings


def test_defaults_are_polite() -> None:
    """Out of the box we obey robots.txt, wait a second per host, and stay on the site."""
    settings = Settings()
    assert settings.obey_robots
    assert settings.delay == 1.0
    assert settings.concurrency == 2
    assert not settings.allow_offsite
    assert settings.max_attempts == 4
    assert settings.retry_after_cap == 300.0
    assert settings.max_bytes == 10 * 1024 * 1024
    assert (settings.connect_timeout, settings.read_timeout) == (10.0, 30.0)


def test_total_timeout_defaults_to_a_bound_on_the_whole_answer() -> None:
    """One try may take 120 s in all by default: longer than any read, far shorter than a trickle."""
    settings = Settings()
    assert settings.total_timeout == DEFAULT_TOTAL_TIMEOUT == 120.0
    assert settings.total_timeout >= settings.read_timeout


def test_unset_total_timeout_follows_a_longer_read_timeout() -> None:
    """Raising only the read timeout past the default total raises the total with it."""
    assert Settings(read_timeout=300).total_timeout == 300
    assert Settings(read_timeout=5).total_timeout == DEFAULT_TOTAL_TIMEOUT
    assert Settings(read_timeout=5, total_timeout=8).total_timeout == 8


def test_total_timeout_below_the_read_timeout_is_rejected() -> None:
    """A whole answer cannot be given less time than one read of it."""
    with pytest.raises(
        pydantic.ValidationError, match=r"total_timeout \(--total-timeout, 30 s\) must be at least"
    ):
        Settings(read_timeout=60, total_timeout=30)


def test_user_agent_names_the_project() -> None:
    """The default User-Agent is ``topicscrape/<version> (+project URL)``."""
    assert DEFAULT_USER_AGENT.startswith("topicscrape/")
    assert DEFAULT_USER_AGENT.endswith("(+https://github.com/topicscrape/topicscrape)")


def test_settings_are_frozen_and_strict() -> None:
    """Settings cannot be changed after creation, and unknown names are rejected."""
    settings = Settings()
    with pytest.raises(pydantic.ValidationError):
        settings.delay = 5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Settings(dealy=5)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "bad",
    [
        {"concurrency": 0},
        {"delay": -1},
        {"max_attempts": 0},
        {"max_bytes": 0},
        {"backoff_initial": 10, "backoff_max": 1},
        {"total_timeout": 0},
    ],
)
def test_invalid_values_are_rejected(bad: dict[str, object]) -> None:
    """Nonsense numbers fail validation (a ValueError the CLI turns into exit 2)."""
    with pytest.raises(pydantic.ValidationError):
        Settings.model_validate(bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cdx_url", "notaurl"),
        ("cdx_url", "ftp://web.archive.org/cdx"),
        ("cdx_url", "http://[::1/cdx"),
        ("archive_url", "http://host:port/web/"),
        ("archive_url", "https:///web/"),
    ],
)
def test_archive_endpoints_must_be_http_urls(field: str, value: str) -> None:
    """A bad --cdx-url or --archive-url is refused in words naming the value and the default."""
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings.model_validate({field: value})
    message = caught.value.errors()[0]["msg"]
    default = Settings.model_fields[field].default
    assert message == f"Value error, not an absolute http(s) URL: {value!r} (the default is {default})"


def test_archive_endpoints_accept_a_local_collection() -> None:
    """A pywb collection on localhost with a port is a valid archive."""
    settings = Settings(
        cdx_url="http://localhost:8080/my-coll/cdx", archive_url="http://localhost:8080/my-coll/"
    )
    assert settings.archive_url == "http://localhost:8080/my-coll/"


def test_replay_and_record_exclude_each_other(tmp_path: Path) -> None:
    """Replaying never touches the network, so recording at the same time means nothing."""
    with pytest.raises(pydantic.ValidationError, match="replay and record"):
        Settings(replay=tmp_path, record=tmp_path)


def test_every_field_is_documented() -> None:
    """Each field carries its docstring as a description (for --help and the schema)."""
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


def test_from_toml_reads_the_file_and_applies_overrides(tmp_path: Path) -> None:
    """TOML values load; non-None overrides win; None overrides fall through to the file."""
    path = tmp_path / "topicscrape.toml"
    path.write_text('delay = 2.5\nconcurrency = 4\nuser_agent = "bot/1"\nstate = "crawl.sqlite"\n')
    settings = Settings.from_toml(path, concurrency=1, user_agent=None)
    assert settings.delay == 2.5
    assert settings.concurrency == 1
    assert settings.user_agent == "bot/1"
    assert settings.state == tmp_path / "crawl.sqlite"


def test_from_toml_reads_relative_paths_beside_the_file(tmp_path: Path) -> None:
    """Relative paths in the file are relative to it (any working directory finds the same files);
    absolute ones, '-' and paths given as overrides (flags) are kept as they are."""
    path = tmp_path / "etc" / "crawl.toml"
    path.parent.mkdir()
    path.write_text(
        'output = "out/records.jsonl"\ndb = "/srv/news.sqlite"\nreplay = "fixtures"\n'
        'profile = "profiles/site.toml"\n'
    )
    settings = Settings.from_toml(path, state="here.sqlite")
    assert settings.output == tmp_path / "etc" / "out" / "records.jsonl"
    assert settings.db == Path("/srv/news.sqlite")
    assert settings.replay == tmp_path / "etc" / "fixtures"
    assert settings.profile == str(tmp_path / "etc" / "profiles" / "site.toml")
    assert settings.state == Path("here.sqlite")
    (path.parent / "dash.toml").write_text('output = "-"\nprofile = "drupal7"\n')
    dash = Settings.from_toml(path.parent / "dash.toml")
    assert (dash.output, dash.profile) == (Path("-"), "drupal7")


def test_from_toml_reads_the_tool_table_of_pyproject(tmp_path: Path) -> None:
    """In a pyproject.toml the settings live under [tool.topicscrape]."""
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.topicscrape]\nobey_robots = false\nmax_pages = 3\n')
    settings = Settings.from_toml(path)
    assert not settings.obey_robots
    assert settings.max_pages == 3


def test_from_toml_rejects_unknown_keys(tmp_path: Path) -> None:
    """A typo in the file is an error, not a silently ignored setting."""
    path = tmp_path / "topicscrape.toml"
    path.write_text("delya = 2\n")
    with pytest.raises(pydantic.ValidationError, match="delya"):
        Settings.from_toml(path)
