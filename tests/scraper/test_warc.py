"""Tests for scraper/warc.py: writing WARC/1.1, reading any WARC, replaying one like a fixture folder."""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.client import build_client, build_transport, fetch
from scraper.errors import FixtureCorrupt, FixtureMissing, WarcNotAppendable
from scraper.fixtures import FixtureFolder, RecordingTransport, ReplayTransport
from scraper.settings import Settings
from scraper.warc import (
    WarcArchive,
    WarcRecordingTransport,
    WarcReplayTransport,
    is_warc_path,
    iter_warc_pages,
    open_fixtures,
    read_warc,
    warc_to_folder,
)

WHEN = datetime(2016, 7, 1, 12, tzinfo=UTC)
PAGE = "<html><body><h1>Secure Communities</h1><p>caf\u00e9</p></body></html>".encode()
SECRETS = (b"top-secret", b"cookie-secret", b"secret-session", b"secret-cookie")


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, "obey_robots": False, **kwargs})


def _origin(request: httpx.Request) -> httpx.Response:
    """A site with a gzip page, a chunked page, a redirect, cookies and a PDF."""
    if request.url.path == "/old":
        return httpx.Response(301, headers={"Location": "/page", "Set-Cookie": "s=secret-cookie"})
    if request.url.path == "/chunked":
        return httpx.Response(
            200,
            headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
            stream=httpx.ByteStream(PAGE),
        )
    if request.url.path == "/report.pdf":
        return httpx.Response(200, headers={"Content-Type": "application/pdf"}, content=b"%PDF-1.4")
    return httpx.Response(
        200,
        headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("ETag", '"abc"'),
            ("Last-Modified", "Fri, 01 Jul 2016 12:00:00 GMT"),
            ("Set-Cookie", "session=secret-session"),
            ("X-Custom", "kept"),
        ],
        stream=httpx.ByteStream(gzip.compress(PAGE)),
    )


def _record(path: Path, *urls: str, **headers: str) -> None:
    """GET each URL through a WarcRecordingTransport (sync client, redirects followed)."""
    transport = WarcRecordingTransport(httpx.MockTransport(_origin), path, now=lambda: WHEN)
    with httpx.Client(transport=transport, follow_redirects=True, headers=headers) as client:
        for url in urls:
            client.get(url)


def _records(path: Path) -> list[Any]:
    """Every record of a WARC, with its HTTP block read (so the file can be closed)."""
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            record.payload = record.content_stream().read()
            out.append(record)
    return out


def _gzip_members(data: bytes) -> int:
    """How many gzip members ``data`` is made of."""
    count = 0
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        inflater.decompress(data)
        assert inflater.eof
        data = inflater.unused_data
        count += 1
    return count


# -- writing -----------------------------------------------------------------------------------


def test_recording_writes_warc_1_1_request_and_response_records(tmp_path: Path) -> None:
    """A warcinfo, then per exchange a response and its request, with the WARC fields tools expect."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    records = _records(path)
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request"]
    info, response, request = records
    assert all(r.rec_headers.protocol == "WARC/1.1" for r in records)
    assert b"software: topicscrape/" in info.payload
    assert info.rec_headers.get_header("WARC-Filename") == "crawl.warc.gz"
    for record in (response, request):
        assert record.rec_headers.get_header("WARC-Target-URI") == "https://x.gov/page"
        assert record.rec_headers.get_header("WARC-Date") == "2016-07-01T12:00:00Z"
    assert response.rec_headers.get_header("Content-Type") == "application/http; msgtype=response"
    assert request.rec_headers.get_header("Content-Type") == "application/http; msgtype=request"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline.startswith("/page ")


def test_payload_digest_is_the_sha1_of_the_payload_as_received(tmp_path: Path) -> None:
    """WARC-Payload-Digest is sha1 (base32) over the still-gzipped entity body, which is kept."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                raw = record.raw_stream.read()
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                headers = record.http_headers
    assert raw[:2] == b"\x1f\x8b"  # stored as served: gzip, with its Content-Encoding
    assert headers.get_header("Content-Encoding") == "gzip"
    assert gzip.decompress(raw) == PAGE
    assert digest == "sha1:" + base64.b32encode(hashlib.sha1(raw).digest()).decode()


def test_each_record_is_its_own_gzip_member(tmp_path: Path) -> None:
    """.warc.gz holds one gzip member per record, so the file can be indexed and concatenated."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page", "https://x.gov/chunked")
    assert _gzip_members(path.read_bytes()) == 5 == len(_records(path))


def test_plain_warc_is_written_uncompressed(tmp_path: Path) -> None:
    """A .warc path gets an uncompressed file that still reads back."""
    path = tmp_path / "crawl.warc"
    _record(path, "https://x.gov/page")
    assert path.read_bytes().startswith(b"WARC/1.1\r\n")
    (response,) = read_warc(path)
    assert response.body == PAGE


def test_secrets_are_never_written_to_a_warc(tmp_path: Path) -> None:
    """Authorization and Cookie (request) and Set-Cookie (response) appear nowhere in the file."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/old", Authorization="Bearer top-secret", Cookie="c=cookie-secret")
    everything = gzip.decompress(path.read_bytes())
    assert b"https://x.gov/page" in everything
    for secret in SECRETS:
        assert secret not in everything
    requests = [r for r in _records(path) if r.rec_type == "request"]
    assert len(requests) == 2  # both hops were written, without their credentials
    for request in requests:
        assert request.http_headers.get_header("Authorization") is None
        assert request.http_headers.get_header("Cookie") is None
        assert request.http_headers.get_header("User-Agent") is not None


