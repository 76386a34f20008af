"""Build ``fixtures/wayback/``: the Secure Communities page as the Wayback Machine holds it, 2010-2018.

Run ``python tests/e2e/make_wayback_fixtures.py [DIR]`` (default: ``fixtures/wayback``).
``tests/e2e/test_wayback_e2e.py`` runs it into a temporary folder and checks that the committed
fixtures are exactly what it writes, so a change here or in the DHS pages shows up as a failing test
until the fixtures are rebuilt.

The captures are reconstructions, like ``fixtures/dhs``: the 2016 capture *is* the three DHS pages of
``fixtures/dhs`` byte for byte; the others are built from the same page shell and teasers, with the
list as it plausibly stood at each date (older items dropped off, newer ones pushed the list down).
Items that are not on the 2016 pages (``EXTRA_TEASERS``) are invented but plausible.

Two steps:

1. The archive's content: every capture's body and response (``Memento-Datetime``, ``Link``) in
   ``index.json`` under its ``https://web.archive.org/web/<timestamp>id_/<url>`` key, and the
   archive's whole CDX index in ``cdx.json`` (captures, a redirect, an error page, a repeat, a
   revisit record), as CDX JSON rows.
2. The CDX answers: ``topicscrape wayback`` is run (in-process, over :class:`e2e.archive.FakeArchive`
   serving step 1) with and without ``--from 2011 --to 2017``, and the CDX responses it receives
   are recorded into ``index.json``, so ``--replay fixtures/wayback`` works offline for both.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import html
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx

from scraper.fixtures import FixtureFolder, RecordingTransport
from scraper.settings import Settings
from scraper.wayback import CdxRecord, cdx_json_rows, parse_timestamp, run_wayback

ROOT = Path(__file__).resolve().parents[2]
DHS = ROOT / "fixtures" / "dhs" / "www.dhs.gov"
ARCHIVE = "https://web.archive.org"
TOPIC = "https://www.dhs.gov/keywords/secure-communities"
TOPIC_PATH = "/keywords/secure-communities"
PER_PAGE = 5

RECORDED_AT = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""``fetched_at`` of every saved response: fixed, so a rebuild gives identical files."""

RANGES: tuple[tuple[str | None, str | None], ...] = ((None, None), ("2011", "2017"))
"""The ``--from``/``--to`` runs whose CDX answers are saved for replay."""


@dataclass(frozen=True)
class Extra:
    """A teaser that is not on the 2016 pages."""

    key: str
    href: str
    kind: str
    title: str
    body: str


EXTRA_TEASERS = (
    Extra(
        "O1",
        "/news/2009/03/28/fact-sheet-secure-communities",
        "press-release",
        "Fact Sheet: Secure Communities",
        "Secure Communities is a comprehensive plan to identify and remove criminal aliens from the "
        "United States. Using biometric information sharing, ICE can identify aliens booked into local "
        "jails before they are released back into the community.",
    ),
    Extra(
        "O2",
        "/news/2008/10/27/ice-announces-secure-communities-deployment-harris-county-texas",
        "press-release",
        "ICE Announces Secure Communities Deployment in Harris County, Texas",
        "U.S. Immigration and Customs Enforcement today announced that Harris County, Texas, is the "
        "first jurisdiction to deploy the biometric identification technology at the heart of Secure "
        "Communities.",
    ),
    Extra(
        "O3",
        "/news/2010/08/12/secure-communities-quarterly-report-congress",
        "press-release",
        "Secure Communities Quarterly Report to Congress",
        "This report describes the progress of Secure Communities in identifying criminal aliens in "
        "state and local custody during the third quarter of fiscal year 2010, and the steps taken to "
        "expand the capabi",
    ),
    Extra(
        "N1",
        "/news/2017/02/21/qa-dhs-implementation-executive-order-enhancing-public-safety-interior-united",
        "press-release",
        "Q&A: DHS Implementation of the Executive Order on Enhancing Public Safety in the Interior of "
        "the United States",
        "The Executive Order on Enhancing Public Safety in the Interior of the United States directs the "
        "Department to reinstate the Secure Communities program. These questions and answers explain "
        "how DHS is putting the order into effect.",
    ),
    Extra(
        "N2",
        "/news/2017/12/13/ice-releases-fy2017-enforcement-and-removal-operations-report",
        "press-release",
        "ICE Releases FY2017 Enforcement and Removal Operations Report",
        "U.S. Immigration and Customs Enforcement today released its Fiscal Year 2017 Enforcement and "
        "Removal Operations report, which details the agency's enforcement activities, including the "
        "removals made through the reactivated Secure Communities program.",
    ),
)

