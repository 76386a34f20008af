"""Tests for scraper/serve.py: serving a fixture folder (or WARC) over HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from scraper.client import Fetched, build_client, fetch
from scraper.fixtures import FixtureFolder, ReplayTransport
from scraper.serve import FixtureServer, _Handler, serve_fixtures
from scraper.settings import Settings
from scraper.warc import WarcRecordingTransport

DHS = Path(__file__).resolve().parents[2] / "fixtures" / "dhs"
TOPIC = "https://www.dhs.gov/keywords/secure-communities"
WHEN = datetime(2016, 7, 1, 12, tzinfo=UTC)


def _settings(**kwargs: object) -> Settings:
    return Settings.model_validate({"delay": 0, **kwargs})


@pytest.fixture
def dhs() -> FixtureFolder:
    """The bundled DHS fixtures."""
    return FixtureFolder.load(DHS)


@pytest.fixture
def served(dhs: FixtureFolder) -> Iterator[FixtureServer]:
    """The DHS fixtures served on 127.0.0.1 in a background thread."""
    with serve_fixtures(dhs) as server:
        yield server


@pytest.fixture
def two_hosts(tmp_path: Path) -> FixtureFolder:
    """A folder where two hosts share the path /news, and one redirects with an absolute Location."""
    folder = FixtureFolder(tmp_path)
    html = [("Content-Type", "text/html")]
    folder.save("https://a.gov/news", status=200, headers=html, body=b"<p>a</p>")
    folder.save("https://b.gov/news", status=200, headers=html, body=b"<p>b</p>")
    folder.save("https://a.gov/only-a", status=200, headers=html, body=b"<p>only a</p>")
    folder.save("https://a.gov/old", status=301, headers=[("Location", "https://a.gov/only-a")], body=b"")
    folder.save("https://a.gov/rel", status=302, headers=[("Location", "/only-a")], body=b"")
    folder.save("https://a.gov/away", status=302, headers=[("Location", "https://elsewhere.org/x")], body=b"")
    return FixtureFolder.load(tmp_path)


# -- answers (no socket) -----------------------------------------------------------------------


def test_a_bare_path_gets_the_recorded_response(dhs: FixtureFolder) -> None:
    """Status, headers (spelling and order) and body as recorded, plus a computed Content-Length."""
    server = FixtureServer(dhs)
    try:
        answer = server.answer("/keywords/secure-communities")
    finally:
        server.stop()
    saved = dhs.get(TOPIC)
    assert saved is not None
    body = dhs.body(saved)
    assert answer.status == 200
    assert answer.url == TOPIC
    assert answer.headers == (*saved.headers, ("Content-Length", str(len(body))))
    assert answer.body == body


@pytest.mark.parametrize(
    "target",
    [
        "/keywords/secure-communities?page=1",
        "/www.dhs.gov/keywords/secure-communities?page=1",
        "https://www.dhs.gov/keywords/secure-communities?page=1",
        "/WWW.DHS.GOV/keywords/secure-communities?page=1",
        "/keywords/secure%2Dcommunities?page=%31",
        "https://www.dhs.gov/keywords/secure%2dcommunities?page=1",
    ],
)
def test_paths_prefixes_and_absolute_urls_find_the_same_page(dhs: FixtureFolder, target: str) -> None:
    """Bare path+query, /<host>/path and a proxy-style absolute URL all pick the recorded page, with
    unreserved characters escaped or not (RFC 3986 says they are the same URL)."""
    server = FixtureServer(dhs)
    try:
        answer = server.answer(target)
    finally:
        server.stop()
    assert (answer.status, answer.url) == (200, TOPIC + "?page=1")


def test_an_empty_query_is_no_query(dhs: FixtureFolder) -> None:
    """ "/keywords/secure-communities?" is the recorded page without a query."""
    server = FixtureServer(dhs)
    try:
        answer = server.answer("/keywords/secure-communities?")
    finally:
        server.stop()
    assert (answer.status, answer.url) == (200, TOPIC)


def test_an_unknown_path_is_a_404_naming_the_record_command(dhs: FixtureFolder) -> None:
    """A miss names the full missing URL (single-host folder) and the command that records it."""
    server = FixtureServer(dhs)
    try:
        answer = server.answer("/keywords/missing?page=3")
    finally:
        server.stop()
    text = answer.body.decode()
    assert answer.status == 404
    assert ("Content-Type", "text/plain; charset=utf-8") in answer.headers
    assert "https://www.dhs.gov/keywords/missing?page=3" in text
    assert f"topicscrape record 'https://www.dhs.gov/keywords/missing?page=3' --to {DHS}" in text


def test_a_path_several_hosts_share_needs_a_host(two_hosts: FixtureFolder) -> None:
    """/news is ambiguous (300 listing the prefixed URLs); /<host>/news picks one; unique paths stay bare."""
    server = FixtureServer(two_hosts)
    try:
        ambiguous = server.answer("/news")
        a, b = server.answer("/a.gov/news"), server.answer("/b.gov/news")
        only = server.answer("/only-a")
        base = server.base_url
        listing = dict((recorded, local) for local, recorded in server.list_urls())
        missing = server.answer("/nowhere")
    finally:
        server.stop()
    assert ambiguous.status == 300
    assert f"{base}/a.gov/news" in ambiguous.body.decode()
    assert f"{base}/b.gov/news" in ambiguous.body.decode()
    assert (a.body, b.body, only.body) == (b"<p>a</p>", b"<p>b</p>", b"<p>only a</p>")
    assert listing["https://a.gov/news"] == f"{base}/a.gov/news"
    assert listing["https://a.gov/only-a"] == f"{base}/only-a"
    assert missing.status == 404
    assert "a.gov, b.gov" in missing.body.decode()


def test_redirects_to_a_recorded_host_stay_on_the_server(two_hosts: FixtureFolder) -> None:
    """An absolute Location to a recorded host is pointed at the server; others are left verbatim."""
    server = FixtureServer(two_hosts)
    try:
        old, rel, away = server.answer("/old"), server.answer("/rel"), server.answer("/away")
        base = server.base_url
    finally:
        server.stop()
    assert (old.status, dict(old.headers)["Location"]) == (301, f"{base}/only-a")
    assert dict(rel.headers)["Location"] == "/only-a"
    assert dict(away.headers)["Location"] == "https://elsewhere.org/x"
    assert dict(old.headers)["Content-Length"] == "0"


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("If-None-Match", '"1467381532-0"', 304),
        ("If-None-Match", '"stale"', 200),
        ("if-modified-since", "Fri, 01 Jul 2016 13:58:52 GMT", 304),
        ("If-Modified-Since", "Fri, 01 Jul 2016 13:00:00 GMT", 200),
    ],
)
def test_conditional_requests_get_304(dhs: FixtureFolder, header: str, value: str, status: int) -> None:
    """Matching validators give a bodyless 304 without Content-Length; others the full page."""
    server = FixtureServer(dhs)
    try:
        answer = server.answer("/keywords/secure-communities", [(header, value)])
    finally:
        server.stop()
    assert answer.status == status
    names = [k.lower() for k, _ in answer.headers]
    if status == 304:
        assert answer.body == b""
        assert "content-length" not in names
        assert ("Etag", '"1467381532-0"') in answer.headers
    else:
        assert "content-length" in names


@pytest.mark.parametrize(
    ("request_headers", "status", "part", "content_range"),
    [
        ([("Range", "bytes=0-9")], 206, slice(0, 10), "bytes 0-9/{size}"),
        ([("Range", "bytes=100-")], 206, slice(100, None), "bytes 100-{last}/{size}"),
        ([("Range", "bytes=-20")], 206, slice(-20, None), "bytes {tail}-{last}/{size}"),
        ([("Range", "bytes=999999-")], 416, slice(0, 0), "bytes */{size}"),
        ([("Range", "bytes=0-9"), ("If-Range", '"stale"')], 200, slice(None), None),
        ([("Range", "bytes=0-9,20-29")], 200, slice(None), None),
        ([("Range", "bytes=50-10")], 200, slice(None), None),
    ],
    ids=[
        "first-10",
        "from-100",
        "last-20",
        "past-the-end",
        "if-range-stale",
        "two-ranges",
        "last-before-first",
    ],
)
def test_range_requests_get_the_part_the_recording_advertised(
    dhs: FixtureFolder,
    request_headers: list[tuple[str, str]],
    status: int,
    part: slice,
    content_range: str | None,
) -> None:
    """The DHS page was served with Accept-Ranges: bytes, so a Range request gets 206 and that part
    (416 past the end); a stale If-Range or several ranges get the whole page."""
    server = FixtureServer(dhs)
    try:
        whole = server.answer("/keywords/secure-communities").body
        answer = server.answer("/keywords/secure-communities", request_headers)
    finally:
        server.stop()
    size = len(whole)
    assert ("Accept-Ranges", "bytes") in [(k.title(), v) for k, v in answer.headers]
    assert answer.status == status
    assert answer.body == whole[part]
    headers = {k.lower(): v for k, v in answer.headers}
    assert headers["content-length"] == str(len(answer.body))
    expected = content_range.format(size=size, last=size - 1, tail=size - 20) if content_range else None
    assert headers.get("content-range") == expected


# -- over a real socket ------------------------------------------------------------------------


def test_served_bytes_are_the_recorded_bytes(served: FixtureServer, dhs: FixtureFolder) -> None:
    """Over HTTP: recorded headers verbatim and in order (no Server/Date of our own), exact body."""
    saved = dhs.get(TOPIC + "?page=2")
    assert saved is not None
    with httpx.Client(trust_env=False) as client:
        response = client.get(served.url_for(TOPIC + "?page=2"))
        head = client.head(served.url_for(TOPIC + "?page=2"))
    raw = [(k.decode(), v.decode()) for k, v in response.headers.raw]
    assert raw == [*saved.headers, ("Content-Length", str(len(dhs.body(saved))))]
    assert response.content == dhs.body(saved)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(dhs.body(saved)))


def test_answers_are_not_held_back_by_nagle(served: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the server accepts has TCP_NODELAY. The headers and the body go out as two
    writes; with Nagle's algorithm on, the body of each later request on a kept-alive connection
    waited for the client's delayed ACK (about 40 ms a request, 25 pages a second)."""
    nodelay: list[int] = []
    setup = _Handler.setup

    def recording_setup(self: _Handler) -> None:
        setup(self)
        nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(_Handler, "setup", recording_setup)
    with httpx.Client(trust_env=False) as client:
        for _ in range(3):
            assert client.get(served.url_for(TOPIC)).status_code == 200
    assert nodelay  # one kept-alive connection, or more
    assert all(nodelay)