def test_chunked_bodies_are_stored_dechunked_with_a_length(tmp_path: Path) -> None:
    """The bytes we hold are de-chunked, so the record says Content-Length instead of chunked."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/chunked")
    response = next(r for r in _records(path) if r.rec_type == "response")
    assert response.http_headers.get_header("Transfer-Encoding") is None
    assert response.http_headers.get_header("Content-Length") == str(len(PAGE))
    assert response.payload == PAGE


def test_appending_keeps_one_warcinfo_and_the_last_capture_wins(tmp_path: Path) -> None:
    """Recording into an existing WARC appends; replay serves the newest capture of a URL."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    later = datetime(2017, 1, 1, tzinfo=UTC)
    transport = WarcRecordingTransport(
        httpx.MockTransport(lambda r: httpx.Response(200, content=b"<p>new</p>")), path, now=lambda: later
    )
    with httpx.Client(transport=transport) as client:
        client.get("https://x.gov/page")
    assert [r.rec_type for r in _records(path)].count("warcinfo") == 1
    archive = WarcArchive.load(path)
    saved = archive.get("https://x.gov/page")
    assert saved is not None
    assert (archive.body(saved), saved.fetched_at) == (b"<p>new</p>", later)


async def test_async_clients_record_too(tmp_path: Path) -> None:
    """The same transport records for an AsyncClient, and the page passes on unchanged."""
    path = tmp_path / "crawl.warc.gz"
    transport = WarcRecordingTransport(httpx.MockTransport(_origin), path, now=lambda: WHEN)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://x.gov/page")
    assert response.content == PAGE
    assert [r.url for r in read_warc(path)] == ["https://x.gov/page"]


async def test_abandoned_bodies_are_not_written(tmp_path: Path) -> None:
    """A body the client stops reading (too large) gets no record."""
    path = tmp_path / "crawl.warc.gz"
    settings = _settings(max_bytes=10)
    transport = WarcRecordingTransport(httpx.MockTransport(_origin), path)
    async with build_client(settings, transport=transport) as client:
        with pytest.raises(Exception, match="too large"):
            await fetch(client, "https://x.gov/page", settings=settings)
    assert not path.exists()


@pytest.mark.parametrize("target", ["crawl.warc.gz", "folder"])
def test_a_304_never_replaces_the_saved_page(tmp_path: Path, target: str) -> None:
    """Both recorders skip 304 answers: replay keeps serving the 200 they stand for."""

    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"abc"':
            return httpx.Response(304, headers={"ETag": '"abc"'})
        return httpx.Response(200, headers={"ETag": '"abc"', "Content-Type": "text/html"}, content=PAGE)

    path = tmp_path / target
    inner = httpx.MockTransport(conditional)
    recorder = (
        WarcRecordingTransport(inner, path)
        if target.endswith(".gz")
        else RecordingTransport(inner, FixtureFolder(path))
    )
    with httpx.Client(transport=recorder) as client:
        assert client.get("https://x.gov/page").status_code == 200
        assert client.get("https://x.gov/page", headers={"If-None-Match": '"abc"'}).status_code == 304
    with httpx.Client(transport=ReplayTransport(open_fixtures(path))) as client:
        replayed = client.get("https://x.gov/page")
    assert (replayed.status_code, replayed.content) == (200, PAGE)


def test_a_plain_304_record_from_another_tool_is_not_replayed(tmp_path: Path) -> None:
    """A 304 response record after the 200 leaves the 200 as what replay serves."""
    path = tmp_path / "other.warc.gz"

    def build(writer: WARCWriter) -> None:
        _response(writer, "https://x.gov/a", PAGE)
        _response(writer, "https://x.gov/a", b"", status="304 Not Modified")

    _write_warc(path, build)
    assert [r.status for r in read_warc(path)] == [200, 304]
    archive = WarcArchive.load(path)
    saved = archive.get("https://x.gov/a")
    assert saved is not None
    assert (saved.status, archive.body(saved)) == (200, PAGE)


# -- replay ------------------------------------------------------------------------------------


async def test_record_then_replay_gives_the_same_fetch(tmp_path: Path) -> None:
    """What a recorded fetch saw, a replay of the WARC sees: redirect, final URL, headers, body, time."""
    path = tmp_path / "crawl.warc.gz"
    settings = _settings()
    live = WarcRecordingTransport(httpx.MockTransport(_origin), path, now=lambda: WHEN)
    async with build_client(settings, transport=live) as client:
        recorded = await fetch(client, "https://x.gov/old", settings=settings)
    async with build_client(settings, transport=WarcReplayTransport(path)) as client:
        replayed = await fetch(client, "https://x.gov/old", settings=settings)
    assert replayed.redirects == recorded.redirects == ("https://x.gov/old",)
    assert replayed.final_url == "https://x.gov/page"
    assert replayed.content == recorded.content == PAGE
    assert replayed.fetched_at == recorded.fetched_at == WHEN
    assert replayed.headers == (
        ("Content-Type", "text/html; charset=utf-8"),
        ("ETag", '"abc"'),
        ("Last-Modified", "Fri, 01 Jul 2016 12:00:00 GMT"),
        ("X-Custom", "kept"),
    )


