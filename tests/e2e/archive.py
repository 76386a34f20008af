"""A fake Wayback Machine, built from ``fixtures/wayback/``, for end-to-end tests.

It answers the two endpoints ``topicscrape wayback`` uses, the way web.archive.org does:

- ``/cdx/search/cdx``: the CDX API over ``fixtures/wayback/cdx.json`` (the archive's whole index):
  ``url`` (matched by SURT, so http/https and ``www.`` agree), ``from``/``to`` (timestamp prefixes,
  ``to`` inclusive), repeatable ``filter=[!]field:regex`` (a full match, as the Java server does),
  ``collapse=field[:N]`` (adjacent rows only), ``limit``, ``showResumeKey``/``resumeKey`` paging,
  ``output=json`` (else the text lines).
- ``/web/<timestamp><mode>/<url>``: a capture saved in ``fixtures/wayback/index.json`` under its
  ``https://web.archive.org/web/<timestamp>id_/<url>`` key, with its ``Memento-Datetime`` and
  ``Link`` headers; a capture the index lists but the folder does not hold (a revisit, a repeat)
  is played back from the capture with the same digest; any other time redirects (302, no
  ``Memento-Datetime``) to the nearest capture, and a URL never captured is a 404.

Misbehaviour on demand: :meth:`FakeArchive.truncate_cdx` cuts CDX answers off half-way,
:meth:`FakeArchive.rate_limit` answers 429 to a burst of requests, :meth:`FakeArchive.block` makes
the archive refuse a URL as robots-excluded or excluded on request.

Serve it over a real socket with :meth:`FakeArchive.serve` (an :class:`e2e.site.Site` whose
dispatch is the archive), or in-process with :meth:`FakeArchive.handler` (for ``httpx.MockTransport``).
Absolute ``https://web.archive.org`` URLs in headers point at the serving address.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, unquote_plus, urlsplit

import httpx

from scraper.fixtures import FixtureFolder, SavedResponse
from scraper.wayback import CDX_FIELDS, CdxRecord, parse_cdx_json, parse_timestamp

from e2e.site import Reply, SeenRequest, Site

__all__ = ["ARCHIVE_ORIGIN", "FIXTURES", "ArchiveSite", "FakeArchive", "surt"]

ARCHIVE_ORIGIN = "https://web.archive.org"
"""The origin the fixture index is keyed by (the real Wayback Machine)."""

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wayback"
"""The fake archive's data: ``cdx.json`` (its index) and ``index.json`` plus bodies (its captures)."""

ROBOTS_EXCLUDED = "RobotAccessControlException: Blocked By Robots"
OWNER_EXCLUDED = "AdministrativeAccessControlException: Blocked Site Error"

_WEB_RE = re.compile(r"^/web/(?P<ts>\d{1,14})(?P<mode>[a-z]{2}_)?/(?P<url>.+)$")


def surt(url: str) -> str:
    """The SURT form the CDX index is keyed by: host reversed, ``www.`` and default ports dropped,
    scheme dropped, lowercased.

    >>> surt("https://www.dhs.gov/keywords/Secure-Communities?page=1")
    'gov,dhs)/keywords/secure-communities?page=1'
    """
    parts = urlsplit(url.strip())
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    key = ",".join(reversed(host.split(".")))
    if parts.port is not None and parts.port not in (80, 443):
        key += f":{parts.port}"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{key}){(parts.path or '/').lower()}" + (f"?{query.lower()}" if query else "")


