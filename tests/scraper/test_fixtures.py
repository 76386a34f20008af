"""Tests for scraper/fixtures.py: the folder format, safe names, recording and byte-exact replay."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.client import build_client, fetch
from scraper.errors import FixtureMissing
from scraper.fixtures import (
    DROPPED_HEADERS,
    FixtureFolder,
    RecordingTransport,
    ReplayTransport,
    fixture_name,
)
from scraper.settings import Settings

WHEN = datetime(2016, 7, 1, 12, tzinfo=UTC)
DHS = "https://www.dhs.gov/keywords/secure-communities"
PAGE = "<html><body><h1>Secure Communities</h1><p>caf\u00e9</p></body></html>".encode()
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("ETag", '"abc"'),
    ("Last-Modified", "Fri, 01 Jul 2016 12:00:00 GMT"),
]


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, "obey_robots": False, **kwargs})


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "content_type", "name"),
    [
        (DHS, "text/html; charset=utf-8", "www.dhs.gov/keywords-secure-communities.html"),
        (DHS + "?page=1", "text/html", "www.dhs.gov/keywords-secure-communities-page-1.html"),
        ("https://www.dhs.gov/", "text/html", "www.dhs.gov/index.html"),
        ("https://www.dhs.gov/robots.txt", "text/plain", "www.dhs.gov/robots-txt.txt"),
        ("http://127.0.0.1:8000/a/../b", None, "127.0.0.1_8000/b.html"),
        ("https://x.gov/%2F..%2Fetc/passwd", "application/pdf", "x.gov/2f-2fetc-passwd.pdf"),
        ("https://b\u00fccher.de/caf\u00e9", "text/html", "xn--bcher-kva.de/caf-c3-a9.html"),
        ("https://x.gov/feed", "application/octet-stream", "x.gov/feed.bin"),
    ],
)
def test_fixture_name_is_readable_and_safe(url: str, content_type: str | None, name: str) -> None:
    """Names are host/slug.ext from the encoded path and query, lowercase, no separators."""
    assert fixture_name(url, content_type) == name


def test_fixture_name_bounds_long_paths() -> None:
    """A very long URL gives a short slug."""
    name = fixture_name("https://x.gov/" + "segment/" * 200)
    assert len(name.split("/", 1)[1]) <= 80 + len(".html")


# Paths and queries that try to escape, collide or overflow.
_segments = st.one_of(
    st.sampled_from(["..", ".", "%2F", "%2f..", "A", "a", "con", "NUL", "index", "~", "%00", "-", "_", "?x"]),
    st.text(min_size=0, max_size=20),
    st.text(alphabet="aA/.-_%2F", max_size=300),
)
_urls = st.builds(
    lambda host, parts, query: (
        f"https://{host}/" + "/".join(parts) + (f"?{query}" if query is not None else "")
    ),
    st.sampled_from(["example.gov", "EXAMPLE.gov", "www.example.gov", "127.0.0.1:8080"]),
    st.lists(_segments, max_size=4),
    st.none() | st.text(max_size=30),
)


SAFE_NAME = re.compile(r"[a-z0-9_.-]+/[a-z0-9-]+\.[a-z]+")
"""One directory (the host) and a lowercase slug: nothing a filesystem or shell reads specially."""


def _valid(url: str) -> bool:
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(st.lists(_urls.filter(_valid), min_size=1, max_size=8))
def test_saved_files_stay_inside_and_never_collide(urls: list[str]) -> None:
    """No URL writes outside DIR, names use safe characters, and distinct URLs never share a file."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "fixtures"
        folder = FixtureFolder(root)
        for n, url in enumerate(urls):
            folder.save(url, status=200, headers=HEADERS, body=f"body {n}".encode(), fetched_at=WHEN)
        root_resolved = root.resolve()
        for path in Path(tmp).rglob("*"):
            assert path.resolve().is_relative_to(root_resolved)
        files: dict[str, set[str]] = {}
        for saved in folder:
            assert saved.file is not None
            assert (root / saved.file).resolve().is_relative_to(root_resolved)
            assert SAFE_NAME.fullmatch(saved.file), saved.file
            assert len(saved.file.split("/")[1]) <= 100
            files.setdefault(saved.file.lower(), set()).add(str(httpx.URL(saved.url)))
        assert all(len(owners) == 1 for owners in files.values())
        distinct = {str(httpx.URL(u)) for u in urls}
        assert len(folder) == len(distinct)
        reloaded = FixtureFolder.load(root)
        last = {str(httpx.URL(u)): n for n, u in enumerate(urls)}
        for url, n in last.items():
            found = reloaded.get(url)
            assert found is not None
            assert reloaded.body(found) == f"body {n}".encode()