def test_warc_replay_is_byte_exact_like_a_folder(tmp_path: Path) -> None:
    """A WARC and the folder made from it replay the same status, headers and body."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page", "https://x.gov/old")
    warc_to_folder(path, tmp_path / "folder")
    folder = FixtureFolder.load(tmp_path / "folder")
    for url in ("https://x.gov/page", "https://x.gov/old"):
        with (
            httpx.Client(transport=WarcReplayTransport(path)) as from_warc,
            httpx.Client(transport=ReplayTransport(folder)) as from_folder,
        ):
            a, b = from_warc.get(url), from_folder.get(url)
        assert (a.status_code, a.headers.raw, a.content) == (b.status_code, b.headers.raw, b.content)


def test_warc_replay_of_an_unknown_url_names_the_record_command(tmp_path: Path) -> None:
    """A miss raises FixtureMissing naming the URL and a record command writing to the WARC."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    with httpx.Client(transport=WarcReplayTransport(path)) as client, pytest.raises(FixtureMissing) as caught:
        client.get("https://x.gov/other")
    assert "https://x.gov/other" in str(caught.value)
    assert caught.value.command == f"topicscrape record https://x.gov/other --to {path}"


def test_warc_replay_answers_conditional_requests(tmp_path: Path) -> None:
    """The WARC's ETag gets a 304, as from a folder (one implementation)."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    with httpx.Client(transport=WarcReplayTransport(path)) as client:
        response = client.get("https://x.gov/page", headers={"If-None-Match": '"abc"'})
    assert response.status_code == 304
    assert response.content == b""


def test_build_transport_picks_warc_by_suffix(tmp_path: Path) -> None:
    """--replay/--record with .warc.gz use the WARC classes; a missing WARC is FileNotFoundError."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/page")
    replay = build_transport(Settings(replay=path))
    assert isinstance(replay, ReplayTransport)
    assert isinstance(replay.folder, WarcArchive)
    assert isinstance(build_transport(Settings(record=tmp_path / "new.WARC")), WarcRecordingTransport)
    with pytest.raises(FileNotFoundError):
        build_transport(Settings(replay=tmp_path / "missing.warc.gz"))


def test_is_warc_path_and_open_fixtures(tmp_path: Path) -> None:
    """Suffixes decide WARC or folder; open_fixtures gives the matching source or a clear error."""
    assert is_warc_path("a.warc")
    assert is_warc_path("A.WARC.GZ")
    assert not is_warc_path("fixtures/dhs")
    assert not is_warc_path("a.warc.bz2")
    assert isinstance(open_fixtures("fixtures/dhs"), FixtureFolder)
    with pytest.raises(FileNotFoundError, match="not found"):
        open_fixtures(tmp_path / "nope")


# -- reading other tools' WARCs ----------------------------------------------------------------


def _write_warc(path: Path, build: Callable[[WARCWriter], None]) -> None:
    with path.open("wb") as fh:
        build(WARCWriter(fh, gzip=True, warc_version="1.1"))


def _response(writer: WARCWriter, url: str, body: bytes, *, status: str = "200 OK", **extra: str) -> Any:
    headers = [("Content-Type", "text/html"), *extra.items()]
    record = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": "2016-07-01T12:00:00Z"},
    )
    writer.write_record(record)
    return record


def test_revisits_are_resolved_to_their_original_payload(tmp_path: Path) -> None:
    """identical-payload-digest takes the body by digest; server-not-modified replays the original."""
    path = tmp_path / "dedup.warc.gz"

    def build(writer: WARCWriter) -> None:
        original = _response(writer, "https://x.gov/a", PAGE, ETag='"v1"')
        digest = original.rec_headers.get_header("WARC-Payload-Digest")
        same = writer.create_revisit_record(
            "https://x.gov/b",
            digest,
            "https://x.gov/a",
            "2016-07-01T12:00:00Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2016-07-02T12:00:00Z"},
        )
        writer.write_record(same)
        unchanged = writer.create_revisit_record(
            "https://x.gov/a",
            digest,
            "https://x.gov/a",
            "2016-07-01T12:00:00Z",
            http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2016-07-03T12:00:00Z"},
        )
        unchanged.rec_headers.replace_header(
            "WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
        )
        writer.write_record(unchanged)

    _write_warc(path, build)
    first, same, unchanged = read_warc(path)
    assert (same.url, same.status, same.body) == ("https://x.gov/b", 200, PAGE)
    assert (unchanged.url, unchanged.status, unchanged.body) == ("https://x.gov/a", 200, PAGE)
    assert unchanged.header("ETag") == '"v1"'
    assert unchanged.date == datetime(2016, 7, 3, 12, tzinfo=UTC)
    assert first.date == datetime(2016, 7, 1, 12, tzinfo=UTC)


