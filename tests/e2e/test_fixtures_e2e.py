"""End-to-end: record once, replay forever, over real sockets on 127.0.0.1.

Covers the fixture promises as a tester meets them: a WARC written by warcio's own ``capture_http``
is read (chunked and gzip payloads); a crawl recorded to a folder or a WARC replays to identical
records; no secret reaches a fixture or WARC; replay of a whole crawl runs with sockets blocked;
and ``serve`` → crawl over HTTP gives the records ``--replay`` gives.
"""

from __future__ import annotations

import gzip
import http.client
import logging
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from parsers import Record, parse_topic_page, record_id
from scraper.client import build_client, fetch
from scraper.crawl import CrawlStats, crawl
from scraper.fixtures import FixtureFolder, RecordingTransport
from scraper.frontier import CrawlState
from scraper.serve import serve_fixtures
from scraper.settings import Settings
from scraper.sinks import JsonlSink
from scraper.warc import (
    WarcRecordingTransport,
    WarcReplayTransport,
    iter_warc_pages,
    read_warc,
    warc_to_folder,
)

from e2e.site import Reply, Site

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.slow

DHS = Path(__file__).resolve().parents[2] / "fixtures" / "dhs"
TOPIC = "https://www.dhs.gov/keywords/secure-communities"
PAGE = (
    "<!DOCTYPE html><html><body><h1>Chunked and gzipped</h1>" + "<p>teaser</p>" * 300 + "</body></html>"
).encode()


async def _crawl(
    start: Sequence[str], tmp_path: Path, name: str, clock: FakeClock | None = None, **settings: Any
) -> tuple[list[Record], CrawlStats]:
    """Crawl ``start`` with ``settings`` into ``tmp_path/name.jsonl``; the records read back, sorted."""
    output = tmp_path / f"{name}.jsonl"
    config = Settings.model_validate({"delay": 0, **settings})
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    with CrawlState.open(tmp_path / f"{name}.sqlite") as state, JsonlSink(output, resume=False) as sink:
        stats = await crawl(list(start), settings=config, sinks=[sink], state=state, **extra)
    records = [Record.model_validate_json(line) for line in output.read_text().splitlines()]
    return sorted(records, key=lambda r: (r.source_url, r.position)), stats


# -- a WARC from another tool ------------------------------------------------------------------


@pytest.fixture
def capture_http() -> Iterator[Any]:
    """warcio's capture_http, with http.client put back afterwards (warcio patches it on import)."""
    import warcio.capture_http as capture

    http.client.HTTPConnection = capture.RecordingHTTPConnection  # type: ignore[misc]
    try:
        yield capture.capture_http
    finally:
        http.client.HTTPConnection = capture.orig_connection  # type: ignore[misc]


def _get(site: Site, target: str, **headers: str) -> bytes:
    """GET with the standard library (what capture_http records); returns the raw body as received."""
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return response.read()
    finally:
        connection.close()


def test_a_warc_written_by_warcio_capture_http_is_read(
    site: Site, tmp_path: Path, capture_http: Callable[..., Any]
) -> None:
    """Chunked + gzip, plain gzip and identity payloads from capture_http come back decoded, byte-exact."""
    compressed = gzip.compress(PAGE)
    site.route(
        "/chunked-gzip",
        Reply(
            stream=lambda: iter([compressed[:100], compressed[100:]]), headers=(("Content-Encoding", "gzip"),)
        ),
    )
    site.page("/gzip", PAGE, gzip=True)
    site.page("/plain", "<p>plain</p>", headers=(("ETag", '"p1"'),))
    site.redirect("/old", "/plain")
    path = tmp_path / "captured.warc.gz"
    with capture_http(str(path)):
        wire = _get(site, "/chunked-gzip", **{"Accept-Encoding": "gzip"})
        _get(site, "/gzip")
        _get(site, "/plain")
        _get(site, "/old")
    assert wire[:2] == b"\x1f\x8b"  # the server really sent gzip, and http.client did not decode it

    responses = {r.url.removeprefix(site.base_url): r for r in read_warc(path)}
    assert set(responses) == {"/chunked-gzip", "/gzip", "/plain", "/old"}
    assert responses["/chunked-gzip"].body == PAGE
    assert responses["/gzip"].body == PAGE
    assert responses["/plain"].body == b"<p>plain</p>"
    assert (responses["/old"].status, responses["/old"].header("Location")) == (301, "/plain")
    for response in responses.values():
        names = {k.lower() for k, _ in response.headers}
        assert not names & {"transfer-encoding", "content-encoding", "content-length"}
        assert response.method == "GET"

    with httpx.Client(transport=WarcReplayTransport(path), follow_redirects=True) as client:
        replayed = client.get(site.url("/old"))
        chunked = client.get(site.url("/chunked-gzip"))
    assert (replayed.status_code, replayed.content, replayed.headers["ETag"]) == (
        200,
        b"<p>plain</p>",
        '"p1"',
    )
    assert chunked.content == PAGE


