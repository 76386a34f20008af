"""The benchmark site: T topics x P listing pages of a heavy Drupal 7 site, served by a tiny asyncio server.

Used by ``bench/crawl.py``; run alone to look at it: ``python bench/crawl_site.py --topics 3 --pages 4``
prints the URL and serves until Ctrl-C.

Each page is rendered from ``(topic, page)`` alone, so the server's memory does not grow with the size
of the site. The markup is a Drupal 7 taxonomy listing as dhs.gov served it in 2016 (the structure of
``tests/e2e/site.py``'s ``drupal_listing``), with the weight real pages carry around ten teasers: a
``Drupal.settings`` blob, stylesheets and scripts, a mega menu, sidebar blocks and a fat footer, about
60 KB in all (dhs.gov keyword pages weighed 55-75 KB uncompressed).

The server is a bare ``asyncio.Protocol`` speaking just enough HTTP/1.1 (GET, keep-alive,
Content-Length): the site chrome is pre-rendered bytes and only the teasers and pager are formatted per
request, so the server costs a small fraction of the crawler's CPU and is never the bottleneck (the
benchmark prints its CPU share to show it). ``GET /__stats`` answers the number of listing pages served
and the times of the first and last one, which give a crawl rate without interpreter start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from urllib.parse import parse_qs, urlsplit

__all__ = ["SiteShape", "render_page", "serve", "topic_path", "topic_url"]

TEASERS_PER_PAGE = 10
"""Drupal's default Views pager size, and what dhs.gov keyword pages listed."""

PAGER_WINDOW = 9
"""Drupal 7's full pager shows nine page numbers around the current one."""

SITE_NAME = "Department of Examples"

_WORDS = [
    "agency",
    "announces",
    "guidance",
    "program",
    "border",
    "security",
    "community",
    "partners",
    "grant",
    "funding",
    "emergency",
    "response",
    "training",
    "exercise",
    "cyber",
    "infrastructure",
    "resilience",
    "local",
    "officials",
    "preparedness",
    "report",
    "review",
    "public",
    "comment",
    "regulation",
    "update",
    "workforce",
    "citizenship",
    "immigration",
    "enforcement",
    "transportation",
    "screening",
    "maritime",
    "coast",
    "disaster",
    "recovery",
    "assistance",
    "families",
    "businesses",
    "schools",
    "hospitals",
]


class SiteShape:
    """How many topics and pages per topic the site has.

    Args:
        topics: topic listings (``/topics/topic-<t>``, t from 0).
        pages: pages per topic (``?page=N``, N from 0; page 0 has no query, as in Drupal).
    """

    def __init__(self, topics: int, pages: int) -> None:
        self.topics = topics
        self.pages = pages

    @property
    def total(self) -> int:
        """Listing pages in the whole site."""
        return self.topics * self.pages


def topic_path(topic: int) -> str:
    """The path of a topic's first listing page."""
    return f"/topics/topic-{topic}"


def topic_url(base: str, topic: int) -> str:
    """The absolute URL of a topic's first listing page."""
    return base + topic_path(topic)


def _words(seed: int, count: int) -> str:
    """``count`` words picked deterministically from ``seed`` (a cheap LCG, no ``random`` state)."""
    out = []
    x = seed * 2654435761 % 2**32
    for _ in range(count):
        x = (1103515245 * x + 12345) % 2**31
        out.append(_WORDS[x % len(_WORDS)])
    return " ".join(out)


_TITLES = tuple(html.escape(_words(n, 6)) for n in range(1009))
_EXCERPTS = tuple(html.escape(_words(n + 50_000, 55)) for n in range(1013))
"""Pools of pre-escaped phrases (prime sizes, so topic and item numbers mix): rendering must stay far
cheaper than parsing, or the server would be what the benchmark measures."""


def _menu(prefix: str, count: int, *, seed: int) -> str:
    items = []
    for i in range(count):
        label = _words(seed + i, 3).title()
        items.append(
            f'<li class="leaf menu-mlid-{seed + i}"><a href="/{prefix}/{label.lower().replace(" ", "-")}"'
            f' title="{label}">{label}</a></li>'
        )
    return "\n".join(items)