def test_a_revisit_whose_original_is_elsewhere_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A revisit pointing at a record in another file is skipped with a warning, not guessed."""
    path = tmp_path / "partial.warc.gz"

    def build(writer: WARCWriter) -> None:
        writer.write_record(
            writer.create_revisit_record(
                "https://x.gov/b", "sha1:AAAA", "https://x.gov/a", "2016-07-01T12:00:00Z"
            )
        )
        _response(writer, "https://x.gov/c", b"<p>c</p>")

    _write_warc(path, build)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/c"]
    assert "https://x.gov/b" in caplog.text


def test_methods_come_from_request_records_in_either_order(tmp_path: Path) -> None:
    """warcio/Heritrix write the request after its response, wget before: both give the method.
    Replay keeps only GET responses."""
    path = tmp_path / "methods.warc.gz"

    def request(writer: WARCWriter, method: str, url: str, **refs: str) -> Any:
        http = StatusAndHeaders(f"{method} / HTTP/1.1", [("Host", "x.gov")], is_http_request=True)
        return writer.create_warc_record(
            url, "request", http_headers=http, warc_headers_dict={"WARC-Concurrent-To": refs.get("to", "")}
        )

    def build(writer: WARCWriter) -> None:
        posted = _response(writer, "https://x.gov/form", b"<p>posted</p>")
        writer.write_record(
            request(writer, "POST", "https://x.gov/form", to=posted.rec_headers.get_header("WARC-Record-ID"))
        )
        before = request(writer, "GET", "https://x.gov/wget")
        writer.write_record(before)
        body = b"<p>wget</p>"
        record = writer.create_warc_record(
            "https://x.gov/wget",
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Concurrent-To": before.rec_headers.get_header("WARC-Record-ID")},
        )
        writer.write_record(record)

    _write_warc(path, build)
    assert [(r.url, r.method) for r in read_warc(path)] == [
        ("https://x.gov/form", "POST"),
        ("https://x.gov/wget", "GET"),
    ]
    archive = WarcArchive.load(path)
    assert "https://x.gov/form" not in archive
    assert "https://x.gov/wget" in archive


def test_angle_bracketed_target_uris_are_read(tmp_path: Path) -> None:
    """Some WARC/1.1 writers put <> around WARC-Target-URI; the URL is read without them."""
    path = tmp_path / "brackets.warc.gz"
    _write_warc(path, lambda writer: _response(writer, "<https://x.gov/a>", b"<p>a</p>"))
    assert [r.url for r in read_warc(path)] == ["https://x.gov/a"]


def test_a_body_that_does_not_match_its_encoding_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Encoding: gzip over plain bytes cannot be decoded: skipped and logged, not corrupted."""
    path = tmp_path / "broken.warc.gz"

    def build(writer: WARCWriter) -> None:
        _response(writer, "https://x.gov/bad", b"definitely not gzip", **{"Content-Encoding": "gzip"})
        _response(writer, "https://x.gov/good", b"<p>ok</p>")

    _write_warc(path, build)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/good"]
    assert "https://x.gov/bad" in caplog.text


def test_not_a_warc_is_a_value_error(tmp_path: Path) -> None:
    """A file that is not a WARC is refused with FixtureCorrupt (a ValueError) naming it, whose advice
    is to move it away, not to record into it again; a missing one is FileNotFoundError."""
    path = tmp_path / "fake.warc.gz"
    path.write_bytes(b"<html>not a warc</html>")
    with pytest.raises(ValueError, match="is not a WARC file"):
        list(read_warc(path))
    with pytest.raises(FixtureCorrupt) as caught:
        WarcArchive.load(path)
    assert isinstance(caught.value, WarcNotAppendable)
    assert str(caught.value).startswith(
        f"{path}: is not a WARC file (it begins '<html>not a warc', not 'WARC/')"
    )
    assert f"move it away with `mv {path} {tmp_path / 'fake.broken.warc.gz'}`" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        WarcArchive.load(tmp_path / "missing.warc.gz")


# -- pages and folders -------------------------------------------------------------------------


def test_iter_warc_pages_yields_html_get_2xx_only(tmp_path: Path) -> None:
    """The parse command gets HTML pages with their content type and time; redirects and PDFs stay out."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/old", "https://x.gov/report.pdf", "https://x.gov/chunked")
    pages = list(iter_warc_pages(path))
    assert [(p.url, p.content_type) for p in pages] == [
        ("https://x.gov/page", "text/html; charset=utf-8"),
        ("https://x.gov/chunked", "text/html"),
    ]
    assert all(p.body == PAGE and p.fetched_at == WHEN for p in pages)


def test_warc_to_folder_saves_each_url_once(tmp_path: Path) -> None:
    """record --from-warc: every GET response becomes a fixture; doing it twice duplicates nothing."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/old", "https://x.gov/chunked")
    folder = tmp_path / "fixtures"
    assert warc_to_folder(path, folder) == 3
    assert warc_to_folder(path, folder) == 3
    loaded = FixtureFolder.load(folder)
    assert sorted(s.url for s in loaded) == [
        "https://x.gov/chunked",
        "https://x.gov/old",
        "https://x.gov/page",
    ]
    page = loaded.get("https://x.gov/page")
    assert page is not None
    assert loaded.body(page) == PAGE
    assert page.fetched_at == WHEN
    assert sorted(p.name for p in (folder / "x.gov").iterdir()) == ["chunked.html", "page.html"]
    for secret in SECRETS:
        assert secret not in (folder / "index.json").read_bytes()


# -- credentials and fragments -----------------------------------------------------------------