# The 2016 teasers by their place on the DHS pages: A1-A5 on page 0 (the seed's five), B1-B5 on
# page 1, C1-C3 on page 2.
SNAPSHOTS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (page 0 timestamp, scheme, teasers in list order, timestamps of pages 1, 2...)
    ("20101102091500", "http", ("C1", "O3", "C2", "A5", "C3", "B5", "O1", "O2"), ("20101102091700",)),
    ("20110315101500", "http", ("C1", "C2", "A5", "C3", "B5", "O1", "O2"), ("20110315101720",)),
    (
        "20130612093000",
        "http",
        ("B2", "A4", "B3", "B4", "C1", "C2", "A5", "C3", "B5", "O1"),
        ("20130612093400",),
    ),
    (
        "20150114083000",
        "https",
        ("B1", "B2", "A4", "B3", "B4", "C1", "C2", "A5", "C3", "B5"),
        ("20150114083200",),
    ),
    (
        "20170305181500",
        "https",
        ("N1", "A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5", "C1", "C3"),
        ("20170305181700", "20170305181900"),
    ),
    (
        "20180201120000",
        "https",
        ("N2", "N1", "A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5", "C1", "C3"),
        ("20180201120200", "20180201120400"),
    ),
)

DHS_2016 = ("20160701140312", ("20160701140315", "20160701140318"))
"""The capture of the DHS pages themselves: their ``fetched_at`` times in ``fixtures/dhs``."""

VIEW_MODE = "20150114083000"
"""This capture's links are rewritten as in view mode (``/web/<ts>/<url>``), to prove unwrapping."""

REDIRECTED = "20130612011500"
"""Listed by the CDX index, but the archive redirects it to the next capture, 8 h later (same digest)."""

ERROR_PAGE = "20140820000000"
"""A capture of an HTTP 500 page: ``statuscode`` 500, filtered out by ``filter=statuscode:200``."""

MAINTENANCE = "20150320160000"
"""A capture the CDX lists as a 200 ``text/html``, whose body is a maintenance page with no teasers."""

REPEAT = "20160703052000"
"""Identical to the 2016 capture (same digest): a sighting, whose records are the 2016 capture's."""

REVISIT = "20160705101010"
"""A ``warc/revisit`` record of the 2016 capture."""

PAGE1_ERROR = "20160701140313"
"""A capture of page 1 that is an error page, nearer in time to the 2016 page 0 than the good one."""


def http_date(stamp: str) -> str:
    """The HTTP-date of a Wayback timestamp."""
    return format_datetime(parse_timestamp(stamp), usegmt=True)


def digest(body: bytes) -> str:
    """The CDX digest: base-32 SHA-1 of the body."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def page_url(page: int, scheme: str = "https") -> str:
    """The original URL of pager page ``page``."""
    return f"{scheme}://www.dhs.gov{TOPIC_PATH}" + (f"?page={page}" if page else "")


def urlkey(page: int) -> str:
    """The SURT key of pager page ``page``."""
    return "gov,dhs)" + TOPIC_PATH + (f"?page={page}" if page else "")


# -- page bodies -----------------------------------------------------------------------------------

_ROW_RE = re.compile(r'  <div class="views-row views-row-\d+[^"]*">\n.*?\n</div>\n  </div>\n', re.S)
_PAGER_RE = re.compile(r'<ul class="pager">.*?</ul>')


def dhs_pages() -> list[str]:
    """The three 2016 DHS pages."""
    names = [f"keywords-secure-communities{suffix}.html" for suffix in ("", "-page-1", "-page-2")]
    return [(DHS / name).read_text(encoding="utf-8") for name in names]


def teaser_rows(pages: list[str]) -> dict[str, str]:
    """Every teaser's markup by key: A1-A5, B1-B5, C1-C3 from the 2016 pages, plus the extras."""
    rows: dict[str, str] = {}
    for letter, text in zip("ABC", pages, strict=True):
        for number, row in enumerate(_ROW_RE.findall(text), start=1):
            rows[f"{letter}{number}"] = row
    template = rows["A4"]
    for extra in EXTRA_TEASERS:
        rows[extra.key] = extra_row(template, extra)
    return rows


