"""Drupal 7 taxonomy-term and Views listings: dhs.gov in the 2010s and many .gov/.edu sites.

Learnt from fixtures/dhs (www.dhs.gov keyword pages as served in 2016): the listing is
``.region-content .view-content > .views-row``, each row a ``.node-teaser`` with ``h2.node-title a``,
the summary in ``.field-name-body``, the date (press releases) in ``.date-display-single`` with an
ISO ``content`` attribute; the pager is ``ul.pager li.pager-next a``. "You are here", "Pages" and
the "about <title>" tail of "Read more" are ``.element-invisible`` and are stripped first.
"""

from __future__ import annotations

from parsers.profiles.base import Profile

__all__ = ["PROFILE"]

PROFILE = Profile(
    name="drupal7",
    source="fixtures/dhs/www.dhs.gov/*.html (dhs.gov keyword pages, 2016)",
    detect=(".view-content .views-row", ".node-teaser"),
    # Classes Drupal 8+ renamed (node--view-mode-teaser) or dropped (Views' numbered row classes):
    # they mark Drupal 7 even under a federal banner in USWDS markup (.usa-banner).
    signature=(".node-teaser", ".views-row-first"),
    container=(".region-content", "#content", "[role=main]", "main", "#main"),
    # Views' formats: unformatted rows, an HTML list (rows as <li>s) or a table (rows as <tr>s)
    item=(
        ".view-content > .views-row",
        ".view-content > .item-list > ul > .views-row",
        ".view-content > table.views-table > tbody > tr",
        ".node-teaser",
    ),
    title=("h2.node-title a", ".node-title a", ".views-field-title a", "h2 a", "h3 a", ".node-title"),
    excerpt=(
        ".field-name-body",
        ".views-field-body",
        ".field-type-text-with-summary",
        ".views-field-field-summary",
        ".content > p",
    ),
    date=(
        ".date-display-single",
        "time[datetime]",
        ".field-name-field-date",
        ".field-name-field-release-date",
        ".views-field-created",
        ".views-field-field-date",
        ".submitted",
    ),
    topic=("h1#page-title", "h1.page-title", "h1.title", "h1"),
    next_page=(
        "ul.pager li.pager-next a",
        "li.pager-next a",
        "a[rel=next]",
        "link[rel=next]",
        # a pager of page numbers only (themes that hide "next ›"): the one after the current page
        "ul.pager li.pager-current + li.pager-item a",
    ),
    strip=(".element-invisible", "ul.links", ".node-readmore", ".feed-icon"),
)