def test_credentials_and_fragments_never_reach_a_warc(tmp_path: Path) -> None:
    """user:password@ and #frag are not written (WARC-Target-URI, request line, Authorization), and
    replaying the URL with them finds the capture."""
    path = tmp_path / "crawl.warc.gz"
    url = "https://alice:s3cret@x.gov/page?x=1#frag"
    _record(path, url)
    written = gzip.decompress(path.read_bytes())
    for secret in (b"s3cret", b"alice", base64.b64encode(b"alice:s3cret"), b"#frag"):
        assert secret not in written
    _, response, request = _records(path)
    for record in (response, request):
        assert record.rec_headers.get_header("WARC-Target-URI") == "https://x.gov/page?x=1"
    with httpx.Client(transport=WarcReplayTransport(path)) as client:
        assert client.get(url).content == PAGE


def test_credentials_in_another_tools_warc_are_not_passed_on(tmp_path: Path) -> None:
    """A WARC-Target-URI with userinfo and a fragment is stored without them, and found either way."""
    path = tmp_path / "other.warc.gz"
    _write_warc(path, lambda writer: _response(writer, "https://bob:pw@x.gov/a#top", b"<p>a</p>"))
    archive = WarcArchive.load(path)
    assert [saved.url for saved in archive] == ["https://x.gov/a"]
    assert "https://x.gov/a" in archive
    assert "https://bob:pw@x.gov/a#elsewhere" in archive


# -- bodies that did not come whole ------------------------------------------------------------

BIG = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(1250))
"""40,000 bytes that do not compress, so a cut file cuts the body itself."""


