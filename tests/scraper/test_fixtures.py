"""Tests for scraper/fixtures.py: the folder format, safe names, recording and byte-exact replay."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import stat
import subprocess
import sys
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.client import build_client, fetch
from scraper.errors import FetchError, FixtureCorrupt, FixtureMissing, ScraperError
from scraper.fixtures import (
    DROPPED_HEADERS,
    LOCK_NAME,
    FixtureFolder,
    RecordingTransport,
    ReplayTransport,
    decoded_body,
    fixture_key,
    fixture_name,
    fixture_url,
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
    """No URL writes outside DIR, names use safe characters, and distinct URLs never share a file
    (distinct as fixtures compare them: fragments and escape case do not count)."""
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
            files.setdefault(saved.file.lower(), set()).add(fixture_key(saved.url))
        assert all(len(owners) == 1 for owners in files.values())
        distinct = {fixture_key(u) for u in urls}
        assert len(folder) == len(distinct)
        reloaded = FixtureFolder.load(root)
        last = {fixture_key(u): n for n, u in enumerate(urls)}
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


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_body_cut_short_is_not_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, coding: str
) -> None:
    """A compressed body that ends before its stream does (the server closed the connection) is
    not saved: it would replay as a shorter page forever. The fetch fails, and the log says why."""
    packed = gzip.compress(PAGE) if coding == "gzip" else zlib.compress(PAGE)

    def cut(request: httpx.Request) -> httpx.Response:
        headers = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(packed[: len(packed) // 2]))

    folder = FixtureFolder(tmp_path)
    settings = _settings(max_attempts=1)
    transport = RecordingTransport(httpx.MockTransport(cut), folder, now=lambda: WHEN)
    async with build_client(settings, transport=transport) as client:
        with pytest.raises(FetchError, match="ended before"):
            await fetch(client, "https://x.gov/cut", settings=settings)
    assert folder.get("https://x.gov/cut") is None
    assert f"the body ended before its {coding} stream did" in caplog.text


def test_decoded_body_refuses_a_cut_stream_and_reads_whole_ones() -> None:
    """Whole gzip, zlib-wrapped and raw deflate bodies decode; a cut one is a DecodingError;
    bytes that are no stream at all keep httpx's own error."""
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    bodies = {"gzip": gzip.compress(PAGE), "x-gzip": gzip.compress(PAGE), "deflate": zlib.compress(PAGE)}
    for coding, packed in [*bodies.items(), ("deflate", raw.compress(PAGE) + raw.flush())]:
        headers = httpx.Headers({"Content-Encoding": coding})
        assert decoded_body(packed, headers) == PAGE
        with pytest.raises(httpx.DecodingError, match="ended before"):
            decoded_body(packed[:-6], headers)
    with pytest.raises(httpx.DecodingError, match="incorrect header"):
        decoded_body(b"not gzip at all", httpx.Headers({"Content-Encoding": "gzip"}))


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


# -- URLs: no credentials, no fragments --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://alice:s3cret@x.gov/a?b=1", "https://x.gov/a?b=1"),
        ("https://alice@x.gov/a", "https://x.gov/a"),
        ("https://x.gov/liste?x=1#frag", "https://x.gov/liste?x=1"),
        ("https://x.gov/a#", "https://x.gov/a"),
        ("https://alice:s3cret@X.GOV:443/a b#top", "https://x.gov/a%20b"),
    ],
)
def test_fixture_url_drops_userinfo_and_fragment(url: str, stored: str) -> None:
    """A stored URL has neither the userinfo (a secret) nor the fragment (never sent)."""
    assert fixture_url(url) == stored


def test_fixture_key_ignores_the_case_of_percent_escapes() -> None:
    """%c3%a9 and %C3%A9 are the same byte, so the same key."""
    assert fixture_key("https://x.gov/caf%c3%a9?q=%e2%9c%93") == fixture_key(
        "https://x.gov/caf%C3%A9?q=%E2%9C%93"
    )
    assert fixture_key("https://x.gov/caf%C3%A9") != fixture_key("https://x.gov/cafe")


async def test_credentials_in_a_url_are_never_written_and_replay_still_finds_it(tmp_path: Path) -> None:
    """user:password@ in a recorded URL reaches no file; replaying the same URL finds the entry."""
    url = "https://alice:s3cret@x.gov/page"
    await _record(FixtureFolder(tmp_path), url)
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"s3cret" not in written
    assert b"alice" not in written
    assert list(json.loads((tmp_path / "index.json").read_text())["responses"]) == ["https://x.gov/page"]
    with httpx.Client(transport=ReplayTransport(FixtureFolder.load(tmp_path))) as client:
        assert client.get(url).content == PAGE
        with pytest.raises(FixtureMissing) as caught:
            client.get("https://alice:s3cret@x.gov/other")
    assert "s3cret" not in str(caught.value)