def _settings_blob() -> str:
    """A ``Drupal.settings`` literal of the size Drupal 7 sites inline (views, ajax page state, GA)."""
    css = {f"sites/all/themes/dhs/css/component-{i}.css": 1 for i in range(40)}
    js = {f"sites/all/modules/contrib/module-{i}/js/module-{i}.js": 1 for i in range(40)}
    settings = {
        "basePath": "/",
        "pathPrefix": "",
        "ajaxPageState": {"theme": "dhs", "theme_token": "x" * 43, "css": css, "js": js},
        "googleanalytics": {"trackOutbound": 1, "trackMailto": 1, "trackDownload": 1},
        "views": {
            "ajax_path": "/views/ajax",
            "ajaxViews": {f"views_dom_id:{'f' * 32}{i}": {} for i in range(8)},
        },
        "megamenu": {f"item-{i}": {"title": _words(i, 4), "weight": i} for i in range(60)},
    }
    return json.dumps(settings)


def _chrome() -> tuple[str, str]:
    """The page before and after the listing (site-wide, rendered once); the ``@@TITLE@@``,
    ``@@TOPIC@@`` and ``@@PAGER@@`` markers are filled per page."""
    esc = html.escape
    styles = "\n".join(
        f'<link type="text/css" rel="stylesheet" href="/sites/all/themes/dhs/css/style-{i}.css?o8a2bc" media="all" />'
        for i in range(18)
    )
    scripts = "\n".join(
        f'<script type="text/javascript" src="/sites/all/modules/contrib/module-{i}/js/module-{i}.js?o8a2bc"></script>'
        for i in range(22)
    )
    mega = "\n".join(
        f'<li class="expanded menu-mlid-{g}"><a href="/section-{g}">{_words(g, 2).title()}</a>'
        f'<ul class="menu">{_menu(f"section-{g}", 10, seed=100 * g)}</ul></li>'
        for g in range(8)
    )
    footer = "\n".join(
        f'<div class="footer-col col-{c}"><h2>{_words(c + 50, 2).title()}</h2>'
        f'<ul class="menu">{_menu(f"footer-{c}", 9, seed=5000 + 100 * c)}</ul></div>'
        for c in range(6)
    )
    sidebar = "\n".join(
        f'<div class="block block-menu" id="block-menu-{b}"><h2>{_words(b + 90, 2).title()}</h2>'
        f'<ul class="menu">{_menu(f"related-{b}", 8, seed=9000 + 100 * b)}</ul></div>'
        for b in range(3)
    )
    before = f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="content: http://purl.org/rss/1.0/modules/content/ dc: http://purl.org/dc/terms/">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<link rel="shortcut icon" href="/sites/all/themes/dhs/favicon.ico" type="image/vnd.microsoft.icon" />
<title>@@TITLE@@ | {esc(SITE_NAME)}</title>
{styles}
{scripts}
<script type="text/javascript">
<!--//--><![CDATA[//><!--
jQuery.extend(Drupal.settings, {_settings_blob()});
//--><!]]>
</script>
</head>
<body class="html not-front not-logged-in one-sidebar sidebar-second page-taxonomy page-taxonomy-term">
<div id="skip-link">
  <a href="#main-content" class="element-invisible element-focusable">Skip to main content</a>
</div>
<div class="usa-banner"><div class="usa-accordion"><header class="usa-banner-header"><div class="usa-grid usa-banner-inner">
<img src="/sites/all/themes/dhs/img/favicons/favicon-57.png" alt="U.S. flag" />
<p>An official website of the United States government</p></div></header></div></div>
<header id="header" role="banner">
  <a href="/" title="Home" rel="home" id="logo"><img src="/sites/all/themes/dhs/logo.png" alt="Home" /></a>
  <div id="site-name"><a href="/" rel="home">{esc(SITE_NAME)}</a></div>
  <form action="/search" method="get" id="search-block-form" accept-charset="UTF-8">
    <input type="text" name="q" title="Enter the terms you wish to search for." />
    <input type="hidden" name="form_build_id" value="form-{"a" * 43}" />
    <input type="submit" value="Search" />
  </form>
  <nav id="main-menu"><ul class="menu">
{mega}
  </ul></nav>