def _cut_warc(tmp_path: Path, *, gzipped: bool = True) -> tuple[Path, int]:
    """A WARC with a whole /a and a /big whose record the file ends in the middle of; and the size
    the file had before /big."""
    path = tmp_path / ("cut.warc.gz" if gzipped else "cut.warc")
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzipped, warc_version="1.1")
        _response(writer, "https://x.gov/a", b"<p>a</p>")
        before = fh.tell()
        _response(writer, "https://x.gov/big", BIG)
    data = path.read_bytes()
    path.write_bytes(data[: before + (len(data) - before) // 2])
    return path, before


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_record_the_file_ends_inside_is_skipped_with_its_byte_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, gzipped: bool
) -> None:
    """parse and record --from-warc never get a cut body: it is skipped with a warning naming the
    URL and how many of its bytes are there; the whole records still come."""
    path, _ = _cut_warc(tmp_path, gzipped=gzipped)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/a"]
        assert [p.url for p in iter_warc_pages(path)] == ["https://x.gov/a"]
        assert warc_to_folder(path, tmp_path / "folder") == 1
    counts = re.search(r"https://x\.gov/big: cut short \((\d+) of 40000 body bytes\)", caplog.text)
    assert counts is not None, caplog.text
    assert 0 < int(counts.group(1)) < len(BIG)
    assert "the file ends inside the record" in caplog.text
    assert [s.url for s in FixtureFolder.load(tmp_path / "folder")] == ["https://x.gov/a"]


def test_replaying_a_cut_record_raises_fixture_corrupt(tmp_path: Path) -> None:
    """--replay/serve know the URL but will not serve half a page: FixtureCorrupt with the counts;
    the file ends there, so the advice is to move it away first, then record the URL again."""
    path, _ = _cut_warc(tmp_path)
    with httpx.Client(transport=WarcReplayTransport(path)) as client:
        assert client.get("https://x.gov/a").content == b"<p>a</p>"
        with pytest.raises(WarcNotAppendable) as caught:
            client.get("https://x.gov/big")
    message = str(caught.value)
    assert message.startswith(f"{path}: https://x.gov/big: cut short (")
    assert f"move it away with `mv {path} {tmp_path / 'cut.broken.warc.gz'}`" in message
    assert f"re-record with `topicscrape record https://x.gov/big --to {path}`" in message
    assert WarcArchive.load(path).problem("https://x.gov/big") is not None


def test_a_cut_record_inside_a_whole_file_advises_re_recording_into_it(tmp_path: Path) -> None:
    """A record failing its digest in a file that reads to its end: re-recording into the same file
    works (the new capture wins), so that is the advice, with no move."""
    path = tmp_path / "flipped.warc"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        _response(writer, "https://x.gov/a", b"<p>original body</p>")
        _response(writer, "https://x.gov/b", b"<p>b</p>")
    path.write_bytes(path.read_bytes().replace(b"original", b"0riginal"))
    archive = WarcArchive.load(path)
    saved = archive.get("https://x.gov/a")
    assert saved is not None
    with pytest.raises(FixtureCorrupt) as caught:
        archive.body(saved)
    assert not isinstance(caught.value, WarcNotAppendable)
    assert str(caught.value).endswith(f"re-record it with `topicscrape record https://x.gov/a --to {path}`")


def test_a_cut_capture_does_not_replace_an_earlier_whole_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash while re-recording a URL leaves its last capture cut: the earlier whole one replays."""
    path = tmp_path / "again.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        _response(writer, "https://x.gov/big", b"<p>first</p>")
        before = fh.tell()
        _response(writer, "https://x.gov/big", BIG)
    data = path.read_bytes()
    path.write_bytes(data[: before + 1000])
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        archive = WarcArchive.load(path)
    saved = archive.get("https://x.gov/big")
    assert saved is not None
    assert archive.body(saved) == b"<p>first</p>"
    assert "replaying the earlier whole one" in caplog.text


def test_a_record_failing_its_digest_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A body changed in place (same length) fails WARC-Block-Digest/WARC-Payload-Digest: not a page."""
    path = tmp_path / "flipped.warc"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        _response(writer, "https://x.gov/a", b"<p>original body</p>")
        _response(writer, "https://x.gov/b", b"<p>b</p>")
    path.write_bytes(path.read_bytes().replace(b"original", b"0riginal"))
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/b"]
    assert "https://x.gov/a: corrupt: block digest failed" in caplog.text


def test_a_capture_shorter_than_its_content_length_is_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole record of a cut download (fewer bytes than the HTTP Content-Length) is not a page."""
    path = tmp_path / "short.warc.gz"

    def build(writer: WARCWriter) -> None:
        _response(writer, "https://x.gov/short", b"<p>only this much", **{"Content-Length": "5000"})
        _response(writer, "https://x.gov/whole", b"<p>ok</p>", **{"Content-Length": "9"})
        _response(writer, "https://x.gov/head", b"", **{"Content-Length": "5000"})  # a HEAD's answer

    _write_warc(path, build)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/whole", "https://x.gov/head"]
    assert "https://x.gov/short: cut short when it was captured (17 of 5000 bytes" in caplog.text


def test_a_file_ending_inside_record_headers_warns_with_the_offset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """warcio stops quietly where a record's headers are cut; we say where and how much is lost."""
    path, before = _cut_warc(tmp_path)
    path.write_bytes(path.read_bytes()[: before + 40])
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/a"]
    assert (
        f"the file ends inside a record: its last 40 bytes (from byte {before}) cannot be read" in caplog.text
    )


def test_a_corrupt_gzip_member_is_skipped_and_the_records_after_it_are_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A damaged gzip member loses its own record only: the reader finds the next member that
    holds a record and reads on, warns with the skipped bytes, and warcio prints nothing."""
    path = tmp_path / "damaged.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        _response(writer, "https://x.gov/a", b"<p>a</p>")
        start = fh.tell()
        _response(writer, "https://x.gov/big", BIG)
        end = fh.tell()
        _response(writer, "https://x.gov/c", b"<p>c</p>")
        _response(writer, "https://x.gov/d", b"<p>d</p>")
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        damage: list[str] = []
        assert [r.url for r in read_warc(path, damage=damage)] == [
            "https://x.gov/a",
            "https://x.gov/c",
            "https://x.gov/d",
        ]
    assert "https://x.gov/big: cut short (" in caplog.text
    assert "the file is corrupt inside the record" in caplog.text
    assert f"the file is read on from the next whole record, at byte {end}" in caplog.text
    assert len(damage) == 2  # the cut response, and the bytes skipped after it
    assert capfd.readouterr().err == ""


def test_a_damaged_record_in_a_plain_warc_is_skipped_and_the_rest_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In an uncompressed WARC, a record whose header lines are garbled is skipped up to the next
    ``WARC/1.x`` line, and the records after it are read."""
    path = tmp_path / "plain.warc"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        _response(writer, "https://x.gov/a", b"<p>a</p>")
        start = fh.tell()
        _response(writer, "https://x.gov/b", b"<p>b</p>")
        _response(writer, "https://x.gov/c", b"<p>c</p>")
    data = bytearray(path.read_bytes())
    data[start : start + 8] = b"GARBAGE!"  # the second record's "WARC/1.1" line
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/a", "https://x.gov/c"]
    assert "the file is read on from the next whole record" in caplog.text


def test_a_chunked_payload_digested_after_dechunking_is_whole(tmp_path: Path) -> None:
    """Over a chunked body, tools digest either the chunked or the de-chunked bytes (warcio #74):
    a payload digest of the de-chunked body, block digest intact, is not taken for corruption."""
    path = tmp_path / "heritrix.warc.gz"
    chunked = b"5\r\n<p>ch\r\n6\r\nunked<\r\n3\r\n/p>\r\n0\r\n\r\n"

    def build(writer: WARCWriter) -> None:
        record = writer.create_warc_record(
            "https://x.gov/chunked",
            "response",
            payload=BytesIO(chunked),
            length=len(chunked),
            http_headers=StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                protocol="HTTP/1.1",
            ),
        )
        spec = "sha1:" + base64.b32encode(hashlib.sha1(b"<p>chunked</p>").digest()).decode()
        record.rec_headers.replace_header("WARC-Payload-Digest", spec)
        writer.write_record(record)

    _write_warc(path, build)
    assert [(r.url, r.body) for r in read_warc(path)] == [("https://x.gov/chunked", b"<p>chunked</p>")]


# -- cut files: what a crash or a copy stopped half-way leaves ---------------------------------


def _pair_warc(path: Path, *urls: str) -> list[int]:
    """A WARC as our recorder writes it (warcinfo, then a response + request pair per URL); returns
    the byte offset each record starts at, and the file size last."""
    _record(path, *urls)
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        offsets = [records.offset for _ in records]
    return [*offsets, path.stat().st_size]