# -- record → replay round trips ---------------------------------------------------------------


@pytest.mark.parametrize("target", ["folder", "site.warc.gz", "warc-then-folder"])
async def test_recorded_crawl_replays_to_identical_records(
    site: Site, tmp_path: Path, fake_clock: FakeClock, target: str
) -> None:
    """Live crawl recorded (folder, WARC, or WARC converted to a folder) → replay → the same records."""
    topic = site.add_topic("secure-communities", "Secure Communities", pages=4, per_page=5)
    record_to = tmp_path / ("site.warc.gz" if target != "folder" else "folder")
    live, live_stats = await _crawl([topic.url()], tmp_path, "live", fake_clock, record=record_to)
    assert live_stats.pages == 4
    assert len(live) == 20
    assert live_stats.failures == []
    replay_from = record_to
    if target == "warc-then-folder":
        replay_from = tmp_path / "converted"
        assert warc_to_folder(record_to, replay_from) == 4
    site.stop()

    replayed, stats = await _crawl([topic.url()], tmp_path, "replay", replay=replay_from)
    assert stats.pages == 4
    assert [r.model_dump() for r in replayed] == [r.model_dump() for r in live]
    assert {r.title for r in live} == {t.title for n in range(4) for t in topic.teasers(n)}


async def test_pages_read_from_a_warc_parse_like_the_live_pages(
    site: Site, tmp_path: Path, fake_clock: FakeClock
) -> None:
    """parse FILE.warc.gz: each recorded page parses to the TopicPage its live HTML gives."""
    topic = site.add_topic("secure-communities", "Secure Communities", pages=3, per_page=4)
    path = tmp_path / "site.warc.gz"
    await _crawl([topic.url()], tmp_path, "live", fake_clock, record=path)
    pages = list(iter_warc_pages(path))
    assert [p.url for p in pages] == [topic.url(n) for n in range(3)]
    for n, page in enumerate(pages):
        from_warc = parse_topic_page(page.body, url=page.url, content_type=page.content_type)
        from_html = parse_topic_page(topic.html(n), url=topic.url(n))
        assert from_warc == from_html
        assert page.fetched_at is not None


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["folder", "site.warc.gz", "site.warc"])
async def test_secrets_never_reach_a_fixture_or_warc(site: Site, tmp_path: Path, target: str) -> None:
    """Set-Cookie from the server, Authorization and Cookie from the client: none of them is written."""
    site.page("/private", "<h1>members</h1>", headers=(("Set-Cookie", "session=server-secret; HttpOnly"),))
    site.route(
        "/login",
        Reply(status=302, headers=(("Location", "/private"), ("Set-Cookie", "login=redirect-secret"))),
    )
    settings = Settings(delay=0, obey_robots=False, record=tmp_path / target)
    async with build_client(settings) as client:
        fetched = await fetch(
            client,
            site.url("/login"),
            settings=settings,
            headers={"Authorization": "Bearer client-secret", "Cookie": "c=cookie-secret"},
        )
    assert fetched.content == b"<h1>members</h1>"
    (seen,) = site.requests("/login")
    assert seen.header("Authorization") == "Bearer client-secret"  # it was sent, just not recorded

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    written = b"".join(
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files
    )
    assert b"<h1>members</h1>" in written
    for secret in (b"server-secret", b"redirect-secret", b"client-secret", b"cookie-secret"):
        assert secret not in written
    assert b"set-cookie" not in written.lower()
    assert b"authorization" not in written.lower()


