"""Drupal 9+ .gov sites on the U.S. Web Design System (USWDS): today's dhs.gov, fema.gov, ice.gov.

Three listing shapes share the family. The USWDS *collection* component
(``ul.usa-collection > li.usa-collection__item`` with ``.usa-collection__heading a``,
``.usa-collection__description`` and ``time`` in ``.usa-collection__meta`` or a calendar date), the
*card group* (``li.usa-card`` with ``.usa-card__heading``, ``.usa-card__body`` and a footer button),
and plain Drupal Views rows in a USWDS layout, as on beta.usa.gov (tests/corpus/uswds-drupal9-*):
``div.views-row > article`` with ``h2 > a`` and the body in ``div.usa-prose``, a "Read more"
``ul.links`` before the body and a ``rel=next`` pager link.
"""

from __future__ import annotations

from parsers.profiles.base import Profile

__all__ = ["PROFILE"]

PROFILE = Profile(
    name="uswds",
    source=(
        "tests/corpus/uswds-drupal9-betausagov-taxonomy-term*.html (beta.usa.gov, 2023); "
        "USWDS 3 collection and card components (designsystem.digital.gov, 2023)"
    ),
    # The federal banner marks a USWDS site; the components mark a USWDS listing anywhere. Each
    # selector costs a pass over the page (~20 µs), so three cheap class tests.
    detect=(".usa-banner", ".usa-collection", ".usa-card-group"),
    container=("main", "#main-content", "[role=main]", ".usa-layout-docs__main"),
    item=(".usa-collection__item", ".usa-card-group > .usa-card", ".view-content > .views-row", ".views-row"),
    title=(
        ".usa-collection__heading",
        ".usa-card__heading",
        "h2 a",
        "h3 a",
        "h4 a",
        ".field--name-title",
        "h2",
        "h3",
    ),
    link=(".usa-card__footer a[href]", "a.usa-link[href]", "a[href]"),
    excerpt=(
        ".usa-collection__description",
        ".usa-card__body",
        ".usa-prose",
        ".field--name-body",
        ".views-field-body",
        ".field--type-text-with-summary",
    ),
    # Views rows in a site's own teaser markup (cbp.gov's ``.teaser__summary``): the prose after
    # the headline, and the date from its metadata line (see base._excerpt).
    excerpt_fallback=True,
    date=(
        "time",
        ".usa-collection__calendar-date",
        ".usa-collection__meta-item",
        ".field--name-created",
        ".views-field-created",
        ".date",
        # Drupal 8+ core teasers (see drupal8), which USWDS themes inherit
        ".node__meta",
        ".node__submitted",
    ),
    topic=("main h1", "#main-content h1", "h1"),
    next_page=(
        "a.usa-pagination__next-page",
        ".pager__item--next a",
        "a[rel=next]",
        "link[rel=next]",
    ),
    strip=(".usa-sr-only", ".visually-hidden", ".element-invisible", "ul.links"),
)