def test_a_fragment_is_not_part_of_the_key(tmp_path: Path) -> None:
    """A URL saved with #frag replays without it, and saving both spellings keeps one entry."""
    folder = FixtureFolder(tmp_path)
    folder.save("https://x.gov/liste?x=1#frag", status=200, headers=HEADERS, body=b"one")
    folder.save("https://x.gov/liste?x=1", status=200, headers=HEADERS, body=b"two")
    reloaded = FixtureFolder.load(tmp_path)
    assert len(reloaded) == 1
    saved = reloaded.get("https://x.gov/liste?x=1")
    assert saved is not None
    assert saved.url == "https://x.gov/liste?x=1"
    assert reloaded.body(saved) == b"two"
    assert reloaded.get("https://x.gov/liste?x=1#other") == saved
    assert len([p for p in tmp_path.rglob("*.html")]) == 1


def test_an_old_entry_with_a_fragment_is_replaced_not_duplicated(tmp_path: Path) -> None:
    """A folder recorded before the rule (a key with #frag) is found, and re-recording replaces it."""
    folder = FixtureFolder(tmp_path)
    folder.save("https://x.gov/a", status=200, headers=HEADERS, body=b"old")
    index = json.loads((tmp_path / "index.json").read_text())
    index["responses"] = {"https://x.gov/a#frag": index["responses"]["https://x.gov/a"]}
    (tmp_path / "index.json").write_text(json.dumps(index))
    old = FixtureFolder.load(tmp_path)
    assert "https://x.gov/a" in old
    old.save("https://x.gov/a", status=200, headers=HEADERS, body=b"new")
    assert list(json.loads((tmp_path / "index.json").read_text())["responses"]) == ["https://x.gov/a"]


def test_lookup_ignores_the_case_of_percent_escapes(tmp_path: Path) -> None:
    """A page recorded as /caf%C3%A9 is found when asked for as /caf%c3%a9."""
    FixtureFolder(tmp_path).save("https://x.gov/caf%C3%A9", status=200, headers=HEADERS, body=b"x")
    assert "https://x.gov/caf%c3%a9" in FixtureFolder.load(tmp_path)


# -- body file names never clash with index.json -----------------------------------------------

JSON = [("Content-Type", "application/json")]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:18713/", "https://api.x.gov/index", "https://api.x.gov/INDEX"]
)
def test_a_json_body_is_never_named_index_json(tmp_path: Path, url: str) -> None:
    """JSON at a host's root gets index-<hash>.json, and the folder loads with the body intact."""
    saved = FixtureFolder(tmp_path).save(url, status=200, headers=JSON, body=b'{"ok": true}')
    assert saved.file is not None
    assert saved.file.rsplit("/", 1)[1].lower() != "index.json"
    assert re.fullmatch(r"[a-z0-9_.-]+/index-[0-9a-f]{10}\.json", saved.file)
    reloaded = FixtureFolder.load(tmp_path)
    found = reloaded.get(url)
    assert found is not None
    assert reloaded.body(found) == b'{"ok": true}'


def test_a_folder_with_a_body_saved_as_index_json_still_loads(tmp_path: Path) -> None:
    """A folder recorded before the rule (host/index.json is a JSON body) loads, and re-recording
    renames that body."""
    (tmp_path / "api.x.gov").mkdir()
    (tmp_path / "api.x.gov" / "index.json").write_text('{"ok": true}')
    entry = {"method": "GET", "status": 200, "headers": [list(JSON[0])], "file": "api.x.gov/index.json"}
    index = {"format": "topicscrape-fixtures", "version": 1, "responses": {"https://api.x.gov/": entry}}
    (tmp_path / "index.json").write_text(json.dumps(index))
    folder = FixtureFolder.load(tmp_path)
    saved = folder.get("https://api.x.gov/")
    assert saved is not None
    assert folder.body(saved) == b'{"ok": true}'
    again = folder.save("https://api.x.gov/", status=200, headers=JSON, body=b'{"ok": false}')
    assert again.file is not None
    assert again.file != "api.x.gov/index.json"
    assert not (tmp_path / "api.x.gov" / "index.json").exists()


