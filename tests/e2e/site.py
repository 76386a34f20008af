"""A real HTTP server on 127.0.0.1 that serves a synthetic site, for end-to-end tests.

It runs ``http.server.ThreadingHTTPServer`` in a background thread on an ephemeral port, so tests go
over a real socket with real headers, gzip, chunked bodies, slow answers and dropped connections.
Routes map a path (optionally with its query) to a :data:`Handler`, a function from the request to a
:class:`Reply`; every request is logged for assertions. Tests get one through the ``site`` and
``make_site`` fixtures in ``tests/conftest.py`` (import this module as ``e2e.site``: a top-level
``site`` would be the standard library's).

Example::

    site.page("/hello", "<h1>hi</h1>")
    busy = Reply(status=429, headers=(("Retry-After", "1"),))
    site.route("/busy", Site.burst(2, busy, then=Reply(body="ok")))
    topic = site.add_topic("secure-communities", "Secure Communities", pages=5, per_page=10)
    topic.url(0), topic.teasers(3)

The server may sleep (``Reply.delay``): it is the server, not the test. Sleeps end early when the
site stops.
"""

from __future__ import annotations

import gzip as gzip_module
import html
import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Handler",
    "Reply",
    "SeenRequest",
    "Site",
    "Topic",
    "TopicTeaser",
    "drupal_listing",
]

HTML = "text/html; charset=utf-8"
NO_BODY_STATUSES = frozenset({204, 304})
CHUNK = 64 * 1024
POLL_INTERVAL = 0.02
"""How often the serving thread checks for shutdown; the default 0.5 s would slow every teardown."""