def test_other_methods_are_not_served(served: FixtureServer) -> None:
    """Fixtures are GET responses: POST gets 501 from the server, never a recorded page."""
    with httpx.Client(trust_env=False) as client:
        response = client.post(served.base_url + "/keywords/secure-communities", content=b"x")
    assert response.status_code == 501


async def test_fetch_over_http_matches_replay(served: FixtureServer, dhs: FixtureFolder) -> None:
    """Our own fetch, with robots.txt on (a 404 allows all), gets what replay gives."""
    settings = _settings()
    async with build_client(settings) as client:
        over_http = await fetch(client, served.url_for(TOPIC), settings=settings)
    async with build_client(settings, transport=ReplayTransport(dhs)) as client:
        replayed = await fetch(client, TOPIC, settings=settings)
    assert over_http.status == replayed.status == 200
    assert over_http.content == replayed.content
    assert over_http.etag == replayed.etag
    again = await _fetch_with(served, {"If-None-Match": over_http.etag or ""})
    assert again.not_modified


async def _fetch_with(served: FixtureServer, headers: dict[str, str]) -> Fetched:
    settings = _settings(obey_robots=False)
    async with build_client(settings) as client:
        return await fetch(client, served.url_for(TOPIC), settings=settings, headers=headers)


def test_a_warc_file_is_served_too(tmp_path: Path) -> None:
    """serve FILE.warc.gz works like a folder: same lookup, decoded body, recorded headers."""
    path = tmp_path / "site.warc.gz"
    origin = httpx.MockTransport(
        lambda r: httpx.Response(
            200, headers={"Content-Type": "text/html", "ETag": '"w"'}, content=b"<p>w</p>"
        )
    )
    with httpx.Client(transport=WarcRecordingTransport(origin, path, now=lambda: WHEN)) as client:
        client.get("https://x.gov/news?page=1")
    with serve_fixtures(path) as server, httpx.Client(trust_env=False) as client:
        response = client.get(server.base_url + "/news?page=1")
    assert response.status_code == 200
    assert response.content == b"<p>w</p>"
    assert response.headers["ETag"] == '"w"'


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    """serve on a path that is neither a folder nor a WARC fails before binding a port."""
    with pytest.raises(FileNotFoundError):
        serve_fixtures(tmp_path / "nope")