def test_loading_never_reads_a_host_folder(tmp_path: Path) -> None:
    """Only fixture indexes are read: an index.json inside a host folder (a body) is not."""
    FixtureFolder(tmp_path).save("https://x.gov/a", status=200, headers=HEADERS, body=b"a")
    (tmp_path / "x.gov" / "index.json").write_text("this is not JSON, and it is never read")
    assert len(FixtureFolder.load(tmp_path)) == 1


def test_a_nested_json_file_that_is_not_an_index_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """fixtures/data/index.json holding other JSON is skipped with a warning; the folders load."""
    FixtureFolder(tmp_path / "dhs").save(DHS, status=200, headers=HEADERS, body=b"dhs")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "index.json").write_text('{"items": []}')
    with caplog.at_level(logging.WARNING, logger="scraper.fixtures"):
        folder = FixtureFolder.load(tmp_path)
    assert DHS in folder
    assert "data/index.json" in caplog.text


# -- broken folders ----------------------------------------------------------------------------

_ENTRY = {"method": "GET", "status": 200, "headers": [["Content-Type", "text/html"]], "file": None}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({k: v for k, v in _ENTRY.items() if k != "status"}, '"status" is missing'),
        ({**_ENTRY, "status": "OK"}, '"status" is not an HTTP status code'),
        ({**_ENTRY, "status": 2000}, '"status" is not an HTTP status code'),
        ({**_ENTRY, "fetched_at": "yesterday"}, '"fetched_at" is not an RFC 3339 time'),
        ({**_ENTRY, "fetched_at": 1467374400}, '"fetched_at" is not an RFC 3339 time'),
        ({**_ENTRY, "file": "../../etc/passwd"}, "\"file\" '../../etc/passwd' is outside the folder"),
        ({**_ENTRY, "file": "index.json"}, "is the index itself"),
        ({**_ENTRY, "headers": [["Content-Type"]]}, '"headers" is not a list of ["Name", "value"] pairs'),
        ({**_ENTRY, "headers": [["Bad Name", "x"]]}, '"headers" is not a list'),
        ({**_ENTRY, "method": 7}, '"method" is not an HTTP method'),
        ("a string", "the entry is not an object"),
    ],
)
def test_a_broken_entry_names_the_index_the_url_and_the_problem(
    tmp_path: Path, entry: object, problem: str
) -> None:
    """One error type, one line: the index file, the URL, what is wrong, and what to do."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"format": "topicscrape-fixtures", "version": 1, "responses": {DHS: entry}}))
    with pytest.raises(FixtureCorrupt) as caught:
        FixtureFolder.load(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{index}: {DHS}: ")
    assert problem in message
    assert message.endswith(f"re-record it with `topicscrape record {DHS} --to {tmp_path}`, or fix the entry")
    assert "\n" not in message
    assert (caught.value.source, caught.value.url, caught.value.folder) == (index, DHS, tmp_path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"{bad json",
            "is not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)",
        ),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[]", 'is not a topicscrape-fixtures index (it has no "format": "topicscrape-fixtures")'),
        (
            b'{"format": "topicscrape-fixtures", "version": 1, "responses": []}',
            'its "responses" is not an object of URL: entry',
        ),
    ],
)
def test_a_broken_index_file_names_itself_and_what_to_do(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    """A whole index that cannot be read is FixtureCorrupt (also a ValueError), never a traceback."""
    (tmp_path / "index.json").write_bytes(content)
    with pytest.raises(FixtureCorrupt) as caught:
        FixtureFolder.load(tmp_path)
    assert isinstance(caught.value, ScraperError)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        f"{tmp_path / 'index.json'}: {problem}; "
        f"re-record it with `topicscrape record URL --to {tmp_path}`, or fix the file"
    )


@pytest.mark.parametrize("how", ["deleted", "renamed"])
async def test_a_missing_body_file_fails_the_replay_naming_it(tmp_path: Path, how: str) -> None:
    """Replay of an entry whose body file is gone raises FixtureCorrupt naming the file and the command."""
    saved = FixtureFolder(tmp_path).save(DHS, status=200, headers=HEADERS, body=PAGE)
    assert saved.file is not None
    body = tmp_path / saved.file
    if how == "deleted":
        body.unlink()
    else:
        body.rename(body.with_name("renamed.html"))
    settings = _settings()
    async with build_client(settings, transport=ReplayTransport(FixtureFolder.load(tmp_path))) as client:
        with pytest.raises(FixtureCorrupt) as caught:
            await fetch(client, DHS, settings=settings)
    message = str(caught.value)
    assert str(tmp_path / saved.file) in message
    assert "is missing" in message
    assert f"`topicscrape record {DHS} --to {tmp_path}`" in message


# -- several recorders, one folder -------------------------------------------------------------


def test_two_recorders_of_one_folder_merge_rather_than_overwrite(tmp_path: Path) -> None:
    """A save keeps what another FixtureFolder (another process) wrote since this one was loaded."""
    first, second = FixtureFolder.load(tmp_path), FixtureFolder.load(tmp_path)
    first.save("https://x.gov/a", status=200, headers=HEADERS, body=b"a")
    second.save("https://x.gov/b", status=200, headers=HEADERS, body=b"b")
    first.save("https://x.gov/c", status=200, headers=HEADERS, body=b"c")
    second.save("https://x.gov/A", status=200, headers=HEADERS, body=b"A")
    reloaded = FixtureFolder.load(tmp_path)
    bodies = {s.url: reloaded.body(s) for s in reloaded}
    assert bodies == {
        "https://x.gov/a": b"a",
        "https://x.gov/b": b"b",
        "https://x.gov/c": b"c",
        "https://x.gov/A": b"A",  # /A and /a share a slug: the merge gave it its own file
    }
    assert not (tmp_path / LOCK_NAME).exists()


_WRITER = """
import sys
from scraper.fixtures import FixtureFolder
folder = FixtureFolder.load(sys.argv[1])
for n in range(int(sys.argv[3])):
    folder.save(f"https://x.gov/{sys.argv[2]}/{n}", status=200, headers=[], body=sys.argv[2].encode())
    folder.save(f"https://x.gov/shared/{n % 3}", status=200, headers=[], body=b"shared")
