"""``topicscrape serve``: a fixture folder (or WARC file) as a local web server on 127.0.0.1.

Any HTTP client (curl, a browser, Scrapy, our own crawl) can then read recorded pages as if the site
were up: each answer has the recorded status, headers and body, byte for byte, plus a computed
``Content-Length``. Conditional requests (``If-None-Match``, ``If-Modified-Since``) get a 304 when
the recorded validators match; a ``Range`` request gets that part of the body (206) when the
recorded response said it could (``Accept-Ranges: bytes``), as the site would have answered.
The answers come from :class:`~scraper.fixtures.ReplayTransport`, so serving and ``--replay``
cannot disagree.

**Which recorded URL a request gets.** Recorded URLs are absolute (``https://www.dhs.gov/...``) and
may come from several hosts, but the server has one address. A request is matched by:

1. its absolute URL, when the client sends one (``GET https://www.dhs.gov/x HTTP/1.1``, what a
   client configured with the server as its HTTP proxy sends for ``http://`` URLs);
2. its path and query (``/keywords/secure-communities?page=1``), when exactly one recorded host
   has that path and query. Root-relative links in served pages (``/news/...``) therefore work;
3. ``/<host>/<path>`` (``/www.dhs.gov/keywords/secure-communities``), which always picks one
   host. When several hosts share a path, the bare path answers ``300 Multiple Choices``
   listing these forms.

Paths compare as httpx spells them, with percent-escapes in upper case: a target sent as raw
UTF-8 (``curl "http://127.0.0.1:8000/café/liste?q=✓"``; http.server hands it over as Latin-1) and
one sent as ``/caf%c3%a9/...`` both find ``/caf%C3%A9/...``.

A request matching nothing gets a plain-text 404 naming the missing URL and the ``topicscrape
record`` command that saves it. A recorded response that cannot be served (its body file was
deleted, its WARC record is cut) gets a plain-text 500 saying so and how to re-record it, also
logged as a WARNING. There is no built-in robots.txt: unless one was recorded, ``/robots.txt`` is
a 404, which robots.txt rules (RFC 9309 §2.3.1.3) read as "allow everything".

**The one change to recorded headers:** an absolute ``Location`` pointing at a recorded host is
rewritten to this server, so following a recorded redirect never leaves for the live site.
Absolute links inside bodies are left alone (bodies are byte-exact).

Example::

    with serve_fixtures("fixtures/dhs") as server:      # serving in a background thread
        httpx.get(server.url_for("https://www.dhs.gov/keywords/secure-communities"))
"""

from __future__ import annotations

import http.server
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from scraper.errors import FixtureCorrupt, FixtureMissing
from scraper.fixtures import ReplayTransport, ResponseSource, fixture_url
from scraper.warc import open_fixtures

__all__ = [
    "CONDITIONAL_HEADERS",
    "Answer",
    "FixtureServer",
    "run_server",
    "serve_fixtures",
]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
"""Loopback only: fixtures are for the tester's machine, not the network."""

CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since")
"""Request headers passed on to the replay, which answers 304 when they match."""

NO_BODY_STATUSES = frozenset({204, 304})
"""Statuses that never carry a body, hence no Content-Length (RFC 9110 §8.6)."""

POLL_INTERVAL = 0.05
"""Seconds between shutdown checks of the serving loop; the default 0.5 s slows every stop."""

_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_NOT_ASCII = re.compile(rb"[^\x00-\x7f]+")


