"""Tests for scraper/pytest_plugin.py, run the way users run it: inner pytest sessions via pytester."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from e2e.site import Site

pytest_plugins = ["pytester"]

DHS = Path(__file__).resolve().parents[2] / "fixtures" / "dhs"
TOPIC = "https://www.dhs.gov/keywords/secure-communities"

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
{extra}
"""

REPLAY_TESTS = f"""
import pytest

TOPIC = {TOPIC!r}

def test_sync(topicscrape_replay):
    assert not topicscrape_replay.recording
    with topicscrape_replay.client() as client:
        page = client.get(TOPIC)
    assert page.status_code == 200
    assert b"Secure Communities" in page.content
    assert page.headers["Etag"] == '"1467381532-0"'

async def test_async(topicscrape_replay):
    async with topicscrape_replay.async_client() as client:
        page = await client.get(TOPIC + "?page=2")
    assert page.status_code == 200
    assert b"Secure Communities" in page.content
"""


README_EXAMPLE = """
import pytest
from parsers import parse_topic_page

@pytest.mark.topicscrape_fixtures("fixtures/dhs")
def test_secure_communities_page(topicscrape_replay):
    with topicscrape_replay.client() as client:
        response = client.get("https://www.dhs.gov/keywords/secure-communities")
    page = parse_topic_page(response.content, url=str(response.url))
    assert page.topic == "Secure Communities"
    assert len(page.teasers) == 5
"""
"""The ten lines of README.md's "Testing with fixtures" section, verbatim."""


def _ini(pytester: pytest.Pytester, extra: str = "") -> None:
    pytester.makeini(INI.format(extra=extra))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner pytest run, in a subprocess: an in-process run drops the modules it imported when it
    ends, and a module imported again later (httpcore) makes new exception classes that httpx, kept
    from before, no longer maps. Hypothesis's plugin is left out to save its start-up."""
    return pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args)


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    """Installing topicscrape makes pytest load scraper.pytest_plugin in every project."""
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("topicscrape") == "scraper.pytest_plugin"


def test_clients_replay_the_folder_named_in_the_ini(pytester: pytest.Pytester) -> None:
    """The ini option picks the folder; sync and async clients both replay it."""
    shutil.copytree(DHS, pytester.path / "recorded")
    _ini(pytester, "topicscrape_fixtures = recorded")
    pytester.makepyfile(test_replay=REPLAY_TESTS)
    result = _run(pytester, "--strict-markers")
    result.assert_outcomes(passed=2)


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    """The README's ten-line example works as written, offline."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert README_EXAMPLE.strip() in readme, "README.md's pytest example drifted from this test's copy"
    shutil.copytree(DHS, pytester.path / "fixtures" / "dhs")
    _ini(pytester)
    pytester.makepyfile(test_dhs=README_EXAMPLE)
    result = _run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)


def test_the_default_folder_is_fixtures(pytester: pytest.Pytester) -> None:
    """Without a marker or ini option, rootdir/fixtures is used (nested folders included)."""
    shutil.copytree(DHS, pytester.path / "fixtures" / "dhs")
    _ini(pytester)
    pytester.makepyfile(test_replay=REPLAY_TESTS)
    result = _run(pytester)
    result.assert_outcomes(passed=2)


def test_a_marker_chooses_the_folder_for_one_test(pytester: pytest.Pytester) -> None:
    """@pytest.mark.topicscrape_fixtures wins over the ini option, and --strict-markers accepts it."""
    shutil.copytree(DHS, pytester.path / "dhs")
    (pytester.path / "empty").mkdir()
    _ini(pytester, "topicscrape_fixtures = empty")
    pytester.makepyfile(
        test_marker=f"""
import pytest

@pytest.mark.topicscrape_fixtures("dhs")
def test_marked(topicscrape_replay, pytestconfig):
    assert topicscrape_replay.folder == pytestconfig.rootpath / "dhs"
    with topicscrape_replay.client() as client:
        assert client.get({TOPIC!r}).status_code == 200

def test_unmarked(topicscrape_replay, pytestconfig):
    assert topicscrape_replay.folder == pytestconfig.rootpath / "empty"
"""
    )
    result = _run(pytester, "--strict-markers")
    result.assert_outcomes(passed=2)


def test_a_missing_url_raises_fixture_missing_with_both_ways_to_record(pytester: pytest.Pytester) -> None:
    """A URL not recorded is FixtureMissing: the topicscrape command, plus a note about --record-fixtures."""
    shutil.copytree(DHS, pytester.path / "fixtures")
    _ini(pytester)
    pytester.makepyfile(
        test_missing="""
import pytest
from scraper.errors import FixtureMissing

def test_missing(topicscrape_replay):
    with topicscrape_replay.client() as client, pytest.raises(FixtureMissing) as caught:
        client.get("https://www.dhs.gov/not-recorded")
    assert "topicscrape record https://www.dhs.gov/not-recorded --to" in str(caught.value)
    assert any("--record-fixtures" in note for note in caught.value.__notes__)