"""


@pytest.mark.slow
def test_processes_recording_into_one_folder_at_once_lose_nothing(tmp_path: Path) -> None:
    """Four processes saving 30 URLs each (and three shared ones) into one folder: every entry and
    file is there at the end."""
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), name, "30"], stderr=subprocess.PIPE)
        for name in "abcd"
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    index = json.loads((tmp_path / "index.json").read_text())["responses"]
    assert len(index) == 4 * 30 + 3
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.name != "index.json"}
    assert files == {entry["file"] for entry in index.values()} | {"x.gov"}


# -- file modes, abandoned bodies --------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    """Bodies and index.json are 0666 less the umask (as any program's files), not mkstemp's 0600."""
    previous = os.umask(umask)
    try:
        saved = FixtureFolder(tmp_path).save(DHS, status=200, headers=HEADERS, body=PAGE)
    finally:
        os.umask(previous)
    assert saved.file is not None
    for path in (tmp_path / "index.json", tmp_path / saved.file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


async def test_an_abandoned_body_is_logged_with_its_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A body closed half-read is not saved, and the log says which URL and how far it got."""
    folder = FixtureFolder(tmp_path)
    transport = RecordingTransport(httpx.MockTransport(_origin), folder)
    with caplog.at_level(logging.INFO, logger="scraper.fixtures"):
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("GET", "https://alice:pw@x.gov/page") as response,
        ):
            await response.aiter_raw().__anext__()
    assert "https://x.gov/page" not in folder
    assert "not recording https://x.gov/page (HTTP 200)" in caplog.text
    assert "alice" not in caplog.text


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in several chunks, as from the network."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