def _plain_tail(path: Path, start: int, keep: int) -> bytes:
    """The record starting at ``start``, decompressed if gzip, cut to its first ``keep`` bytes."""
    data = path.read_bytes()[start:]
    if data[:2] == b"\x1f\x8b":
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    return data[:keep]


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_file_cut_inside_record_headers_before_the_uri_keeps_earlier_records(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, gzipped: bool
) -> None:
    """warcio raises AttributeError on a record whose WARC headers end before WARC-Target-URI: the
    whole records before it are read, with a warning naming the offset, never a traceback."""
    path = tmp_path / ("crawl.warc.gz" if gzipped else "crawl.warc")
    offsets = _pair_warc(path, "https://x.gov/a", "https://x.gov/b")
    third = offsets[3]  # the response record of /b
    head = _plain_tail(path, third, 10_000)
    cut = head[: head.index(b"WARC-Target-URI")]
    data = path.read_bytes()[:third] + (gzip.compress(cut) if gzipped else cut)
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [r.url for r in read_warc(path)] == ["https://x.gov/a"]
        archive = WarcArchive.load(path)
        assert [s.url for s in iter_warc_pages(path)] == ["https://x.gov/a"]
        assert warc_to_folder(path, tmp_path / "folder") == 1
    assert [s.url for s in archive] == ["https://x.gov/a"]
    assert f"(from byte {third}) cannot be read; the 3 whole records before it are used" in caplog.text


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_file_cut_inside_the_first_line_of_a_later_record_keeps_earlier_records(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, gzipped: bool
) -> None:
    """A file ending in "WARC/1" (the first line of a record, cut) is not rejected whole: the records
    before the cut are used and a warning gives the offset."""
    path = tmp_path / ("crawl.warc.gz" if gzipped else "crawl.warc")
    offsets = _pair_warc(path, "https://x.gov/a", "https://x.gov/b")
    third = offsets[3]
    cut = b"WARC/1"  # what is left of "WARC/1.1\r\n"
    path.write_bytes(path.read_bytes()[:third] + (gzip.compress(cut) if gzipped else cut))
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        archive = WarcArchive.load(path)
    assert [s.url for s in archive] == ["https://x.gov/a"]
    assert f"(from byte {third}) cannot be read" in caplog.text