</header>
<div id="breadcrumb">
  <h2 class="element-invisible">You are here</h2>
  <div class="breadcrumb"><a href="/">Home</a> › <a href="/topics">Topics</a> › @@TOPIC@@</div>
</div>
<div id="main">
<div class="region region-content">
<a id="main-content"></a>
<h1 class="title" id="page-title">@@TOPIC@@</h1>
<div class="view view-taxonomy-term view-id-taxonomy_term view-display-id-page view-dom-id-{"f" * 32}">
<div class="view-content">
"""
    after = f"""
</div>
<h2 class="element-invisible">Pages</h2><div class="item-list"><ul class="pager">
@@PAGER@@
</ul></div>
</div>
</div>
</div>
<aside class="region region-sidebar-second">
{sidebar}
</aside>
<footer id="footer" role="contentinfo">
{footer}
<p>{esc(SITE_NAME)} · An official website of the example government · <a href="/privacy">Privacy Policy</a></p>
</footer>
<script type="text/javascript">
<!--//--><![CDATA[//><!--
(function(i,s,o,g,r,a,m){{i["GoogleAnalyticsObject"]=r;i[r]=i[r]||function(){{(i[r].q=i[r].q||[]).push(arguments)}},i[r].l=1*new Date();a=s.createElement(o),m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)}})(window,document,"script","/analytics.js","ga");
//--><!]]>
</script>
</body>
</html>
"""
    return before, after


_BEFORE, _AFTER = _chrome()


def _teaser(topic: int, n: int, position: int) -> str:
    """The ``n``-th teaser (0-based over the whole topic), in Drupal 7 ``views-row`` markup."""
    number = n + 1
    title = f"Topic {topic} update {number}: {_TITLES[(topic * 7919 + n) % len(_TITLES)]}"
    excerpt = f"Item {number} of topic {topic}: {_EXCERPTS[(topic * 104729 + n) % len(_EXCERPTS)]}."
    href = f"/news/2016/topic-{topic}-item-{number}"
    day = 1 + (n * 7 + topic) % 28
    month = 1 + (n // 28 + topic) % 12
    parity = "odd" if position % 2 else "even"
    edges = (" views-row-first" if position == 1 else "") + (
        " views-row-last" if position == TEASERS_PER_PAGE else ""
    )
    return f"""  <div class="views-row views-row-{position} views-row-{parity}{edges}">
    <div id="node-{100000 + topic * 1000 + n}" class="node node-press-release node-teaser clearfix"
         about="{href}" typeof="sioc:Item foaf:Document">
      <h2 class="node-title"><a href="{href}">{title}</a></h2>
      <div class="field field-name-field-release-date field-type-datetime field-label-hidden"><div class="field-items">
        <div class="field-item even"><span class="date-display-single" property="dc:date"
          datatype="xsd:dateTime" content="2016-{month:02d}-{day:02d}T00:00:00-04:00">{month:02d}/{day:02d}/2016</span></div>
      </div></div>
      <div class="content">
        <div class="field field-name-body field-type-text-with-summary field-label-hidden">
          <div class="field-items"><div class="field-item even" property="content:encoded">
            <p>{excerpt}</p>
          </div></div>
        </div>
      </div>
      <ul class="links inline"><li class="node-readmore first last">
        <a href="{href}" rel="tag" title="{title}">Read more<span
          class="element-invisible"> about {title}</span></a>
      </li></ul>
    </div>
  </div>"""


def _pager(path: str, page: int, pages: int) -> str:
    def link(n: int) -> str:
        return path + (f"?page={n}" if n else "")

    items = []
    if page > 0:
        items.append(
            f'<li class="pager-first first"><a title="Go to first page" href="{path}">« first</a></li>'
        )
        items.append(
            f'<li class="pager-previous"><a title="Go to previous page" href="{link(page - 1)}">‹ previous</a></li>'
        )
    start = max(0, min(page - PAGER_WINDOW // 2, pages - PAGER_WINDOW))
    for n in range(start, min(pages, start + PAGER_WINDOW)):
        if n == page:
            items.append(f'<li class="pager-current">{n + 1}</li>')
        else:
            items.append(
                f'<li class="pager-item"><a title="Go to page {n + 1}" href="{link(n)}">{n + 1}</a></li>'
            )
    if page < pages - 1:
        items.append(
            f'<li class="pager-next"><a title="Go to next page" href="{link(page + 1)}">next ›</a></li>'
        )
        items.append(
            f'<li class="pager-last last"><a title="Go to last page" href="{link(pages - 1)}">last »</a></li>'
        )
    return "\n".join(items)


def render_page(topic: int, page: int, pages: int) -> bytes:
    """Listing page ``page`` of topic ``topic`` (of ``pages``), as UTF-8 bytes; deterministic."""
    name = f"Topic {topic}"
    title = name + (f" | Page {page + 1}" if page else "")
    rows = "\n".join(_teaser(topic, page * TEASERS_PER_PAGE + i, i + 1) for i in range(TEASERS_PER_PAGE))
    return (
        _BEFORE.replace("@@TITLE@@", title).replace("@@TOPIC@@", name)
        + rows
        + _AFTER.replace("@@PAGER@@", _pager(topic_path(topic), page, pages))
    ).encode("utf-8")


# -- the server ------------------------------------------------------------------------------------


class _Counters:
    def __init__(self) -> None:
        self.pages = 0
        self.first = 0.0
        self.last = 0.0

    def hit(self) -> None:
        now = time.monotonic()
        if not self.pages:
            self.first = now
        self.last = now
        self.pages += 1


def _response(status: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: public, max-age=3600\r\nX-Generator: Drupal 7 (http://drupal.org)\r\n\r\n"
    )
    return head.encode("ascii") + body


NOT_FOUND = _response("404 Not Found", b"<h1>Page not found</h1>")


def _router(shape: SiteShape, counters: _Counters) -> Callable[[str], bytes]:
    def route(target: str) -> bytes:
        parts = urlsplit(target)
        if parts.path == "/__stats":
            body = json.dumps({"pages": counters.pages, "first": counters.first, "last": counters.last})
            return _response("200 OK", body.encode(), "application/json")
        if parts.path == "/__reset":
            counters.__init__()  # type: ignore[misc]
            return _response("200 OK", b"{}", "application/json")
        prefix = "/topics/topic-"
        if not parts.path.startswith(prefix) or not parts.path[len(prefix) :].isdigit():
            return NOT_FOUND
        topic = int(parts.path[len(prefix) :])
        raw = parse_qs(parts.query).get("page", ["0"])[0]
        page = int(raw) if raw.isdigit() else -1
        if not (0 <= topic < shape.topics and 0 <= page < shape.pages):
            return NOT_FOUND
        counters.hit()
        return _response("200 OK", render_page(topic, page, shape.pages))

    return route


class _Http(asyncio.Protocol):
    """HTTP/1.1 keep-alive, GET only, no request bodies: all a crawler sends."""

    def __init__(self, route: Callable[[str], bytes]) -> None:
        self.route = route
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            request_line, _, headers = head.partition(b"\r\n")
            try:
                _method, target, _version = request_line.decode("latin-1").split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            self.transport.write(self.route(target))
            if b"connection: close" in headers.lower():
                self.transport.close()
                return


async def _serve(shape: SiteShape, on_ready: Callable[[int], None]) -> None:
    counters = _Counters()
    route = _router(shape, counters)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Http(route), "127.0.0.1", 0, backlog=1024)
    on_ready(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def serve(topics: int, pages: int, ready: Connection) -> None:
    """Serve the site until killed; send the port through ``ready`` (a ``multiprocessing`` pipe end)."""
    asyncio.run(_serve(SiteShape(topics, pages), ready.send))


def main() -> None:
    """Serve a small site in the foreground, for a look with a browser or curl."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=3)
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()

    def ready(port: int) -> None:
        print(f"http://127.0.0.1:{port}{topic_path(0)}  (Ctrl-C stops)", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(SiteShape(args.topics, args.pages), ready))


if __name__ == "__main__":
    main()