# -- replay never opens a socket ---------------------------------------------------------------


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make every outgoing connection and DNS lookup raise; returns the attempts made."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("sockets are blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


async def test_the_socket_block_is_real(site: Site, no_sockets: list[object]) -> None:
    """The guard works: a live request fails and is counted (so the replay test below means something)."""
    site.page("/x", "<p>x</p>")
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(trust_env=False) as client:
            await client.get(site.url("/x"))
    assert no_sockets
    assert site.requests() == []


async def test_replaying_a_whole_crawl_opens_no_socket(tmp_path: Path, no_sockets: list[object]) -> None:
    """Every DHS listing, with pagination, replays from fixtures/ with sockets blocked."""
    start = [
        TOPIC,
        "https://www.dhs.gov/keywords/287g",
        "https://www.dhs.gov/keywords/e-verify-self-check",
        "https://www.dhs.gov/news-releases/press-releases?page=7",
    ]
    records, stats = await _crawl(start, tmp_path, "replay", replay=DHS)
    assert no_sockets == []
    assert stats.pages == 5
    assert len(records) == 5 + 5 + 3 + 4 + 6
    failed = dict(stats.failures)
    assert set(failed) == {
        "https://www.dhs.gov/keywords/e-verify-self-check",  # an empty listing: nothing to extract
        "https://www.dhs.gov/news-releases/press-releases?page=8",  # the next page was never recorded
    }
    assert "FixtureMissing" in failed["https://www.dhs.gov/news-releases/press-releases?page=8"]
    assert "topicscrape record" in failed["https://www.dhs.gov/news-releases/press-releases?page=8"]
    assert {r.fetched_at for r in records if r.source_url == TOPIC} == {
        FixtureFolder.load(DHS).get(TOPIC).fetched_at  # type: ignore[union-attr]
    }


# -- serve → crawl over HTTP -------------------------------------------------------------------


async def test_serve_then_crawl_over_http_gives_the_replay_records(tmp_path: Path) -> None:
    """The served DHS fixtures crawl (robots.txt on, paginated) to the records --replay gives."""
    replayed, _ = await _crawl([TOPIC], tmp_path, "replay", replay=DHS)
    with serve_fixtures(DHS) as server:
        served, stats = await _crawl([server.url_for(TOPIC)], tmp_path, "served")
        base = server.base_url
    assert stats.pages == 3
    assert stats.failures == []
    assert len(served) == len(replayed) == 13

    def on_dhs(url: str | None) -> str | None:
        return url.replace(base, "https://www.dhs.gov", 1) if url is not None else None

    for over_http, from_replay in zip(served, replayed, strict=True):
        mapped = over_http.model_copy(
            update={"url": on_dhs(over_http.url), "source_url": on_dhs(over_http.source_url)}
        )
        assert record_id(mapped.url, source_url=mapped.source_url, title=mapped.title) == from_replay.id
        keep = set(Record.model_fields) - {"id", "fetched_at"}
        assert mapped.model_dump(include=keep) == from_replay.model_dump(include=keep)


# -- URLs with credentials and fragments -------------------------------------------------------


@pytest.mark.parametrize("target", ["folder", "site.warc.gz"])
async def test_credentials_and_fragments_in_urls_never_reach_a_fixture_or_warc(
    site: Site, tmp_path: Path, target: str
) -> None:
    """http://alice:s3cret@host/x#frag: the server gets the credentials, no file does; the replay
    of the same URL, with or without them, finds the page."""
    site.page("/members", "<h1>members</h1>")
    url = site.url("/members").replace("http://", "http://alice:s3cret@", 1) + "#frag"
    record_to = tmp_path / target
    live = httpx.AsyncHTTPTransport()
    recorder = (
        WarcRecordingTransport(live, record_to)
        if target.endswith(".warc.gz")
        else RecordingTransport(live, FixtureFolder.load(record_to))
    )
    async with httpx.AsyncClient(transport=recorder) as client:
        assert (await client.get(url)).content == b"<h1>members</h1>"
    (seen,) = site.requests("/members")
    assert seen.header("Authorization") is not None  # sent, as the URL asked

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    written = b"".join(
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files
    )
    assert b"<h1>members</h1>" in written
    for secret in (b"s3cret", b"alice", b"#frag"):
        assert secret not in written
    site.stop()
    replay = Settings(delay=0, obey_robots=False, replay=record_to)
    async with build_client(replay) as client:
        for again in (url, site.url("/members")):
            assert (await fetch(client, again, settings=replay)).content == b"<h1>members</h1>"