def test_a_file_with_no_whole_record_is_fixture_corrupt(tmp_path: Path) -> None:
    """Cut inside its first record, a file has nothing readable: FixtureCorrupt for the whole file."""
    path = tmp_path / "crawl.warc.gz"
    offsets = _pair_warc(path, "https://x.gov/a")
    path.write_bytes(path.read_bytes()[: offsets[1] // 2])
    with pytest.raises(WarcNotAppendable, match="is not a readable WARC file: "):
        WarcArchive.load(path)
    plain = tmp_path / "crawl.warc"
    _pair_warc(plain, "https://x.gov/a")
    data = plain.read_bytes()
    plain.write_bytes(data[: data.index(b"Content-Length: ") + len(b"Content-Length: ")])
    with pytest.raises(WarcNotAppendable, match="it ends inside its first record"):
        WarcArchive.load(plain)  # warcio reads the empty Content-Length as 0: a whole empty record
    empty = tmp_path / "new.warc.gz"
    empty.write_bytes(b"")
    assert len(WarcArchive.load(empty)) == 0  # an empty file is no break: nothing was written yet


def test_a_request_record_cut_in_its_request_line_is_not_a_method(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A request line cut to "G" is no method: the response before it stays a GET (replayed), and a
    warning says the request record is cut."""
    path = tmp_path / "crawl.warc"
    offsets = _pair_warc(path, "https://x.gov/a", "https://x.gov/b")
    request = offsets[4]  # the request record of /b, after its response
    block = path.read_bytes()[request:]
    line = block.index(b"\r\n\r\nGET ") + 4
    path.write_bytes(path.read_bytes()[: request + line + 1])
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert [(r.url, r.method) for r in read_warc(path)] == [
            ("https://x.gov/a", "GET"),
            ("https://x.gov/b", "GET"),
        ]
        archive = WarcArchive.load(path)
    assert "https://x.gov/b" in archive
    assert "the request record for https://x.gov/b is cut or damaged" in caplog.text


def _request_record(method_line: str) -> Any:
    """A stand-in for a warcio request record whose request line is ``method_line``."""
    protocol, _, rest = method_line.partition(" ")
    headers = StatusAndHeaders(rest, [], protocol=protocol)
    return type("Record", (), {"http_headers": headers})()


@pytest.mark.parametrize(
    ("line", "method"),
    [
        ("GET /a HTTP/1.1", "GET"),
        ("head /a HTTP/1.1", "HEAD"),
        ("PATCH", "PATCH"),
        ("PROPFIND /dav HTTP/1.1", "PROPFIND"),
        ("G", None),
        ("GE", None),
        ("POS", None),
        ("G\u00e9T /a HTTP/1.1", None),
    ],
)
def test_request_methods_are_known_methods_or_tokens_with_a_target(line: str, method: str | None) -> None:
    """RFC 9110 methods are taken alone; another token only with a request target after it."""
    from scraper.warc import _request_method

    assert _request_method(_request_record(line)) == method


def test_a_gzip_payload_cut_inside_its_stream_is_cut_not_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another tool's record of a gzip body cut by a closed connection (the record itself whole) is
    skipped with a warning; replaying its URL is FixtureCorrupt saying why, not FixtureMissing."""
    path = tmp_path / "other.warc.gz"
    squeezed = gzip.compress(BIG)
    _write_warc(
        path,
        lambda writer: _response(
            writer, "https://x.gov/cut", squeezed[: len(squeezed) // 2], **{"Content-Encoding": "gzip"}
        ),
    )
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        assert list(read_warc(path)) == []
        archive = WarcArchive.load(path)
    assert "https://x.gov/cut: its body does not decode whole from its Content-Encoding" in caplog.text
    with (
        httpx.Client(transport=ReplayTransport(archive)) as client,
        pytest.raises(FixtureCorrupt, match="does not decode whole"),
    ):
        client.get("https://x.gov/cut")


def test_opening_a_cut_warc_twice_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The CLI opens --replay/serve sources twice (a check, then the replay): one warning per cut,
    one read; a changed file is read again."""
    path, _ = _cut_warc(tmp_path)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"):
        first = open_fixtures(path)
        assert open_fixtures(path) is first
    assert caplog.text.count("skipping the response for https://x.gov/big") == 1
    with path.open("ab") as fh:
        fh.write(b"\r\n")
    assert open_fixtures(path) is not first


# -- recording into a WARC ---------------------------------------------------------------------


def _cut_gzip_origin(request: httpx.Request) -> httpx.Response:
    """/cut: a gzip body whose stream ends early (as a closed connection leaves it); else /page."""
    if request.url.path == "/cut":
        squeezed = gzip.compress(BIG)
        return httpx.Response(
            200,
            headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            stream=httpx.ByteStream(squeezed[: len(squeezed) * 3 // 4]),
        )
    return _origin(request)


def test_a_body_cut_inside_its_gzip_stream_is_not_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The WARC recorder writes no record of a body that does not decode whole (the fetch rejects
    it too), and says why, as the folder recorder does."""
    path = tmp_path / "crawl.warc.gz"
    transport = WarcRecordingTransport(httpx.MockTransport(_cut_gzip_origin), path, now=lambda: WHEN)
    with caplog.at_level(logging.WARNING, logger="scraper.warc"), httpx.Client(transport=transport) as client:
        client.get("https://x.gov/page")
        client.get("https://x.gov/cut")
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in _records(path)}
    assert uris == {None, "https://x.gov/page"}  # warcinfo and /page only
    assert "not recording https://x.gov/cut: its body does not match its Content-Encoding" in caplog.text


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda data, offsets: data[: offsets[4] - 60], "the file ends inside its record at byte"),
        (lambda data, offsets: data[:-4], "ends inside the gzip member of its last record"),
        (lambda data, offsets: data[: offsets[3] + 30], "it cannot be read from byte"),
        (lambda data, offsets: b"<html>not a warc</html>", "it is not a WARC file"),
        (lambda data, offsets: gzip.decompress(data), "holds uncompressed records but its name ends .gz"),
    ],
    ids=["cut-record", "cut-trailer", "cut-header", "junk", "plain-named-gz"],
)
def test_recording_into_a_warc_that_does_not_read_to_its_end_is_refused(
    tmp_path: Path, damage: Callable[[bytes, list[int]], bytes], said: str
) -> None:
    """Records appended after a break could never be read: the recorder refuses the file when it is
    made, before fetching anything, telling the user to move it away; the file is left as it was."""
    path = tmp_path / "crawl.warc.gz"
    offsets = _pair_warc(path, "https://x.gov/a", "https://x.gov/b")
    path.write_bytes(damage(path.read_bytes(), offsets))
    before = path.read_bytes()
    with pytest.raises(WarcNotAppendable) as caught:
        WarcRecordingTransport(httpx.MockTransport(_origin), path, now=lambda: WHEN)
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot record into it: ")
    assert said in message
    assert f"move it away with `mv {path} {tmp_path / 'crawl.broken.warc.gz'}`" in message
    assert isinstance(caught.value, FixtureCorrupt)
    assert path.read_bytes() == before


def test_recording_into_a_whole_or_new_warc_is_allowed(tmp_path: Path) -> None:
    """The check passes a whole file (appends go on) and a file not there yet."""
    path = tmp_path / "crawl.warc.gz"
    _record(path, "https://x.gov/a")
    _record(path, "https://x.gov/b")
    assert [r.url for r in read_warc(path)] == ["https://x.gov/a", "https://x.gov/b"]


def test_a_url_missing_from_a_cut_warc_says_to_move_it_away(tmp_path: Path) -> None:
    """A URL not found in a file that cannot be read to its end may be in the lost part, and
    recording it into that file is refused: the error says so rather than FixtureMissing's advice."""
    path = tmp_path / "crawl.warc.gz"
    offsets = _pair_warc(path, "https://x.gov/a", "https://x.gov/b")
    path.write_bytes(path.read_bytes()[: offsets[3]] + gzip.compress(b"WARC/1"))
    with httpx.Client(transport=WarcReplayTransport(path)) as client:
        assert client.get("https://x.gov/a").status_code == 200
        with pytest.raises(WarcNotAppendable) as caught:
            client.get("https://x.gov/b")
    assert f"https://x.gov/b: is not in the records before byte {offsets[3]}" in str(caught.value)
    assert f"`mv {path} {tmp_path / 'crawl.broken.warc.gz'}`" in str(caught.value)