def test_case_only_difference_gets_a_hash_suffix(tmp_path: Path) -> None:
    """/Page and /page get different files, the second one with a short hash."""
    folder = FixtureFolder(tmp_path)
    first = folder.save("https://x.gov/Page", status=200, headers=HEADERS, body=b"1")
    second = folder.save("https://x.gov/page", status=200, headers=HEADERS, body=b"2")
    assert first.file == "x.gov/page.html"
    assert second.file is not None
    assert second.file.startswith("x.gov/page-")
    assert len(second.file) == len("x.gov/page-") + 10 + len(".html")


# -- the folder format -------------------------------------------------------------------------


def test_index_json_has_the_documented_format(tmp_path: Path) -> None:
    """index.json is exactly the format in DESIGN.md, and the body is a readable file."""
    FixtureFolder(tmp_path).save(DHS, status=200, headers=HEADERS, body=PAGE, fetched_at=WHEN)
    data = json.loads((tmp_path / "index.json").read_text())
    assert data == {
        "format": "topicscrape-fixtures",
        "version": 1,
        "responses": {
            DHS: {
                "method": "GET",
                "status": 200,
                "headers": [list(h) for h in HEADERS],
                "file": "www.dhs.gov/keywords-secure-communities.html",
                "fetched_at": "2016-07-01T12:00:00Z",
            }
        },
    }
    assert (tmp_path / "www.dhs.gov/keywords-secure-communities.html").read_bytes() == PAGE


def test_empty_body_has_no_file(tmp_path: Path) -> None:
    """A redirect is saved with file null and its Location header."""
    saved = FixtureFolder(tmp_path).save(
        "https://x.gov/old", status=301, headers=[("Location", "/new")], body=b""
    )
    assert saved.file is None
    assert list(tmp_path.rglob("*.html")) == []


def test_resaving_replaces_without_duplicates(tmp_path: Path) -> None:
    """Recording a URL again updates its entry and file; no second entry, no stray files."""
    folder = FixtureFolder(tmp_path)
    folder.save(DHS, status=200, headers=HEADERS, body=b"old", fetched_at=WHEN)
    folder.save(DHS, status=200, headers=HEADERS, body=b"new", fetched_at=WHEN)
    again = FixtureFolder.load(tmp_path)
    assert len(again) == 1
    saved = again.get(DHS)
    assert saved is not None
    assert again.body(saved) == b"new"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "index.json",
        "keywords-secure-communities.html",
    ]


def test_load_reads_nested_indexes(tmp_path: Path) -> None:
    """Every index.json below the root counts, each with files relative to itself."""
    FixtureFolder(tmp_path / "dhs").save(DHS, status=200, headers=HEADERS, body=b"dhs")
    FixtureFolder(tmp_path / "other" / "deep").save("https://x.gov/a", status=200, headers=HEADERS, body=b"x")
    folder = FixtureFolder.load(tmp_path)
    assert len(folder) == 2
    dhs, x = folder.get(DHS), folder.get("https://x.gov/a")
    assert dhs is not None
    assert x is not None
    assert (folder.body(dhs), folder.body(x)) == (b"dhs", b"x")