def extra_row(template: str, extra: Extra) -> str:
    """A teaser in the 2016 markup for an item not on the 2016 pages."""
    old_href = re.search(r'about="([^"]+)"', template)
    old_title = re.search(r'<h2[^>]*><a href="[^"]+">([^<]+)</a></h2>', template)
    old_body = re.search(r'property="content:encoded"><p>(.*?)</p>', template, re.S)
    assert old_href is not None
    assert old_title is not None
    assert old_body is not None
    number = int(hashlib.sha1(extra.href.encode()).hexdigest()[:5], 16) % 90000 + 10000
    row = template.replace(old_href.group(1), extra.href)
    row = row.replace(old_title.group(1), html.escape(extra.title, quote=True))
    row = row.replace(old_body.group(1), html.escape(extra.body, quote=False))
    row = re.sub(r'id="node-\d+"', f'id="node-{number}"', row)
    return row.replace("node-blog", f"node-{extra.kind}")


def pager(page: int, pages: int) -> str:
    """Drupal 7's pager for ``page`` of ``pages`` (0-based), as on the DHS pages."""
    items: list[tuple[str, str]] = []

    def link(title: str, target: int, text: str) -> str:
        href = TOPIC_PATH + (f"?page={target}" if target else "")
        return f'<a title="{title}" href="{href}">{text}</a>'

    if page > 0:
        items.append(("pager-first", link("Go to first page", 0, "« first")))
        items.append(("pager-previous", link("Go to previous page", page - 1, "‹ previous")))
    for n in range(pages):
        if n == page:
            items.append(("pager-current", str(n + 1)))
        else:
            items.append(("pager-item", link(f"Go to page {n + 1}", n, str(n + 1))))
    if page < pages - 1:
        items.append(("pager-next", link("Go to next page", page + 1, "next ›")))
        items.append(("pager-last", link("Go to last page", pages - 1, "last »")))
    out = []
    for index, (css, inner) in enumerate(items):
        edge = (" first" if index == 0 else "") + (" last" if index == len(items) - 1 else "")
        out.append(f'<li class="{css}{edge}">{inner}</li>')
    return '<ul class="pager">' + "".join(out) + "</ul>"


def listing(shell: str, rows: dict[str, str], keys: tuple[str, ...], page: int, pages: int) -> str:
    """One listing page: ``shell`` (a 2016 page 0) with the teasers ``keys`` and its pager."""
    found = _ROW_RE.findall(shell)
    start, end = shell.index(found[0]), shell.index(found[-1]) + len(found[-1])
    body = []
    for index, key in enumerate(keys):
        parity = "odd" if index % 2 == 0 else "even"
        edges = (" views-row-first" if index == 0 else "") + (
            " views-row-last" if index == len(keys) - 1 else ""
        )
        css = f"views-row views-row-{index + 1} views-row-{parity}{edges}"
        body.append(re.sub(r'^  <div class="[^"]*">', f'  <div class="{css}">', rows[key]))
    text = shell[:start] + "".join(body) + shell[end:]
    if pages > 1:
        text = _PAGER_RE.sub(lambda _: pager(page, pages), text, count=1)
    else:
        text = re.sub(r'\n      <h2 class="element-invisible">Pages</h2>.*?</ul></div>', "", text, count=1)
    return text.replace(f'"{page_url(0)}"', f'"{page_url(page)}"')


BANNER_SINCE = "2017"
"""Captures from this year on show the federal banner in USWDS markup (``usa-banner``) on the same
Drupal 7 page: the header of the seed family's "US flag signifying …" text dumps. It must not
make the page read as a USWDS one (it lost every excerpt and the pager that way)."""