@pytest.mark.slow
def test_run_server_prints_its_urls_and_stops_on_ctrl_c() -> None:
    """The blocking server announces address and URLs, serves, and exits 0 on SIGINT."""
    code = (
        "import sys\n"
        "from scraper.serve import run_server\n"
        f"run_server({str(DHS)!r}, port=0, announce=lambda line: print(line, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Serving 6 recorded responses at http://127.0.0.1:"), first
        lines = [proc.stdout.readline() for _ in range(6)]
        local = next(line.split()[0] for line in lines if line.strip().endswith(TOPIC))
        assert httpx.get(local, trust_env=False).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")
    assert "Traceback" not in err


def test_list_urls_covers_every_recorded_response(served: FixtureServer) -> None:
    """Each recorded URL is listed once with the local URL that serves it."""
    listing = served.list_urls()
    index = json.loads((DHS / "index.json").read_text())
    assert [recorded for _, recorded in listing] == sorted(index["responses"])
    assert all(local.startswith(served.base_url + "/") for local, _ in listing)


# -- non-ASCII paths ---------------------------------------------------------------------------

ODD = "https://x.gov/caf%C3%A9/liste?q=%E2%9C%93+x%20y&b=2"


@pytest.fixture
def odd(tmp_path: Path) -> FixtureFolder:
    """One page at a percent-encoded non-ASCII path and query."""
    FixtureFolder(tmp_path).save(
        ODD, status=200, headers=[("Content-Type", "text/html")], body=b"<p>caf\xc3\xa9</p>"
    )
    return FixtureFolder.load(tmp_path)