async def test_a_response_never_closed_is_named_when_the_transport_closes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A streamed response read half-way and never closed (sync or async) is not saved, and closing
    the client says so, with the URL: it is not lost without a word."""
    chunked = httpx.MockTransport(
        lambda r: httpx.Response(
            200, headers=[("Content-Type", "text/html")], stream=_Chunks(b"<p>a", b"b</p>")
        )
    )
    folder = FixtureFolder(tmp_path)
    with caplog.at_level(logging.INFO, logger="scraper.fixtures"):
        with httpx.Client(transport=RecordingTransport(chunked, folder)) as client:
            response = client.send(client.build_request("GET", "https://x.gov/sync"), stream=True)
            assert next(response.iter_raw()) == b"<p>a"
            assert "x.gov/sync" not in caplog.text  # still open: nothing is settled yet
        async with httpx.AsyncClient(transport=RecordingTransport(chunked, folder)) as aclient:
            aresponse = await aclient.send(aclient.build_request("GET", "https://x.gov/async"), stream=True)
            assert await aresponse.aiter_raw().__anext__() == b"<p>a"
    assert len(folder) == 0
    assert "not recording https://x.gov/sync (HTTP 200): its body was closed after 4 bytes" in caplog.text
    assert "not recording https://x.gov/async (HTTP 200): its body was closed after 4 bytes" in caplog.text


def test_a_body_read_to_its_content_length_is_recorded_though_not_iterated_to_the_end(tmp_path: Path) -> None:
    """A test that took the one chunk holding the whole Content-Length has the whole body: saved."""
    whole = httpx.MockTransport(
        lambda r: httpx.Response(
            200,
            headers={"Content-Type": "text/html", "Content-Length": str(len(PAGE))},
            stream=httpx.ByteStream(PAGE),
        )
    )
    folder = FixtureFolder(tmp_path)
    with (
        httpx.Client(transport=RecordingTransport(whole, folder)) as client,
        client.stream("GET", "https://x.gov/page") as response,
    ):
        assert next(response.iter_raw()) == PAGE
    saved = folder.get("https://x.gov/page")
    assert saved is not None
    assert folder.body(saved) == PAGE


# -- index keys, byte order marks, and methods -------------------------------------------------


def test_an_index_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """An editor that saves index.json with a UTF-8 BOM leaves it valid: the BOM is read past."""
    FixtureFolder.load(tmp_path).save(DHS, status=200, headers=HEADERS, body=PAGE, fetched_at=WHEN)
    index = tmp_path / "index.json"
    index.write_bytes(b"\xef\xbb\xbf" + index.read_bytes())
    folder = FixtureFolder.load(tmp_path)
    saved = folder.get(DHS)
    assert saved is not None
    assert folder.body(saved) == PAGE


@pytest.mark.parametrize("key", ["not a url", "", "ftp://www.dhs.gov/x", "/keywords/secure-communities"])
def test_an_index_key_that_is_not_an_absolute_http_url_is_corrupt(tmp_path: Path, key: str) -> None:
    """A key no crawl could ask for (relative, empty, another scheme) is FixtureCorrupt naming it."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"format": "topicscrape-fixtures", "version": 1, "responses": {key: _ENTRY}}))
    with pytest.raises(FixtureCorrupt) as caught:
        FixtureFolder.load(tmp_path)
    assert str(caught.value) == (
        f"{index}: its key {key!r} is not an absolute http(s) URL; "
        f"re-record it with `topicscrape record URL --to {tmp_path}`, or fix the file"
    )


def _head_and_get(request: httpx.Request) -> httpx.Response:
    """A page whose HEAD answer has its headers and no body, as a server sends it."""
    body = b"" if request.method == "HEAD" else PAGE
    return httpx.Response(200, headers=HEADERS, content=body)


def test_a_head_recorded_after_a_get_does_not_replace_it(tmp_path: Path) -> None:
    """The folder keeps one answer per URL: the GET's. A later HEAD is not saved over it, and a HEAD
    replays from the GET entry with its headers and no body."""
    folder = FixtureFolder.load(tmp_path)
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(_head_and_get), folder)) as client:
        client.get(DHS)
        client.head(DHS)
    reloaded = FixtureFolder.load(tmp_path)
    saved = reloaded.get(DHS)
    assert saved is not None
    assert (saved.method, reloaded.body(saved)) == ("GET", PAGE)
    with httpx.Client(transport=ReplayTransport(reloaded)) as client:
        assert client.get(DHS).content == PAGE
        head = client.head(DHS)
    assert (head.status_code, head.content, head.headers["ETag"]) == (200, b"", '"abc"')


def test_a_head_recorded_first_is_replaced_by_the_get_and_never_replays_as_one(tmp_path: Path) -> None:
    """A HEAD-only entry answers HEAD, but a GET of its URL is FixtureMissing (its page was never
    recorded), not an empty page; the GET recorded later replaces it."""
    folder = FixtureFolder.load(tmp_path)
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(_head_and_get), folder)) as client:
        client.head(DHS)
    saved = FixtureFolder.load(tmp_path).get(DHS)
    assert saved is not None
    assert saved.method == "HEAD"
    with httpx.Client(transport=ReplayTransport(FixtureFolder.load(tmp_path))) as client:
        assert client.head(DHS).status_code == 200
        with pytest.raises(FixtureMissing):
            client.get(DHS)
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(_head_and_get), folder)) as client:
        client.get(DHS)
    saved = FixtureFolder.load(tmp_path).get(DHS)
    assert saved is not None
    assert saved.method == "GET"