@dataclass(frozen=True)
class Answer:
    """What the server sends for one request.

    Attributes:
        status: the HTTP status.
        headers: header pairs in order (values as the recorded bytes, read as Latin-1 so they go
            back on the wire unchanged).
        body: the body (sent unless the request is HEAD).
        url: the recorded URL served, or None for a 404/300.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str | None = None


class FixtureServer:
    """Serves a :class:`~scraper.fixtures.ResponseSource` over HTTP; see the module docstring.

    The socket is bound when the object is made (``port=0`` picks a free port; read :attr:`port`).
    Serve with :meth:`serve_forever` (blocking) or :meth:`start` (a background thread; also what
    ``with`` does); :meth:`stop` ends either and closes the socket.

    Args:
        source: the saved responses (a fixture folder or a loaded WARC).
        host: the address to listen on.
        port: the port; 0 for any free one.
    """

    def __init__(self, source: ResponseSource, *, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.source = source
        self._replay = ReplayTransport(source)
        # path+query → {netloc: recorded URL}; one netloc per path+query means the bare path works.
        self._by_target: dict[str, dict[str, str]] = {}
        self._schemes: dict[str, str] = {}
        for saved in source:
            recorded = fixture_url(saved.url)  # an index written before the rule may hold user:pw@ or #x
            parsed = httpx.URL(recorded)
            netloc = _netloc(parsed)
            self._by_target.setdefault(_target(parsed), {})[netloc] = recorded
            self._schemes.setdefault(netloc, parsed.scheme)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.fixtures = self
        self._thread: threading.Thread | None = None

    # -- addresses -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``, the address to give clients."""
        host = self._httpd.server_address[0]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{self.port}"

    def url_for(self, url: str) -> str:
        """The local URL that serves recorded URL ``url``: ``base_url`` + its path and query when no
        other recorded host has that path, else ``base_url/<host>/<path>``."""
        parsed = httpx.URL(url)
        netloc, target = _netloc(parsed), _target(parsed)
        owners = self._by_target.get(target)
        if (owners is None and len(self._schemes) <= 1) or (owners is not None and set(owners) == {netloc}):
            return self.base_url + target
        return f"{self.base_url}/{netloc}{target}"

    def list_urls(self) -> list[tuple[str, str]]:
        """Every served URL as (local URL, recorded URL), sorted by recorded URL, for printing."""
        recorded = (fixture_url(saved.url) for saved in self.source)
        return sorted(((self.url_for(url), url) for url in recorded), key=lambda pair: pair[1])

    # -- answering -------------------------------------------------------------------------------
    def answer(self, target: str, headers: Iterable[tuple[str, str]] = ()) -> Answer:
        """The answer to ``GET target`` with request ``headers`` (no socket needed: tests call it).

        Args:
            target: the request target as sent: ``/path?query``, ``/<host>/path`` or an absolute URL.
            headers: request headers; only the conditional ones matter.
        """
        try:
            url = self._resolve(target)
        except _Ambiguous as many:
            return _text(300, "several recorded hosts have this path; ask for one of:\n" + many.listing)
        except _NotRecorded as missing:
            return _text(404, missing.message)
        wanted = {k.lower(): v for k, v in headers}
        conditional = [(name, wanted[name.lower()]) for name in CONDITIONAL_HEADERS if name.lower() in wanted]
        try:
            response = self._replay.handle_request(httpx.Request("GET", url, headers=conditional))
        except FixtureMissing as exc:
            return _text(404, str(exc))
        except FixtureCorrupt as exc:
            logger.warning("cannot serve %s: %s", url, exc)
            return _text(500, str(exc))
        body = response.read()
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        pairs = [(k, self._local_location(url, v) if k.lower() == "location" else v) for k, v in pairs]
        status = response.status_code
        if status == 200 and "range" in wanted and _advertises_ranges(response.headers, wanted):
            status, body, extra = _byte_range(wanted["range"], body)
            pairs.extend(extra)
        if status not in NO_BODY_STATUSES and status >= 200:
            pairs.append(("Content-Length", str(len(body))))
        return Answer(status, tuple(pairs), body, url)

    def _resolve(self, target: str) -> str:
        """The recorded URL for a request target (rules 1-3 of the module docstring)."""
        if target.lower().startswith(("http://", "https://")):
            try:
                parsed = httpx.URL(_ascii(target))
            except httpx.InvalidURL as exc:
                raise _NotRecorded(f"not a valid URL: {target}") from exc
            found = self._by_target.get(_target(parsed), {}).get(_netloc(parsed))
            if found is None:
                raise _NotRecorded(self._missing(str(parsed)))
            return found
        path = _normal_target(target)
        owners = self._by_target.get(path, {})
        if len(owners) == 1:
            return next(iter(owners.values()))
        first, _, rest = path[1:].partition("/")
        host = first.lower()
        if host in self._schemes:
            inner = "/" + rest
            found = self._by_target.get(inner, {}).get(host)
            if found is None:
                raise _NotRecorded(self._missing(f"{self._schemes[host]}://{host}{inner}"))
            return found
        if owners:
            raise _Ambiguous("\n".join(f"{self.base_url}/{n}{path}" for n in sorted(owners)))
        if len(self._schemes) == 1:
            ((only, scheme),) = self._schemes.items()
            raise _NotRecorded(self._missing(f"{scheme}://{only}{path}"))
        hosts = ", ".join(sorted(self._schemes)) or "none"
        raise _NotRecorded(
            f"{path} is not recorded for any host of {self.source.root} (hosts: {hosts}); "
            f"record it with: topicscrape record URL --to {self.source.root}"
        )

    def _missing(self, url: str) -> str:
        return str(FixtureMissing(url, self.source.root))

    def _local_location(self, base: str, location: str) -> str:
        """``location`` pointed at this server when it is absolute and names a recorded host."""
        try:
            parsed = httpx.URL(location)
        except httpx.InvalidURL:
            return location
        if not parsed.is_absolute_url or _netloc(parsed) not in self._schemes:
            return location
        return self.url_for(str(httpx.URL(base).join(location)))

    # -- running ---------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (from another thread) or an exception such as KeyboardInterrupt."""
        self._httpd.serve_forever(poll_interval=POLL_INTERVAL)

    def start(self) -> Self:
        """Serve in a background (daemon) thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever, name=f"topicscrape-serve:{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (if started with :meth:`start`) and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_fixtures(
    source: str | Path | ResponseSource, *, host: str = DEFAULT_HOST, port: int = 0
) -> FixtureServer:
    """A :class:`FixtureServer` bound to ``host:port`` for a fixture folder, WARC file or loaded source.

    Not serving yet: use it as a context manager (background thread) or call ``serve_forever()``.

    Raises:
        FileNotFoundError: no such folder or file.
        ValueError: not a fixture folder or WARC file.
        OSError: the port cannot be bound (in use, not allowed).
    """
    loaded = open_fixtures(source) if isinstance(source, str | Path) else source
    return FixtureServer(loaded, host=host, port=port)


def run_server(
    source: str | Path | ResponseSource,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``source`` in this thread until Ctrl-C (KeyboardInterrupt), then close the socket.

    For ``topicscrape serve``: ``announce`` gets the lines to print (the address first, then one
    ``local URL  <-  recorded URL`` line per response) before serving starts.
    """
    server = serve_fixtures(source, host=host, port=port)
    if announce is not None:
        announce(f"Serving {len(server.source)} recorded responses at {server.base_url} (Ctrl-C to stop)")
        for local, recorded in server.list_urls():
            announce(f"  {local}  <-  {recorded}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopped serving %s", server.base_url)
    finally:
        server.stop()


