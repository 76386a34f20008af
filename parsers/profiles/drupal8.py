"""Drupal 8–11 core markup (Classy, Bartik, Olivero and their sub-themes): taxonomy terms and Views.

Drupal 8 renamed the teaser classes to BEM form: ``article.node--view-mode-teaser`` with
``.node__title a``, the summary in ``.field--name-body`` inside ``.node__content``, the byline and
date in ``.node__meta`` ("By joachim, Wed, 02/10/2010 - 23:02"), tags in ``.field--name-field-tags``
and the pager in ``.pager__item--next``. Learnt from tests/corpus/drupal10-joachim-taxonomy-term.html
(a Drupal 10 Olivero-derived static export, 2023). USWDS-themed Drupal 9+ sites have their own
profile (:mod:`parsers.profiles.uswds`), tried first.
"""

from __future__ import annotations

from parsers.profiles.base import Profile

__all__ = ["PROFILE"]

PROFILE = Profile(
    name="drupal8",
    source="tests/corpus/drupal10-joachim-taxonomy-term.html (joachim-n.github.io, Drupal 10, 2023)",
    detect=(".node--view-mode-teaser", ".node--teaser"),
    container=("main", "[role=main]", ".region--content", ".region-content", "#content"),
    item=(".view-content > .views-row", ".node--view-mode-teaser", ".node--teaser"),
    title=(".node__title a", "h2 a", "h3 a", ".node__title", ".field--name-title"),
    excerpt=(".field--name-body", ".text-content", ".node__content > p", ".views-field-body"),
    date=(
        "time[datetime]",
        ".node__meta",
        ".node__submitted",
        ".field--name-created",
        ".views-field-created",
    ),
    topic=(".page-title", "main h1", "h1"),
    next_page=(".pager__item--next a", "a[rel=next]", "link[rel=next]"),
    strip=(".visually-hidden", ".node__links", ".links.inline"),
)
