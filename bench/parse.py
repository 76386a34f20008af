"""Parse throughput: parse_topic_page (both backends) against selectolax and BeautifulSoup parse-only.

Run: ``python bench/parse.py [--pages 300] [--repeat 5]``

The pages are every real listing page in the repository (fixtures/**.html and tests/corpus/*.html),
cycled to the requested count, as bytes, exactly as a crawl hands them over. Each figure is the
best of ``--repeat`` runs (the machine is shared; the minimum is the least noisy estimate).
Targets (issue 2): lexbor ≤ 1.5x selectolax parse-only; ≥ 30x faster than the soup backend.
"""

from __future__ import annotations

import argparse
import itertools
import json
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


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print pages/s for each way of reading the same pages."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300, help="how many pages per run (default 300)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept (default 5)")
    args = parser.parse_args()

    real = _pages()
    if not real:
        raise SystemExit("no pages found under fixtures/ or tests/corpus/")
    pages = list(itertools.islice(itertools.cycle(real), args.pages))
    megabytes = sum(len(b) for _, b in pages) / 1e6

    def ours(backend: str) -> Callable[[], None]:
        def run() -> None:
            for url, body in pages:
                try:
                    parse_topic_page(body, url=url, backend=backend)
                except ParseError:
                    pass

        return run

    def lexbor_only() -> None:
        for _, body in pages:
            LexborHTMLParser(body)

    def soup_only() -> None:
        for _, body in pages:
            BeautifulSoup(body, "lxml")

    soup_pages = max(args.pages // 10, len(real))  # BeautifulSoup is slow; time fewer pages, scale
    soup_subset = pages[:soup_pages]

    def ours_soup() -> None:
        for url, body in soup_subset:
            try:
                parse_topic_page(body, url=url, backend="soup")
            except ParseError:
                pass

    results = {
        "selectolax parse-only": _best(lexbor_only, args.repeat) / len(pages),
        "parse_topic_page lexbor": _best(ours("lexbor"), args.repeat) / len(pages),
        "BeautifulSoup(lxml) parse-only": _best(soup_only, max(args.repeat // 2, 1)) / len(pages),
        "parse_topic_page soup": _best(ours_soup, max(args.repeat // 2, 1)) / len(soup_subset),
    }
    print(f"{len(pages)} pages ({len(real)} distinct real pages, {megabytes:.1f} MB), best of {args.repeat}")
    print(f"{'':34}{'pages/s':>10}{'ms/page':>10}")
    for name, per_page in results.items():
        print(f"{name:34}{1 / per_page:>10.0f}{per_page * 1000:>10.2f}")
    base = results["selectolax parse-only"]
    ours_lexbor = results["parse_topic_page lexbor"]
    print(f"lexbor backend / selectolax parse-only: {ours_lexbor / base:.2f}x (target <= 1.5x)")
    print(f"soup backend / lexbor backend: {results['parse_topic_page soup'] / ours_lexbor:.0f}x (target >= 30x)")


if __name__ == "__main__":
    main()