FEDERAL_BANNER = """  <section class="usa-banner" aria-label="Official government website">
    <div class="usa-accordion"><header class="usa-banner-header">
      <div class="usa-grid usa-banner-inner">
        <img src="https://www.dhs.gov/sites/all/themes/dhs/images/us-flag-small.png" alt="US flag signifying that this is a United States Federal Government website" />
        <p>Official website of the Department of Homeland Security</p>
        <button class="usa-accordion-button usa-banner-button" aria-expanded="false" aria-controls="gov-banner">
          <span class="usa-banner-button-text">Here&#8217;s how you know</span>
        </button>
      </div>
    </header>
    <div class="usa-banner-content usa-grid usa-accordion-content" id="gov-banner" aria-hidden="true">
      <p><strong>The .gov means it&#8217;s official.</strong> Federal government websites always use a .gov or .mil domain.</p>
      <p><strong>This site is secure.</strong> The https:// ensures that you are connecting to the official website.</p>
    </div></div>
  </section>
"""  # noqa: E501


def federal_banner(text: str) -> str:
    """``text`` with its official banner replaced by the USWDS federal banner (see :data:`BANNER_SINCE`)."""
    return re.sub(
        r'  <div id="official-banner" role="banner">.*?\n  </div>\n',
        lambda _: FEDERAL_BANNER,
        text,
        count=1,
        flags=re.DOTALL,
    )


def view_mode(text: str, stamp: str) -> str:
    """``text`` as the Wayback Machine's view mode rewrites it: links into the archive."""
    text = re.sub(r'(href)="(/[^/"][^"]*)"', rf'\1="/web/{stamp}/https://www.dhs.gov\2"', text)
    text = re.sub(r'(src)="(/[^/"][^"]*)"', rf'\1="/web/{stamp}im_/https://www.dhs.gov\2"', text)
    text = re.sub(r'href="(https://www\.dhs\.gov/[^"]*)"', rf'href="{ARCHIVE}/web/{stamp}/\1"', text)
    when = parse_timestamp(stamp).strftime("%H:%M:%S %b %d, %Y")
    return text.replace(
        "</html>",
        f"</html>\n<!--\n     FILE ARCHIVED ON {when} AND RETRIEVED FROM THE\n"
        "     INTERNET ARCHIVE ON 06:12:44 Jan 15, 2025.\n-->\n",
    )


MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8" />
<title>Site Maintenance | Homeland Security</title>
</head>
<body class="maintenance-page">
<div id="page"><div id="header"><a href="/" title="Home" rel="home" id="logo">Homeland Security</a></div>
<div id="main"><h1 class="title">Site Maintenance</h1>
<p>The Department of Homeland Security website is undergoing scheduled maintenance.
Please check back soon.</p></div></div>
</body>
</html>
"""

ERROR_BODY = """<!DOCTYPE html>
<html><head><title>Service Unavailable</title></head>
<body><h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your request. Please try again later.</p>
</body></html>
"""


# -- the archive ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """One capture as the archive holds it."""

    stamp: str
    page: int
    scheme: str
    status: int
    body: bytes
    mimetype: str = "text/html"
    location: str | None = None


def captures() -> list[Saved]:
    """Every capture with a body (or a redirect) the archive serves."""
    pages = dhs_pages()
    rows = teaser_rows(pages)
    out: list[Saved] = []
    for stamp, scheme, keys, later in SNAPSHOTS:
        count = -(-len(keys) // PER_PAGE)
        for page, when in enumerate((stamp, *later)):
            chunk = keys[page * PER_PAGE : (page + 1) * PER_PAGE]
            text = listing(pages[0], rows, chunk, page, count)
            if stamp >= BANNER_SINCE:
                text = federal_banner(text)
            if stamp == VIEW_MODE:
                text = view_mode(text, when)
            out.append(Saved(when, page, scheme, 200, text.encode("utf-8")))
    first, later = DHS_2016
    for page, when in enumerate((first, *later)):
        out.append(Saved(when, page, "https", 200, pages[page].encode("utf-8")))
    redirect_target = f"{ARCHIVE}/web/20130612093000id_/{page_url(0, 'http')}"
    out.append(Saved(REDIRECTED, 0, "http", 302, b"", location=redirect_target))
    out.append(Saved(ERROR_PAGE, 0, "http", 500, ERROR_BODY.encode("utf-8")))
    out.append(Saved(MAINTENANCE, 0, "https", 200, MAINTENANCE_PAGE.encode("utf-8")))
    out.append(Saved(PAGE1_ERROR, 1, "https", 500, ERROR_BODY.encode("utf-8")))
    return out


def cdx_rows(saved: list[Saved]) -> list[CdxRecord]:
    """The archive's CDX index: one row per capture, plus the repeat and the revisit record."""
    records = []
    by_stamp = {(s.stamp, s.page): s for s in saved}
    for item in saved:
        body = item.body
        if item.location is not None:  # the redirected capture holds what its target holds
            body = by_stamp[("20130612093000", 0)].body
        length = str(len(gzip.compress(body, mtime=0)) + 600)  # a WARC record's headers add ~600 bytes
        status = str(item.status if item.location is None else 200)
        url = page_url(item.page, item.scheme)
        records.append(
            CdxRecord(urlkey(item.page), item.stamp, url, item.mimetype, status, digest(body), length)
        )
    dhs = by_stamp[(DHS_2016[0], 0)]
    same = digest(dhs.body)
    records.append(CdxRecord(urlkey(0), REPEAT, page_url(0), "text/html", "200", same, "9413"))
    records.append(CdxRecord(urlkey(0), REVISIT, page_url(0), "warc/revisit", "-", same, "612"))
    return sorted(records, key=lambda r: (r.urlkey, r.timestamp))