def _raw_get(server: FixtureServer, target: bytes) -> tuple[int, bytes]:
    """GET with the request line's bytes as given (raw UTF-8, as curl sends what it is typed)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize(
    "target",
    [
        "/café/liste?q=✓+x%20y&b=2".encode(),
        b"/caf%c3%a9/liste?q=%e2%9c%93+x%20y&b=2",
        b"/x.gov/caf\xc3\xa9/liste?q=\xe2\x9c\x93+x%20y&b=2",
    ],
)
def test_raw_utf8_and_lowercase_escapes_find_the_recorded_page(odd: FixtureFolder, target: bytes) -> None:
    """http.server reads the request line as Latin-1; raw UTF-8 and %c3%a9 still match %C3%A9."""
    with serve_fixtures(odd) as server:
        status, body = _raw_get(server, target)
    assert (status, body) == (200, b"<p>caf\xc3\xa9</p>")


def test_a_raw_utf8_miss_names_the_url_percent_encoded(odd: FixtureFolder) -> None:
    """The 404 for a non-ASCII path spells it as a client would send it, not as mojibake."""
    with serve_fixtures(odd) as server:
        status, body = _raw_get(server, "/café/autre".encode())
    text = body.decode()
    assert status == 404
    assert "topicscrape record https://x.gov/caf%C3%A9/autre --to" in text
    assert "Ã" not in text


# -- a recorded response that cannot be served -------------------------------------------------


def test_a_deleted_body_file_is_a_500_saying_how_to_re_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Over a real socket: a 500 with a one-line text body (not a dropped connection), logged at WARNING."""
    saved = FixtureFolder(tmp_path).save(
        TOPIC, status=200, headers=[("Content-Type", "text/html")], body=b"x"
    )
    assert saved.file is not None
    (tmp_path / saved.file).unlink()
    with (
        caplog.at_level(logging.WARNING, logger="scraper.serve"),
        serve_fixtures(tmp_path) as server,
        httpx.Client(trust_env=False) as client,
    ):
        response = client.get(server.url_for(TOPIC))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert len(lines) == 1
    assert str(tmp_path / saved.file) in lines[0]
    assert f"`topicscrape record {TOPIC} --to {tmp_path}`" in lines[0]
    assert f"cannot serve {TOPIC}" in caplog.text


def test_a_cut_warc_record_is_a_500(tmp_path: Path) -> None:
    """serve FILE.warc.gz: a response whose record the file ends inside answers 500, not half a page."""
    path = tmp_path / "site.warc.gz"
    big = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(2000))
    origin = httpx.MockTransport(
        lambda r: httpx.Response(200, headers={"Content-Type": "text/html"}, content=big)
    )
    with httpx.Client(transport=WarcRecordingTransport(origin, path, now=lambda: WHEN)) as client:
        client.get("https://x.gov/news")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with serve_fixtures(path) as server:
        answer = server.answer("/news")
    assert answer.status == 500
    assert answer.body.decode().startswith(f"{path}: https://x.gov/news: cut short (")


def test_an_unexpected_error_is_a_500_not_a_dropped_connection(
    served: FixtureServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug while answering still answers (500, one line) and is logged with its traceback."""

    def broken(target: str, headers: object = ()) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(served, "answer", broken)
    with caplog.at_level(logging.ERROR, logger="scraper.serve"), httpx.Client(trust_env=False) as client:
        response = client.get(served.base_url + "/keywords/secure-communities")
    assert response.status_code == 500
    assert response.text == "topicscrape serve failed on this request: RuntimeError: boom\n"
    assert "Traceback" in caplog.text