def test_resaving_a_nested_entry_updates_its_own_index(tmp_path: Path) -> None:
    """Re-recording a URL listed in a sub-folder rewrites that sub-folder, not the root."""
    FixtureFolder(tmp_path / "dhs").save(DHS, status=200, headers=HEADERS, body=b"v1")
    FixtureFolder.load(tmp_path).save(DHS, status=200, headers=HEADERS, body=b"v2")
    assert not (tmp_path / "index.json").exists()
    reloaded = FixtureFolder.load(tmp_path)
    saved = reloaded.get(DHS)
    assert saved is not None
    assert reloaded.body(saved) == b"v2"


def test_lookup_matches_equivalent_urls(tmp_path: Path) -> None:
    """A key is found however httpx would spell the same URL."""
    FixtureFolder(tmp_path).save("https://x.gov/a b", status=200, headers=HEADERS, body=b"x")
    folder = FixtureFolder.load(tmp_path)
    assert "https://X.GOV/a%20b" in folder
    assert "https://x.gov/a%20c" not in folder


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    """Atomic writes clean up after themselves."""
    folder = FixtureFolder(tmp_path)
    for i in range(3):
        folder.save(f"https://x.gov/{i}", status=200, headers=HEADERS, body=b"x")
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    "index",
    [
        {"format": "something-else", "version": 1, "responses": {}},
        {"format": "topicscrape-fixtures", "version": 99, "responses": {}},
        {
            "format": "topicscrape-fixtures",
            "version": 1,
            "responses": {"https://x.gov/": {"status": 200, "headers": [], "file": "../../etc/passwd"}},
        },
    ],
)
def test_bad_indexes_are_refused(tmp_path: Path, index: dict[str, object]) -> None:
    """Another format, a newer version, or a file outside the folder is an error, not a guess."""
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match=r"index|version|escapes"):
        FixtureFolder.load(tmp_path)


# -- recording ---------------------------------------------------------------------------------


def _origin(request: httpx.Request) -> httpx.Response:
    """A server with a gzip page, cookies, and a redirect."""
    if request.url.path == "/old":
        return httpx.Response(301, headers={"Location": "/page", "Set-Cookie": "s=secret-cookie"})
    return httpx.Response(
        200,
        headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("ETag", '"abc"'),
            ("Set-Cookie", "session=secret-session"),
            ("X-Custom", "kept"),
        ],
        stream=httpx.ByteStream(gzip.compress(PAGE)),
    )


async def _record(folder: FixtureFolder, url: str, **headers: str) -> None:
    settings = _settings()
    transport = RecordingTransport(httpx.MockTransport(_origin), folder, now=lambda: WHEN)
    async with build_client(settings, transport=transport) as client:
        await fetch(client, url, settings=settings, headers=headers or None)


async def test_recording_saves_decoded_bodies_and_safe_headers(tmp_path: Path) -> None:
    """The body is stored decoded; encoding, length and cookie headers are dropped, others kept."""
    folder = FixtureFolder(tmp_path)
    await _record(folder, "https://x.gov/old")
    page, redirect = folder.get("https://x.gov/page"), folder.get("https://x.gov/old")
    assert page is not None
    assert redirect is not None
    assert folder.body(page) == PAGE
    assert page.headers == (
        ("Content-Type", "text/html; charset=utf-8"),
        ("ETag", '"abc"'),
        ("X-Custom", "kept"),
    )
    assert page.fetched_at == WHEN
    assert (redirect.status, redirect.file, redirect.headers) == (301, None, (("Location", "/page"),))


async def test_secrets_are_never_written(tmp_path: Path) -> None:
    """Request Authorization/Cookie and response Set-Cookie appear in no saved file."""
    await _record(
        FixtureFolder(tmp_path),
        "https://x.gov/old",
        Authorization="Bearer top-secret",
        Cookie="c=cookie-secret",
    )
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in (b"top-secret", b"cookie-secret", b"secret-session", b"secret-cookie"):
        assert secret not in written
    assert {"authorization", "cookie", "set-cookie"} <= DROPPED_HEADERS