class _Ambiguous(Exception):
    def __init__(self, listing: str) -> None:
        super().__init__(listing)
        self.listing = listing


class _NotRecorded(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _netloc(url: httpx.URL) -> str:
    """``host`` or ``host:port`` as it appears in a URL, lowercased."""
    return url.netloc.decode("ascii").lower()


def _target(url: httpx.URL) -> str:
    """Path and query as sent on the wire (``/a?b=1``), in RFC 3986's normal form: escapes of
    unreserved characters decoded (``%2D`` is ``-``), the others in upper case, no empty query.

    >>> _target(httpx.URL("http://h/secure%2dcommunities?page=%31&q=a%2fb?"))
    '/secure-communities?page=1&q=a%2Fb?'
    >>> _target(httpx.URL("http://h/liste?"))
    '/liste'
    """
    target = _ESCAPE.sub(_normal_escape, url.raw_path.decode("ascii"))
    return target[:-1] if target.endswith("?") and target.count("?") == 1 else target


def _normal_escape(escape: re.Match[str]) -> str:
    char = chr(int(escape.group()[1:], 16))
    return char if char in _UNRESERVED else escape.group().upper()


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _ascii(target: str) -> str:
    """``target`` with every non-ASCII character percent-encoded as its UTF-8 bytes.

    Surrogate escapes (bytes that were not UTF-8, see :func:`_from_wire`) go back to their own byte.

    >>> _ascii("/café?q=✓")
    '/caf%C3%A9?q=%E2%9C%93'
    """
    raw = target.encode("utf-8", "surrogateescape")
    return _NOT_ASCII.sub(lambda run: "".join(f"%{byte:02X}" for byte in run.group()).encode(), raw).decode()


def _from_wire(path: str) -> str:
    """The request target as the client meant it: http.server decodes the request line as Latin-1,
    while clients that send raw non-ASCII (curl, browsers' address bars) send UTF-8."""
    try:
        return path.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not from http.server: already text
        return path


def _normal_target(target: str) -> str:
    """A request target spelled as httpx spells the recorded URLs, so the two compare equal.

    >>> _normal_target("/caf%c3%a9/liste?q=✓")
    '/caf%C3%A9/liste?q=%E2%9C%93'
    """
    target = _ascii(target)
    try:
        return _target(httpx.URL("http://placeholder" + (target if target.startswith("/") else "/" + target)))
    except httpx.InvalidURL:
        return target


_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


def _advertises_ranges(recorded: httpx.Headers, wanted: dict[str, str]) -> bool:
    """Whether to answer a ``Range`` request with part of the body: the recorded response said it
    could (``Accept-Ranges: bytes``, as the site did), and an ``If-Range`` (if any) still matches."""
    if recorded.get("Accept-Ranges", "").strip().lower() != "bytes":
        return False
    if_range = wanted.get("if-range")
    return if_range is None or if_range in (recorded.get("ETag"), recorded.get("Last-Modified"))


def _byte_range(spec: str, body: bytes) -> tuple[int, bytes, list[tuple[str, str]]]:
    """A single byte range of ``body`` (RFC 9110 §14): 206 with ``Content-Range``; 416 when it
    starts past the end; the whole body (200) for several ranges or one we cannot read."""
    match = _RANGE_RE.fullmatch(spec.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return 200, body, []
    size = len(body)
    if match.group(1):
        first = int(match.group(1))
        if match.group(2) and int(match.group(2)) < first:
            return 200, body, []  # not a valid range (RFC 9110 §14.1.1): ignored
        last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:  # bytes=-N: the last N bytes
        first, last = max(size - int(match.group(2)), 0), size - 1
    if first >= size or first > last:
        return 416, b"", [("Content-Range", f"bytes */{size}")]
    return 206, body[first : last + 1], [("Content-Range", f"bytes {first}-{last}/{size}")]


def _text(status: int, message: str) -> Answer:
    body = (message + "\n").encode("utf-8")
    headers = (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))))
    return Answer(status, headers, body)


class _HTTPServer(http.server.ThreadingHTTPServer):
    """The threaded server; carries its :class:`FixtureServer`."""

    daemon_threads = True
    # socketserver's default backlog is 5: a test suite or a crawler opening 100 connections at
    # once saw most of them wait a second or more for a SYN retry. 128 is the usual Linux somaxconn.
    request_queue_size = 128
    fixtures: FixtureServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is no error of ours: log it quietly."""
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD from the fixtures; other methods get http.server's 501."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes. With Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers: about 40 ms on every request of a kept-alive connection.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve HEAD: the GET headers, no body."""
        self._serve(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the logger (debug), not stderr."""
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self, *, head: bool) -> None:
        try:
            answer = self.server.fixtures.answer(_from_wire(self.path), self.headers.items())
        except Exception as exc:  # a bug must answer, not drop the connection with nothing said
            logger.exception("cannot serve %s", self.path)
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())
            answer = _text(500, f"topicscrape serve failed on this request: {detail}")
        self.log_request(answer.status)
        # send_response_only: no Server or Date of ours; the recorded headers are what is sent.
        self.send_response_only(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head and answer.status not in NO_BODY_STATUSES:
            self.wfile.write(answer.body)
