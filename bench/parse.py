"""Parse throughput: parse_topic_page (both backends) against selectolax and BeautifulSoup parse-only.

Run: ``python bench/parse.py [--pages 300] [--repeat 5]``

The pages are every real listing page in the repository (fixtures/**.html and tests/corpus/*.html),
cycled to the requested count, as bytes, exactly as a crawl hands them over. Two groups are timed:
the *fast path* (pages a template profile reads: what a crawl of a known site parses) and *all*
pages (the rest go through the slower generic detector). Each figure is the best of ``--repeat``
runs (the machine is shared; the minimum is the least noisy estimate).
Targets (issues 2 and 6), on the fast path with auto-detection on: lexbor ≤ 1.5x selectolax
parse-only; ≥ 30x faster than the soup backend.

A third group shows the floor under the first target: on the Drupal 7 pages, the least any
extraction with selectolax costs (parse, drop scripts and styles, then the profile's first selectors
hard-coded: rows, title link, body text, date attribute, heading and pager link; no detection, no
cleaning, no records), timed interleaved with parse-only page by page so that the machine's drift
cancels out.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup
from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import ParseError, parse_topic_page  # noqa: E402


def _pages() -> list[tuple[str, bytes]]:
    """(url, body) of every real listing page in the repository."""
    pages = []
    for html in sorted([*ROOT.glob("fixtures/**/*.html"), *ROOT.glob("tests/corpus/*.html")]):
        label = html.with_suffix(".json")
        url = None
        if label.exists():
            url = json.loads(label.read_text(encoding="utf-8")).get("page_url")
        pages.append((url or html.resolve().as_uri(), html.read_bytes()))
    return pages


def _profile_of(url: str, body: bytes) -> str:
    try:
        return parse_topic_page(body, url=url).profile
    except ParseError:
        return "none"


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _measure(real: list[tuple[str, bytes]], count: int, repeat: int) -> dict[str, float]:
    """Seconds per page for each way of reading ``count`` pages cycled from ``real``."""
    pages = list(itertools.islice(itertools.cycle(real), count))
    soup_pages = pages[: max(count // 10, len(real))]  # BeautifulSoup is slow: time fewer pages

    def ours(backend: str, subset: list[tuple[str, bytes]]) -> Callable[[], None]:
        def run() -> None:
            for url, body in subset:
                with contextlib.suppress(ParseError):
                    parse_topic_page(body, url=url, backend=backend)

        return run

    def lexbor_only() -> None:
        for _, body in pages:
            LexborHTMLParser(body)

    def soup_only() -> None:
        for _, body in soup_pages:
            BeautifulSoup(body, "lxml")

    slow_repeat = max(repeat // 2, 1)
    return {
        "selectolax parse-only": _best(lexbor_only, repeat) / len(pages),
        "parse_topic_page lexbor": _best(ours("lexbor", pages), repeat) / len(pages),
        "BeautifulSoup(lxml) parse-only": _best(soup_only, slow_repeat) / len(soup_pages),
        "parse_topic_page soup": _best(ours("soup", soup_pages), slow_repeat) / len(soup_pages),
    }


_NOISE = ["script", "style", "noscript", "template", "iframe", "svg", "textarea"]


def _bare_extraction(body: bytes) -> list[tuple[str, str | None, str | None, str | None]]:
    """What a Drupal 7 listing yields to its profile's first selectors, and nothing more."""
    tree = LexborHTMLParser(body)
    tree.strip_tags(_NOISE)
    rows = []
    for row in tree.css(".view-content > .views-row"):
        link = row.css_first("h2.node-title a")
        if link is None:
            continue
        body_node = row.css_first(".field-name-body")
        date = row.css_first(".date-display-single")
        rows.append(
            (
                link.text(),
                link.attributes.get("href"),
                None if body_node is None else body_node.text(),
                None if date is None else date.attributes.get("content"),
            )
        )
    tree.css_first("h1#page-title")
    tree.css_first("ul.pager li.pager-next a")
    return rows


def _floor(pages: list[tuple[str, bytes]], repeat: int) -> None:
    """Print bare extraction and parse_topic_page against parse-only, interleaved page by page."""
    ratios: dict[str, list[float]] = {"bare selectolax extraction": [], "parse_topic_page lexbor": []}
    for _ in range(repeat):
        spent = dict.fromkeys(["parse-only", *ratios], 0.0)
        for url, body in pages:
            start = time.perf_counter()
            LexborHTMLParser(body)
            parsed = time.perf_counter()
            _bare_extraction(body)
            bare = time.perf_counter()
            parse_topic_page(body, url=url)
            spent["parse-only"] += parsed - start
            spent["bare selectolax extraction"] += bare - parsed
            spent["parse_topic_page lexbor"] += time.perf_counter() - bare
        for name in ratios:
            ratios[name].append(spent[name] / spent["parse-only"])
    print(f"\nTHE FLOOR: {len(pages)} Drupal 7 pages, interleaved with selectolax parse-only")
    for name, values in ratios.items():
        print(f"{name:34} best {min(values):.2f}x, median {statistics.median(values):.2f}x parse-only")


def _report(title: str, results: dict[str, float]) -> None:
    print(f"\n{title}")
    print(f"{'':34}{'pages/s':>10}{'ms/page':>10}")
    for name, per_page in results.items():
        print(f"{name:34}{1 / per_page:>10.0f}{per_page * 1000:>10.2f}")
    ours = results["parse_topic_page lexbor"]
    print(
        f"lexbor backend / selectolax parse-only: {ours / results['selectolax parse-only']:.2f}x (target <= 1.5x)"
    )
    print(f"soup backend / lexbor backend: {results['parse_topic_page soup'] / ours:.0f}x (target >= 30x)")


def main() -> None:
    """Print pages/s for each way of reading the same pages, fast path and all pages."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=300, help="how many pages per run (default 300)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept (default 5)")
    args = parser.parse_args()

    real = _pages()
    if not real:
        raise SystemExit("no pages found under fixtures/ or tests/corpus/")
    profiles = [_profile_of(url, body) for url, body in real]
    fast = [page for page, name in zip(real, profiles, strict=True) if name not in ("generic", "none")]
    counts = {name: profiles.count(name) for name in sorted(set(profiles))}
    print(
        f"{len(real)} distinct real pages ({sum(len(b) for _, b in real) / 1e6:.1f} MB); by profile: {counts}"
    )
    print(f"{args.pages} pages per run, best of {args.repeat}")
    if fast:
        _report(f"FAST PATH: {len(fast)} pages a profile reads", _measure(fast, args.pages, args.repeat))
    _report(
        f"ALL PAGES: {len(real)} pages (generic detector included)", _measure(real, args.pages, args.repeat)
    )
    drupal7 = [page for page, name in zip(real, profiles, strict=True) if name == "drupal7"]
    if drupal7:
        _floor(list(itertools.islice(itertools.cycle(drupal7), args.pages)), args.repeat)


if __name__ == "__main__":
    main()