# -- several recorders, one folder -------------------------------------------------------------

RECORD_FLAGS = ("--delay", "0", "--no-robots", "--quiet")


def test_parallel_record_runs_into_one_folder_keep_every_page(site: Site, tmp_path: Path) -> None:
    """Three `topicscrape record` processes writing one folder at once: every page of every topic is
    in index.json, with its own body file (each run used to overwrite the others' index)."""
    topics = [site.add_topic(f"topic-{n}", f"Topic {n}", pages=4, per_page=3) for n in range(3)]
    folder = tmp_path / "par"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "scraper", "record", topic.url(), "--to", str(folder), *RECORD_FLAGS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for topic in topics
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    loaded = FixtureFolder.load(folder)
    assert {saved.url for saved in loaded} == {topic.url(n) for topic in topics for n in range(4)}
    assert all(b"<title>Topic " in loaded.body(saved) for saved in loaded)
    bodies = {p for p in (folder / f"127.0.0.1_{site.port}").iterdir()}
    assert len(bodies) == 12


async def test_a_start_url_that_is_no_page_replays_as_it_failed_live(
    site: Site, tmp_path: Path, fake_clock: FakeClock
) -> None:
    """A start URL answering with a small PDF is recorded, so its replay fails with the same
    "not an HTML page" as the live crawl did, rather than "not recorded"."""
    topic = site.add_topic("secure-communities", "Secure Communities", pages=2, per_page=5)
    site.page("/report.pdf", b"%PDF-1.4\n" + b"0" * 20_000, content_type="application/pdf")
    start = [topic.url(), site.url("/report.pdf")]
    record_to = tmp_path / "folder"
    live, live_stats = await _crawl(start, tmp_path, "live", fake_clock, record=record_to)
    site.stop()
    replayed, stats = await _crawl(start, tmp_path, "replay", replay=record_to)
    assert [r.model_dump() for r in replayed] == [r.model_dump() for r in live]
    assert len(live) == 10
    assert stats.failures == live_stats.failures
    assert [(url, reason.split(":")[0]) for url, reason in stats.failures] == [
        (site.url("/report.pdf"), "NotHtml")
    ]


# -- bodies cut on the wire ----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["folder", "cut.warc.gz"])
def test_a_gzip_body_cut_by_a_closed_connection_is_recorded_nowhere(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    """The server closes the connection half-way through a gzip body (no Content-Length, so the
    socket sees no error): neither recorder writes it, each says why; the whole page is written."""
    squeezed = gzip.compress(PAGE)
    site.route(
        "/cut",
        Reply(
            body=squeezed[: len(squeezed) * 3 // 4],
            headers=(("Content-Encoding", "gzip"),),
            close_delimited=True,
        ),
    )
    site.page("/whole", PAGE, gzip=True)
    path = tmp_path / target
    recorder: httpx.BaseTransport = (
        WarcRecordingTransport(httpx.HTTPTransport(), path)
        if target.endswith(".warc.gz")
        else RecordingTransport(httpx.HTTPTransport(), FixtureFolder.load(path))
    )
    with caplog.at_level(logging.WARNING), httpx.Client(transport=recorder) as client:
        client.get(site.url("/cut"))
        client.get(site.url("/whole"))
    assert len(site.requests("/cut")) == 1
    assert f"not recording {site.url('/cut')}: its body does not match its Content-Encoding" in caplog.text
    if target.endswith(".warc.gz"):
        uris = {
            line.split(b": ", 1)[1].strip().decode()
            for line in gzip.decompress(path.read_bytes()).splitlines()
            if line.startswith(b"WARC-Target-URI")
        }
        assert uris == {site.url("/whole")}
        assert [r.url for r in read_warc(path)] == [site.url("/whole")]
    else:
        assert [s.url for s in FixtureFolder.load(path)] == [site.url("/whole")]