def memento_headers(item: Saved) -> list[tuple[str, str]]:
    """The headers web.archive.org sends with an ``id_`` capture."""
    original = page_url(item.page, item.scheme)
    when = http_date(item.stamp)
    link = (
        f'<{original}>; rel="original", '
        f'<{ARCHIVE}/web/timemap/link/{original}>; rel="timemap"; type="application/link-format", '
        f'<{ARCHIVE}/web/{item.stamp}/{original}>; rel="memento"; datetime="{when}"'
    )
    headers = [("Server", "nginx"), ("Date", format_datetime(RECORDED_AT, usegmt=True))]
    if item.location is not None:
        return [*headers, ("Content-Type", "text/plain; charset=utf-8"), ("Location", item.location)]
    return [
        *headers,
        ("Content-Type", "text/html; charset=utf-8"),
        ("X-Archive-Orig-Date", when),
        ("X-Archive-Orig-Server", "Apache"),
        ("X-Archive-Orig-X-Generator", "Drupal 7 (http://drupal.org)"),
        ("Memento-Datetime", when),
        ("Link", link),
    ]


class InstantClock:
    """A clock whose waits take no time, so recording does not sit out the CDX budget."""

    def __init__(self) -> None:
        self.time = 0.0

    def monotonic(self) -> float:
        """Seconds so far."""
        return self.time

    def now(self) -> datetime:
        """The recording time."""
        return RECORDED_AT + timedelta(seconds=self.time)

    async def sleep(self, seconds: float) -> None:
        """Move time on; do not wait."""
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)


def build(target: Path) -> None:
    """Write the fixture folder ``target`` (it must not hold another fixture index)."""
    from e2e.archive import FakeArchive  # the archive reads what step 1 writes

    target.mkdir(parents=True, exist_ok=True)
    folder = FixtureFolder.load(target)
    saved = captures()
    for item in saved:
        folder.save(
            f"{ARCHIVE}/web/{item.stamp}id_/{page_url(item.page, item.scheme)}",
            status=item.status,
            headers=memento_headers(item),
            body=item.body,
            fetched_at=RECORDED_AT,
        )
    text = json.dumps(cdx_json_rows(cdx_rows(saved)), indent=None)
    (target / "cdx.json").write_text(text.replace("], [", "],\n [") + "\n", encoding="utf-8")

    archive = FakeArchive(target)
    recorded = FixtureFolder(target / ".recording")
    for from_date, to_date in RANGES:
        settings = Settings(from_date=from_date, to_date=to_date)
        transport = RecordingTransport(
            httpx.MockTransport(archive.handler()), recorded, now=lambda: RECORDED_AT
        )
        asyncio.run(run_wayback(TOPIC, settings=settings, transport=transport, clock=InstantClock()))
    for response in recorded:
        if response.url not in folder:
            folder.save(
                response.url,
                status=response.status,
                headers=response.headers,
                body=recorded.body(response),
                fetched_at=RECORDED_AT,
            )
    for path in sorted((target / ".recording").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (target / ".recording").rmdir()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fixtures" / "wayback")
