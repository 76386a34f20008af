"""WordPress category, tag, author and date archives (and the blog index).

WordPress themes differ, but post markup comes from core's ``post_class()`` and the theme's loop:
each post is an ``article`` (or ``div``) with ``hentry``/``type-post``, its headline in
``.entry-title a``, the summary in ``.entry-summary`` (``the_excerpt``) or ``.entry-content``
(themes that show full posts), the date in ``time.entry-date`` / ``.published``. Learnt from
tests/corpus/wordpress-*: Twenty Eleven-style markup (insertcredit.com, full posts whose first line
is a podcast player's links), Divi (z-push.org: the excerpt is a bare text node straight in the
``article``, so the summary falls back to the text after the headline) and Gavern (researchthroughdesign
.org: ``section.summary``). Pagers name the next page "Older posts" (``.nav-previous``) or
"« Older Entries"; a link to ``/page/N+1/`` settles it.
"""

from __future__ import annotations

from parsers.profiles.base import Profile

__all__ = ["PROFILE"]

PROFILE = Profile(
    name="wordpress",
    source=(
        "tests/corpus/wordpress-insertcredit-category-news-page2.html (2016), "
        "wordpress-divi-zpush-category-news-page2.html (2019), wordpress-gavern-rtd-category-news.html (2021)"
    ),
    detect=(".hentry", "article.type-post", ".wp-block-post-template"),
    container=("#primary", "main", "[role=main]", ".site-main", "#main", "#content", "#left-area"),
    # Pages carry ``hentry`` too (``article.type-page``): one that holds a blog module (Divi,
    # Elementor) is no teaser, and its posts may lack ``hentry`` (Elementor's posts widget).
    item=(
        ".hentry:not(.type-page)",
        "article.type-post",
        ".hentry",
        ".wp-block-post-template > li",
        ".wp-block-post",
    ),
    title=(
        ".entry-title a",
        ".entry-title",
        ".wp-block-post-title a",
        ".post-title a",
        ".post-title",
        "h2 a",
        "h3 a",
        "h1 a",
    ),
    excerpt=(
        ".entry-summary",
        ".wp-block-post-excerpt",
        ".post-excerpt",
        ".excerpt",
        ".summary",
        ".entry-content",
        ".post-content",
        ".post-entry",
    ),
    excerpt_fallback=True,
    date=(
        "time.entry-date",
        "time[datetime]",
        ".entry-date",
        ".published",
        ".post-date",
        ".posted-on",
        ".wp-block-post-date",
        ".date",
        # page builders' post lists: Elementor's ``span.elementor-post-date``
        "[class*=post-date]",
    ),
    topic=(".page-title", ".archive-title", "h1.entry-title", "main h1", "h1"),
    next_page=(
        "link[rel=next]",
        "a[rel=next]",
        "a.next.page-numbers",
        ".nav-previous a",
        ".wp-block-query-pagination-next",
        ".e-load-more-anchor[data-next-page]",  # Elementor's posts widget with "Load more"
    ),
    # Core's ``the_posts_pagination()`` (``nav.navigation.pagination``, ``.page-numbers``) and
    # ``the_posts_navigation()`` (``.nav-links``, ``.nav-previous``/``.nav-next``), older themes'
    # ``#nav-below``/``.paging-navigation``, block themes, WP-PageNavi, Divi, Genesis, Elementor.
    # Markup with none of them (Blogger's ``hentry`` posts) has a pager of its own.
    pager=(
        ".navigation",
        ".pagination",
        ".nav-links",
        ".page-numbers",
        ".nav-previous",
        ".nav-next",
        ".paging-navigation",
        ".posts-navigation",
        "#nav-below",
        "#nav-above",
        ".wp-block-query-pagination",
        ".wp-pagenavi",
        ".archive-pagination",
        ".elementor-pagination",
        ".e-load-more-anchor",
    ),
    strip=(".screen-reader-text", ".more-link", ".sharedaddy", ".jp-relatedposts"),
)