class FakeArchive:
    """The archive's behaviour, without a socket: map a request to a :class:`~e2e.site.Reply`.

    Args:
        folder: the fixture folder (``cdx.json``, ``index.json`` and bodies).
        base_url: the origin the archive is served at; Location and Link headers point there.

    Attributes:
        cdx_log: the query strings of the CDX requests, in order.
        web_log: the ``/web/...`` targets requested, in order.
    """

    def __init__(self, folder: Path = FIXTURES, *, base_url: str = ARCHIVE_ORIGIN) -> None:
        self.folder = FixtureFolder.load(folder)
        rows = json.loads((folder / "cdx.json").read_text(encoding="utf-8"))
        self.rows: tuple[CdxRecord, ...] = tuple(
            sorted(parse_cdx_json(rows).records, key=lambda r: (r.urlkey, r.timestamp))
        )
        self.base_url = base_url
        self.cdx_log: list[str] = []
        self.web_log: list[str] = []
        self._lock = threading.Lock()
        self._cdx_answers = 0
        self._truncate: set[int] = set()
        self._limits: list[list[object]] = []  # [path prefix, requests left, Retry-After]
        self._blocked: dict[str, str] = {}

    # -- misbehaviour ------------------------------------------------------------------------------
    def truncate_cdx(self, *answers: int) -> None:
        """Cut the CDX answers numbered ``answers`` (1 = the first CDX answer served) off half-way."""
        self._truncate.update(answers)

    def rate_limit(self, count: int, *, prefix: str = "/cdx/", retry_after: str | None = None) -> None:
        """Answer 429 to the next ``count`` requests whose path starts with ``prefix``."""
        self._limits.append([prefix, count, retry_after])

    def block(self, url: str, *, robots: bool = True) -> None:
        """Refuse ``url`` as the archive does: excluded by robots.txt, or at the owner's request."""
        self._blocked[surt(url)] = ROBOTS_EXCLUDED if robots else OWNER_EXCLUDED

    # -- serving -----------------------------------------------------------------------------------
    def respond(self, request: SeenRequest) -> Reply:
        """The archive's answer to ``request``."""
        with self._lock:
            for limit in self._limits:
                prefix, left, retry_after = limit
                if request.path.startswith(str(prefix)) and isinstance(left, int) and left > 0:
                    limit[1] = left - 1
                    headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
                    return Reply(status=429, body="<h1>Too Many Requests</h1>", headers=headers)
        if request.path == "/cdx/search/cdx":
            return self._cdx(request)
        if request.path.startswith("/web/"):
            return self._web(request.target)
        return Reply(status=404, body="<h1>Not found</h1>")

    def handler(self) -> Callable[[httpx.Request], httpx.Response]:
        """A ``httpx.MockTransport`` handler that serves this archive in-process."""

        def handle(request: httpx.Request) -> httpx.Response:
            target = request.url.raw_path.decode("ascii")
            seen = SeenRequest(request.method, target, tuple(request.headers.items()), 0.0)
            reply = self.respond(seen)
            headers = [("Content-Type", reply.content_type)] if reply.content_type else []
            return httpx.Response(reply.status, headers=[*headers, *reply.headers], content=reply.data)

        return handle

    def serve(self, *, gzip: bool = True) -> ArchiveSite:
        """Start serving on 127.0.0.1 (an ephemeral port), gzipping bodies as web.archive.org does;
        stop the returned site when done."""
        site = ArchiveSite(self, gzip=gzip).start()
        self.base_url = site.base_url
        return site

    # -- CDX ---------------------------------------------------------------------------------------
    def _cdx(self, request: SeenRequest) -> Reply:
        query = parse_qs(urlsplit(request.target).query, keep_blank_values=True)
        with self._lock:
            self.cdx_log.append(urlsplit(request.target).query)
        url = query.get("url", [""])[0]
        key = surt(url)
        if key in self._blocked:
            return Reply(status=403, body=f"{self._blocked[key]}\n", content_type="text/plain; charset=utf-8")
        rows = [row for row in self.rows if row.urlkey == key]
        low = query.get("from", [""])[0].ljust(14, "0")
        high = query.get("to", [""])[0].ljust(14, "9")
        rows = [row for row in rows if low <= row.timestamp <= high]
        for spec in query.get("filter", []):
            negate = spec.startswith("!")
            field, _, pattern = spec.lstrip("!").partition(":")
            rows = [r for r in rows if (re.fullmatch(pattern, getattr(r, field)) is not None) != negate]
        for spec in query.get("collapse", []):
            field, _, width = spec.partition(":")
            rows = _collapse(rows, field, int(width) if width else None)
        resume = query.get("resumeKey", [None])[0]
        if resume is not None:
            after = tuple(unquote_plus(resume).rsplit(" ", 1))
            rows = [row for row in rows if (row.urlkey, row.timestamp) > after]
        limit = int(query.get("limit", ["0"])[0] or 0)
        resume_key = None
        if limit and len(rows) > limit:
            rows = rows[:limit]
            if query.get("showResumeKey", ["false"])[0] == "true":
                resume_key = quote_plus(f"{rows[-1].urlkey} {rows[-1].timestamp}")
        if query.get("output", [""])[0] == "json":
            body = _cdx_json(rows, resume_key)
        else:
            body = "".join(f"{row.to_line()}\n" for row in rows)
            body += f"\n{resume_key}\n" if resume_key else ""
        data = body.encode("utf-8")
        with self._lock:
            self._cdx_answers += 1
            if self._cdx_answers in self._truncate:
                data = data[: len(data) // 2]
        return Reply(body=data, content_type="text/plain; charset=utf-8")

    # -- captures ----------------------------------------------------------------------------------
    def _web(self, target: str) -> Reply:
        with self._lock:
            self.web_log.append(target)
        match = _WEB_RE.match(target)
        if match is None:
            return Reply(status=404, body="<h1>Not a capture URL</h1>")
        stamp, mode, url = (
            match["ts"],
            match["mode"] or "",
            re.sub(r"^(https?):/(?!/)", r"\1://", match["url"]),
        )
        key = surt(url)
        if key in self._blocked:
            return Reply(
                status=403,
                body=f"<p>{self._blocked[key]}</p>",
                headers=(("X-Archive-Wayback-Runtime-Error", self._blocked[key]),),
            )
        saved = self.folder.get(f"{ARCHIVE_ORIGIN}/web/{stamp}id_/{url}")
        if saved is not None:
            return self._saved(saved)
        rows = [row for row in self.rows if row.urlkey == key]
        exact = next((row for row in rows if row.timestamp == stamp), None)
        if exact is not None:
            twin = self._same_digest(exact, rows)
            if twin is not None:
                return twin
        playable = [row for row in rows if row.mimetype != "warc/revisit"]
        if not playable:
            error = f"ResourceNotInArchiveException: {url} was not found"
            return Reply(
                status=404,
                body="<p>Wayback Machine doesn't have that page archived.</p>",
                headers=(("X-Archive-Wayback-Runtime-Error", error),),
            )
        when = parse_timestamp(stamp)
        nearest = min(playable, key=lambda r: (abs((r.captured_at - when).total_seconds()), r.timestamp))
        location = f"{self.base_url}/web/{nearest.timestamp}{mode}/{nearest.original}"
        return Reply(status=302, headers=(("Location", location),), content_type="text/plain")

    def _saved(self, saved: SavedResponse, *, memento_datetime: str | None = None) -> Reply:
        headers = []
        content_type = None
        for name, value in saved.headers:
            if name.lower() == "content-type":
                content_type = value
                continue
            if name.lower() == "memento-datetime" and memento_datetime is not None:
                value = memento_datetime
            headers.append((name, value.replace(ARCHIVE_ORIGIN, self.base_url)))
        return Reply(
            status=saved.status,
            body=self.folder.body(saved),
            headers=tuple(headers),
            content_type=content_type,
        )

    def _same_digest(self, row: CdxRecord, rows: list[CdxRecord]) -> Reply | None:
        """Play a revisit or repeat capture back from a saved capture with the same digest."""
        for other in rows:
            saved = self.folder.get(f"{ARCHIVE_ORIGIN}/web/{other.timestamp}id_/{other.original}")
            if other.digest == row.digest and saved is not None and saved.status == 200:
                return self._saved(saved, memento_datetime=format_datetime(row.captured_at, usegmt=True))
        return None


def _collapse(rows: list[CdxRecord], field: str, width: int | None) -> list[CdxRecord]:
    """Drop each row whose ``field`` (its first ``width`` characters) equals the previous row's."""
    kept: list[CdxRecord] = []
    previous: str | None = None
    for row in rows:
        value = getattr(row, field)[:width] if width else getattr(row, field)
        if value != previous:
            kept.append(row)
        previous = value
    return kept


def _cdx_json(rows: list[CdxRecord], resume_key: str | None) -> str:
    """JSON output laid out as the Wayback CDX server writes it: one row per line."""
    if not rows and resume_key is None:
        return "[]\n"
    lines = [json.dumps(list(CDX_FIELDS), separators=(",", ":"))]
    lines += [json.dumps(list(row)) for row in rows]
    if resume_key is not None:
        lines += ["[]", json.dumps([resume_key])]
    return "[" + ",\n".join(lines) + "]\n"


class ArchiveSite(Site):
    """A :class:`~e2e.site.Site` on 127.0.0.1 whose every request is answered by a :class:`FakeArchive`."""

    def __init__(self, archive: FakeArchive, *, gzip: bool = True) -> None:
        super().__init__(gzip=gzip)
        self.archive = archive

    def dispatch(self, request: SeenRequest) -> Reply:
        """Log ``request`` and let the archive answer."""
        with self._lock:
            self.log.append(request)
        return self.archive.respond(request)