@dataclass(frozen=True)
class Reply:
    """What the server answers.

    Attributes:
        status: HTTP status.
        body: the body (str is encoded as UTF-8).
        headers: extra headers, in order.
        content_type: the Content-Type, or None to send none.
        gzip: compress the body and send ``Content-Encoding: gzip``.
        delay: seconds the server waits before answering (for read timeouts).
        stream: a function giving body chunks, sent as they come (overrides ``body``).
        length: with ``stream``, the Content-Length to declare; None means chunked encoding.
        reset: drop the connection without answering (TCP RST).
        close_delimited: send no Content-Length and no chunking: the body ends where the server
            closes the connection (HTTP/1.0 style), so a body cut short looks whole on the wire.
    """

    status: int = 200
    body: bytes | str = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = HTML
    gzip: bool = False
    delay: float = 0.0
    stream: Callable[[], Iterator[bytes]] | None = None
    length: int | None = None
    reset: bool = False
    close_delimited: bool = False

    @property
    def data(self) -> bytes:
        """The body as bytes."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class SeenRequest:
    """One request the server received.

    Attributes:
        method: GET, HEAD...
        target: path and query as sent (``/keywords/x?page=1``).
        headers: request headers in order.
        at: ``time.monotonic()`` when it arrived.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    at: float

    @property
    def path(self) -> str:
        """The path without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query parameters."""
        return parse_qs(urlsplit(self.target).query)

    def header(self, name: str) -> str | None:
        """The first value of request header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


Handler = Callable[[SeenRequest], Reply]


def _always(reply: Reply) -> Handler:
    """A handler that gives ``reply`` to every request."""

    def handler(_request: SeenRequest) -> Reply:
        return reply

    return handler


class _Server(http.server.ThreadingHTTPServer):
    """The threaded server; keeps a back-reference to its site and stays quiet about dropped clients."""

    daemon_threads = True
    site: Site

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, size limits) are expected here; remember, do not print."""
        self.site.errors.append(repr(client_address))


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    """Turns one HTTP request into a logged :class:`SeenRequest` and writes the site's :class:`Reply`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each kept-alive request waits ~40 ms for a delayed ACK
    server: _Server

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_HEAD(self) -> None:
        """Serve HEAD (same headers, no body)."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log; the site keeps its own."""

    def _serve(self) -> None:
        site = self.server.site
        seen = SeenRequest(self.command, self.path, tuple(self.headers.items()), time.monotonic())
        reply = site.dispatch(seen)
        if reply.delay and site.stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.reset:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        try:
            self._write(reply, seen)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write(self, reply: Reply, seen: SeenRequest) -> None:
        body = reply.data
        compress = reply.gzip or (self.server.site.gzip and "gzip" in (seen.header("Accept-Encoding") or ""))
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status in NO_BODY_STATUSES:
            self.end_headers()
            return
        if reply.stream is not None:
            self._write_stream(reply, head=self.command == "HEAD")
            return
        if compress and body:
            body = gzip_module.compress(body)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        if reply.close_delimited:
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _write_stream(self, reply: Reply, *, head: bool) -> None:
        assert reply.stream is not None
        chunked = reply.length is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(reply.length))
        self.end_headers()
        if head:
            return
        for chunk in reply.stream():
            if self.server.site.stopping.is_set():
                break
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class Site:
    """A synthetic website served over a real socket on 127.0.0.1.

    Args:
        gzip: compress every body for clients that send ``Accept-Encoding: gzip``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, *, gzip: bool = False) -> None:
        self.gzip = gzip
        self.routes: dict[str, Handler] = {}
        self.log: list[SeenRequest] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Site:
        """Listen on an ephemeral port and serve in a background thread."""
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.site = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"site:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close the socket."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Site:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "start() the site first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, target: str) -> str:
        """The absolute URL of ``target`` (a path, optionally with a query)."""
        return self.base_url + target

    # -- routes ------------------------------------------------------------------------------
    def route(self, target: str, handler: Handler | Reply) -> None:
        """Answer ``target`` (``/path`` for any query, or ``/path?query`` exactly) with ``handler``."""
        self.routes[target] = _always(handler) if isinstance(handler, Reply) else handler

    def page(self, target: str, body: str | bytes, **reply: Any) -> None:
        """Serve a fixed HTML page (``reply`` sets other :class:`Reply` fields)."""
        self.route(target, Reply(body=body, **reply))

    def redirect(self, target: str, to: str, status: int = 301) -> None:
        """Redirect ``target`` to ``to`` (relative or absolute)."""
        self.route(target, Reply(status=status, headers=(("Location", to),), content_type=None))

    def robots(self, text: str) -> None:
        """Serve ``text`` as /robots.txt."""
        self.route("/robots.txt", Reply(body=text, content_type="text/plain"))

    def dispatch(self, request: SeenRequest) -> Reply:
        """Log ``request`` and pick its reply: exact target, then path, else 404."""
        with self._lock:
            self.log.append(request)
        handler = self.routes.get(request.target) or self.routes.get(request.path)
        if handler is None:
            return Reply(status=404, body=f"<h1>Not found: {html.escape(request.target)}</h1>")
        return handler(request)

    def requests(self, target: str | None = None) -> list[SeenRequest]:
        """Logged requests, all or those for a path (or exact path+query)."""
        with self._lock:
            log = list(self.log)
        if target is None:
            return log
        return [r for r in log if target in (r.target, r.path)]

    def forget_requests(self) -> None:
        """Empty the request log (a long crawl's log would grow with every page)."""
        with self._lock:
            self.log.clear()

    # -- ready-made behaviours ---------------------------------------------------------------
    @staticmethod
    def burst(count: int, during: Reply, then: Reply | Handler) -> Handler:
        """A handler that answers ``during`` to the first ``count`` requests, then ``then``."""
        lock = threading.Lock()
        seen = [0]

        def handler(request: SeenRequest) -> Reply:
            with lock:
                seen[0] += 1
                n = seen[0]
            if n <= count:
                return during
            return then(request) if callable(then) else then

        return handler

    @staticmethod
    def conditional(body: str | bytes, *, etag: str, last_modified: str) -> Handler:
        """A page with validators that answers 304 to a matching ``If-None-Match``/``If-Modified-Since``."""
        validators = (("ETag", etag), ("Last-Modified", last_modified))

        def handler(request: SeenRequest) -> Reply:
            if (
                request.header("If-None-Match") == etag
                or request.header("If-Modified-Since") == last_modified
            ):
                return Reply(status=304, headers=validators, content_type=None)
            return Reply(body=body, headers=validators)

        return handler

    @staticmethod
    def oversized(size: int, *, declare_length: bool = False, content_type: str = HTML) -> Reply:
        """A body of ``size`` bytes streamed in 64 KiB chunks, chunked unless ``declare_length``."""

        def chunks() -> Iterator[bytes]:
            left = size
            while left > 0:
                n = min(CHUNK, left)
                yield b"x" * n
                left -= n

        return Reply(stream=chunks, length=size if declare_length else None, content_type=content_type)

    def drip(self, body: str | bytes, *, every: float) -> Reply:
        """``body`` with its Content-Length, sent one byte every ``every`` seconds.

        Each byte comes well within any read timeout longer than ``every``, so only a deadline on
        the whole answer ends the wait. The server stops dripping when the site stops.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        stopping = self.stopping

        def bytes_one_by_one() -> Iterator[bytes]:
            for i in range(len(data)):
                if i and stopping.wait(every):
                    return
                yield data[i : i + 1]

        return Reply(stream=bytes_one_by_one, length=len(data))

    def add_topic(
        self, slug: str, title: str, *, pages: int = 5, per_page: int = 10, prefix: str = "/keywords/"
    ) -> Topic:
        """Serve a paginated Drupal 7 topic listing at ``<prefix><slug>?page=N`` (N from 0)."""
        topic = Topic(slug=slug, title=title, pages=pages, per_page=per_page, prefix=prefix, site=self)
        self.route(topic.path, topic.handle)
        for n in range(pages * per_page):
            teaser = topic.teaser(n)
            self.page(urlsplit(teaser.url).path, _article(teaser))
        return topic


@dataclass(frozen=True)
class TopicTeaser:
    """One teaser as the synthetic site lists it, for asserting on what a crawl extracted."""

    title: str
    url: str
    excerpt: str
    position: int
    page: int


@dataclass(frozen=True)
class Topic:
    """A paginated topic listing served by a :class:`Site` (see :meth:`Site.add_topic`)."""

    slug: str
    title: str
    pages: int
    per_page: int
    prefix: str
    site: Site = field(repr=False, compare=False)

    @property
    def path(self) -> str:
        """The listing's path (page 0 has no query)."""
        return f"{self.prefix}{self.slug}"

    def url(self, page: int = 0) -> str:
        """Absolute URL of listing page ``page`` (0-based, Drupal style: page 0 has no ``?page``)."""
        return self.site.url(self.path + (f"?page={page}" if page else ""))

    def teaser(self, n: int) -> TopicTeaser:
        """The ``n``-th teaser of the whole topic (0-based across pages)."""
        page, index = divmod(n, self.per_page)
        number = n + 1
        return TopicTeaser(
            title=f"{self.title} update {number}: notes from the field",
            url=self.site.url(f"/news/{self.slug}-{number}"),
            excerpt=(
                f"Item {number} about {self.title.lower()} explains what changed this week, "
                "who is affected, and where to read the full guidance."
            ),
            position=index + 1,
            page=page,
        )

    def teasers(self, page: int) -> list[TopicTeaser]:
        """The teasers listed on page ``page``."""
        return [self.teaser(page * self.per_page + i) for i in range(self.per_page)]

    def html(self, page: int) -> str:
        """The listing page's HTML."""
        return drupal_listing(
            self.title,
            page,
            self.teasers(page),
            pages=self.pages,
            path=self.path,
        )

    def handle(self, request: SeenRequest) -> Reply:
        """Serve ``?page=N``; out-of-range pages are 404, as Drupal does past the end."""
        raw = request.query.get("page", ["0"])[0]
        page = int(raw) if raw.isdigit() else -1
        if not 0 <= page < self.pages:
            return Reply(status=404, body="<h1>Page not found</h1>")
        return Reply(body=self.html(page))


def drupal_listing(
    topic: str,
    page: int,
    teasers: list[TopicTeaser],
    *,
    pages: int,
    path: str,
    site_name: str = "Department of Examples",
) -> str:
    """A realistic Drupal 7 taxonomy listing page (markup as on dhs.gov in 2016).

    Boilerplate a parser must drop surrounds the teasers: skip link, header with search form, main
    menu, breadcrumb, sidebar, footer menus and scripts. Teasers are
    ``.view-content > .views-row > .node.node-teaser > h2.node-title > a`` with the excerpt in
    ``.content .field-name-body .field-item p`` and ``ul.links li.node-readmore a``; the pager is
    ``ul.pager`` with ``li.pager-next a`` when there is a next page.
    """
    esc = html.escape
    rows = []
    for i, teaser in enumerate(teasers):
        parity = "odd" if i % 2 == 0 else "even"
        edges = (" views-row-first" if i == 0 else "") + (" views-row-last" if i == len(teasers) - 1 else "")
        href = urlsplit(teaser.url).path
        rows.append(
            f"""  <div class="views-row views-row-{i + 1} views-row-{parity}{edges}">
    <div id="node-{1000 + i}" class="node node-article node-teaser clearfix"
         about="{href}" typeof="sioc:Item foaf:Document">
      <h2 class="node-title"><a href="{href}">{esc(teaser.title)}</a></h2>
      <div class="content">
        <div class="field field-name-body field-type-text-with-summary field-label-hidden">
          <div class="field-items"><div class="field-item even" property="content:encoded">
            <p>{esc(teaser.excerpt)}</p>
          </div></div>
        </div>
      </div>
      <ul class="links inline"><li class="node-readmore first last">
        <a href="{href}" rel="tag" title="{esc(teaser.title)}">Read more<span
          class="element-invisible"> about {esc(teaser.title)}</span></a>
      </li></ul>
    </div>
  </div>"""
        )
    pager = []
    if page > 0:
        pager.append(
            f'<li class="pager-first first"><a title="Go to first page" href="{path}">« first</a></li>'
        )
        prev = path + (f"?page={page - 1}" if page > 1 else "")
        pager.append(
            f'<li class="pager-previous"><a title="Go to previous page" href="{prev}">‹ previous</a></li>'
        )
    for n in range(pages):
        if n == page:
            pager.append(f'<li class="pager-current">{n + 1}</li>')
        else:
            target = path + (f"?page={n}" if n else "")
            pager.append(
                f'<li class="pager-item"><a title="Go to page {n + 1}" href="{target}">{n + 1}</a></li>'
            )
    if page < pages - 1:
        pager.append(
            f'<li class="pager-next"><a title="Go to next page" href="{path}?page={page + 1}">next ›</a></li>'
        )
        last = f"{path}?page={pages - 1}"
        pager.append(f'<li class="pager-last last"><a title="Go to last page" href="{last}">last »</a></li>')
    pager_html = "\n".join(pager) if pages > 1 else ""
    title_suffix = f" | Page {page + 1}" if page else ""
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="content: http://purl.org/rss/1.0/modules/content/">
<head>
<meta charset="utf-8" />
<title>{esc(topic)}{title_suffix} | {esc(site_name)}</title>
<link rel="canonical" href="{path}{f"?page={page}" if page else ""}" />
<script src="/misc/jquery.js?v=1.4.4"></script>
<script>jQuery.extend(Drupal.settings, {{"basePath": "/", "pathPrefix": ""}});</script>
</head>
<body class="html not-front not-logged-in one-sidebar sidebar-second page-taxonomy page-taxonomy-term">
<div id="skip-link">
  <a href="#main-content" class="element-invisible element-focusable">Skip to main content</a>
</div>
<header id="header" role="banner">
  <a href="/" title="Home" rel="home" id="logo"><img src="/logo.png" alt="Home" /></a>
  <div id="site-name"><a href="/" rel="home">{esc(site_name)}</a></div>
  <form action="/search" method="get" id="search-block-form">
    <input type="text" name="q" title="Search" /><input type="submit" value="Search" />
  </form>
  <nav id="main-menu"><ul class="menu">
    <li class="first leaf"><a href="/topics">Topics</a></li>
    <li class="leaf"><a href="/news">News</a></li>
    <li class="leaf"><a href="/about">About</a></li>
    <li class="last leaf"><a href="/contact">Contact Us</a></li>
  </ul></nav>
</header>
<div id="breadcrumb">
  <h2 class="element-invisible">You are here</h2>
  <div class="breadcrumb"><a href="/">Home</a> › {esc(topic)}</div>
</div>
<div id="main">
<a id="main-content"></a>
<h1 class="title" id="page-title">{esc(topic)}</h1>
<div class="view view-taxonomy-term view-id-taxonomy_term view-display-id-page">
<div class="view-content">
{chr(10).join(rows)}
</div>
<h2 class="element-invisible">Pages</h2><div class="item-list"><ul class="pager">
{pager_html}
</ul></div>
</div>
</div>
<aside class="region region-sidebar-second"><div class="block block-menu">
  <h2>Related Topics</h2>
  <ul class="menu">
    <li class="first leaf"><a href="/topics/a">Topic A</a></li>
    <li class="last leaf"><a href="/topics/b">Topic B</a></li>
  </ul>
</div></aside>
<footer id="footer" role="contentinfo"><ul class="menu">
  <li class="first leaf"><a href="/privacy">Privacy Policy</a></li>
  <li class="leaf"><a href="/accessibility">Accessibility</a></li>
  <li class="last leaf"><a href="/foia">FOIA</a></li>
</ul>
<p>{esc(site_name)} · An official website of the example government</p></footer>
<script>(function(){{ var ga = document.createElement('script'); ga.async = true; }})();</script>
</body>
</html>
"""


def _article(teaser: TopicTeaser) -> str:
    """A minimal article page for a teaser's link, so following it gives a 200."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(teaser.title)}</title></head>'
        f"<body><h1>{html.escape(teaser.title)}</h1><p>{html.escape(teaser.excerpt)}</p></body></html>"
    )