async def test_abandoned_bodies_are_not_recorded(tmp_path: Path) -> None:
    """A body the client stops reading (too large) is not saved as if it were whole."""
    folder = FixtureFolder(tmp_path)
    settings = _settings(max_bytes=10)
    transport = RecordingTransport(httpx.MockTransport(_origin), folder)
    async with build_client(settings, transport=transport) as client:
        with pytest.raises(Exception, match="too large"):
            await fetch(client, "https://x.gov/page", settings=settings)
    assert "https://x.gov/page" not in folder


# -- replay ------------------------------------------------------------------------------------


@pytest.fixture
def dhs_folder(tmp_path: Path) -> FixtureFolder:
    """A folder holding the DHS page (saved, then loaded from disk)."""
    FixtureFolder(tmp_path).save(DHS, status=200, headers=HEADERS, body=PAGE, fetched_at=WHEN)
    return FixtureFolder.load(tmp_path)


def test_replay_is_byte_exact_for_sync_clients(dhs_folder: FixtureFolder) -> None:
    """Status, headers (names, order, values) and body come back exactly as saved."""
    with httpx.Client(transport=ReplayTransport(dhs_folder)) as client:
        response = client.get(DHS)
    assert response.status_code == 200
    assert [(k.decode(), v.decode()) for k, v in response.headers.raw] == HEADERS
    assert response.content == PAGE


async def test_replay_is_byte_exact_through_fetch(dhs_folder: FixtureFolder) -> None:
    """fetch over replay gives the saved body and the saved fetch time."""
    settings = _settings()
    async with build_client(settings, transport=ReplayTransport(dhs_folder)) as client:
        fetched = await fetch(client, DHS, settings=settings)
    assert fetched.content == PAGE
    assert fetched.headers == tuple(HEADERS)
    assert fetched.fetched_at == WHEN


async def test_replay_of_an_unknown_url_names_the_record_command(dhs_folder: FixtureFolder) -> None:
    """A miss raises FixtureMissing naming the URL and `topicscrape record URL --to DIR`."""
    settings = _settings()
    async with build_client(settings, transport=ReplayTransport(dhs_folder)) as client:
        with pytest.raises(FixtureMissing) as caught:
            await fetch(client, DHS + "?page=1", settings=settings)
    message = str(caught.value)
    assert DHS + "?page=1" in message
    assert f"topicscrape record '{DHS}?page=1' --to {dhs_folder.root}" in message


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("If-None-Match", '"abc"', 304),
        ("If-None-Match", 'W/"abc", "zzz"', 304),
        ("If-None-Match", '"other"', 200),
        ("If-Modified-Since", "Fri, 01 Jul 2016 12:00:00 GMT", 304),
        ("If-Modified-Since", "Sat, 02 Jul 2016 00:00:00 GMT", 304),
        ("If-Modified-Since", "Thu, 30 Jun 2016 00:00:00 GMT", 200),
        ("If-Modified-Since", "garbage", 200),
    ],
)
async def test_replay_answers_conditional_requests(
    dhs_folder: FixtureFolder, header: str, value: str, status: int
) -> None:
    """Validators that match the saved ETag/Last-Modified get a 304, as from the real server."""
    settings = _settings()
    async with build_client(settings, transport=ReplayTransport(dhs_folder)) as client:
        fetched = await fetch(client, DHS, settings=settings, headers={header: value})
    assert fetched.status == status
    assert fetched.not_modified is (status == 304)
    if status == 304:
        assert fetched.etag == '"abc"'
        assert fetched.content == b""


async def test_record_then_replay_gives_the_same_fetch(tmp_path: Path) -> None:
    """What a recorded crawl saw, a replayed one sees: redirects, final URL, body."""
    await _record(FixtureFolder(tmp_path), "https://x.gov/old")
    settings = _settings()
    async with build_client(settings, transport=ReplayTransport(FixtureFolder.load(tmp_path))) as client:
        fetched = await fetch(client, "https://x.gov/old", settings=settings)
    assert fetched.redirects == ("https://x.gov/old",)
    assert fetched.final_url == "https://x.gov/page"
    assert fetched.content == PAGE
    assert fetched.fetched_at == WHEN