"""
    )
    result = _run(pytester)
    result.assert_outcomes(passed=1)


def _recording_tests(url: str) -> str:
    return f"""
URL = {url!r}

def test_sync(topicscrape_replay):
    with topicscrape_replay.client() as client:
        page = client.get(URL)
    assert page.status_code == 200
    assert page.text == "<h1>live page</h1>"

async def test_async(topicscrape_replay):
    async with topicscrape_replay.async_client() as client:
        page = await client.get(URL + "?page=1")
    assert page.status_code == 200
    assert page.text == "<h1>live page</h1>"
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["fixtures", "captured.warc.gz"])
def test_record_fixtures_records_live_then_replays_offline(
    pytester: pytest.Pytester, make_site: Callable[..., Site], target: str
) -> None:
    """--record-fixtures fetches from the live server and saves; the next run replays with it gone."""
    site = make_site(gzip=True)
    site.page("/topic", "<h1>live page</h1>", headers=(("Set-Cookie", "session=secret-session"),))
    _ini(pytester, f"topicscrape_fixtures = {target}")
    pytester.makepyfile(test_live=_recording_tests(site.url("/topic")))

    recorded = _run(pytester, "--record-fixtures")
    recorded.assert_outcomes(passed=2)
    assert len(site.requests("/topic")) == 2
    saved = pytester.path / target
    if target == "fixtures":
        index = json.loads((saved / "index.json").read_text())
        assert sorted(index["responses"]) == [site.url("/topic"), site.url("/topic?page=1")]
    files = [p for p in pytester.path.rglob("*") if p.is_file()]
    written = b"".join(
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files
    )
    assert b"<h1>live page</h1>" in written
    assert b"secret-session" not in written

    site.stop()
    replayed = _run(pytester)
    replayed.assert_outcomes(passed=2)
    assert len(site.requests("/topic")) == 2


HALF_READ_TESTS = """
import re
import pytest
from scraper.pytest_plugin import FixtureNotRecordedWarning

URL = {url!r}

NOT_RECORDED = re.escape(URL) + r" \\(HTTP 200\\) was not recorded: the response was closed after"

def test_half_read(topicscrape_replay):
    with topicscrape_replay.client() as client:
        with pytest.warns(FixtureNotRecordedWarning, match=NOT_RECORDED):
            with client.stream("GET", URL) as response:
                assert next(response.iter_raw(100))
        assert client.get(URL + "?whole=1").status_code == 200
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["fixtures", "captured.warc.gz"])
def test_a_half_read_stream_is_not_recorded_and_a_warning_names_it(
    pytester: pytest.Pytester, make_site: Callable[..., Site], target: str
) -> None:
    """--record-fixtures: a response closed half-read is not saved, and a FixtureNotRecordedWarning
    names its URL (the replay run would otherwise fail with no clue)."""
    site = make_site()
    site.page("/big", "<p>" + "x" * 500_000 + "</p>")
    _ini(pytester, f"topicscrape_fixtures = {target}")
    pytester.makepyfile(test_stream=HALF_READ_TESTS.format(url=site.url("/big")))
    result = _run(pytester, "--record-fixtures")
    result.assert_outcomes(passed=1)
    saved = pytester.path / target
    if target == "fixtures":
        recorded = set(json.loads((saved / "index.json").read_text())["responses"])
    else:
        recorded = {
            line.split(b": ", 1)[1].strip().decode()
            for line in gzip.decompress(saved.read_bytes()).splitlines()
            if line.startswith(b"WARC-Target-URI")
        }
    assert recorded == {site.url("/big?whole=1")}


HEAD_AFTER_GET_TESTS = """
URL = {url!r}

def test_head_after_get(topicscrape_replay):
    with topicscrape_replay.client() as client:
        page = client.get(URL)
        head = client.head(URL)
    assert page.status_code == head.status_code == 200
    assert page.text == "<h1>live page</h1>"
    assert head.content == b""
"""


@pytest.mark.slow
def test_a_head_after_a_get_keeps_the_get_fixture(
    pytester: pytest.Pytester, make_site: Callable[..., Site]
) -> None:
    """--record-fixtures: a test that GETs then HEADs a URL records the GET, and replays both."""
    site = make_site()
    site.page("/topic", "<h1>live page</h1>")
    _ini(pytester, "topicscrape_fixtures = fixtures")
    pytester.makepyfile(test_head=HEAD_AFTER_GET_TESTS.format(url=site.url("/topic")))
    _run(pytester, "--record-fixtures").assert_outcomes(passed=1)
    index = json.loads((pytester.path / "fixtures" / "index.json").read_text())
    assert index["responses"][site.url("/topic")]["method"] == "GET"
    site.stop()
    _run(pytester).assert_outcomes(passed=1)
