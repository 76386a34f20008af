"""Extraction accuracy on the labelled pages: auto-detection, and the generic detector alone.

Run: ``python bench/accuracy.py [--backend lexbor|soup] [--pages] [--misses]``

Prints, per profile (the one auto-detection chose) and overall: title precision, recall and F1;
URL, excerpt and date accuracy on matched teasers; topic and next-page accuracy per page; and
boilerplate leaks. Then the same with ``profile="generic"`` forced on every page. The issue's targets
count the real third-party pages (tests/corpus); the project's own fixtures are shown apart.
How each figure is computed: tests/corpus/scoring.py. The floors tests/test_gold.py enforces:
tests/corpus/floors.json.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from corpus import scoring  # noqa: E402  (tests/corpus/scoring.py: the scorer tests/test_gold.py uses)
from corpus.scoring import PageScore, Totals  # noqa: E402

_HEADER = (
    f"{'':22}{'pages':>6}{'teasers':>8}{'found':>6}{'P':>7}{'R':>7}{'F1':>7}"
    f"{'url':>7}{'excerpt':>8}{'date':>7}{'topic':>7}{'next':>7}{'leaks':>6}"
)


def _row(name: str, scores: Iterable[PageScore]) -> str:
    t = Totals.of(scores)
    return (
        f"{name:22}{t.pages:>6}{t.labelled:>8}{t.extracted:>6}{t.precision:>7.3f}{t.recall:>7.3f}"
        f"{t.f1:>7.3f}{t.url_acc:>7.3f}{t.excerpt_acc:>8.3f}{t.date_acc:>7.3f}"
        f"{t.topic_ok / max(t.pages, 1):>7.3f}{t.next_ok / max(t.pages, 1):>7.3f}{t.leaks:>6}"
    )


def _table(title: str, scores: list[PageScore], *, by_profile: bool) -> None:
    print(f"\n{title}")
    print(_HEADER)
    if by_profile:
        for profile in sorted({s.profile for s in scores}):
            print(_row(profile, [s for s in scores if s.profile == profile]))
    print(_row("overall", scores))


def _details(scores: list[PageScore], *, misses: bool) -> None:
    for s in scores:
        t = Totals.of([s])
        print(
            f"  {s.name[:52]:52} {s.profile:10} {t.matched:>3}/{t.labelled:<3} found {t.extracted:<3}"
            f" url {t.url_ok:<3} exc {t.excerpt_ok:<3} date {t.date_ok:<3} leaks {t.leaks}"
        )
        if misses:
            for line in s.misses + s.leaks:
                print(f"      - {line[:180]}")


def main() -> None:
    """Print the accuracy tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="lexbor", choices=("lexbor", "soup"))
    parser.add_argument("--pages", action="store_true", help="one line per page")
    parser.add_argument("--misses", action="store_true", help="list every difference (implies --pages)")
    args = parser.parse_args()

    pages = scoring.load_corpus()
    real = [p for p in pages if p.origin == "third-party"]
    own = [p for p in pages if p.origin == "fixtures"]
    auto_real = scoring.score_pages(real, backend=args.backend)
    generic_real = scoring.score_pages(real, profile="generic", backend=args.backend)
    auto_own = scoring.score_pages(own, backend=args.backend)
    generic_own = scoring.score_pages(own, profile="generic", backend=args.backend)

    print(f"backend {args.backend}; {len(real)} third-party pages (tests/corpus), {len(own)} fixture pages")
    _table("third-party pages, auto-detection (by chosen profile)", auto_real, by_profile=True)
    if args.pages or args.misses:
        _details(auto_real, misses=args.misses)
    _table("third-party pages, --profile generic on every page", generic_real, by_profile=False)
    if args.pages or args.misses:
        _details(generic_real, misses=args.misses)
    _table("project fixtures (self-written; not in the targets), auto-detection", auto_own, by_profile=True)
    _table("project fixtures, --profile generic", generic_own, by_profile=False)
    if args.pages or args.misses:
        _details(auto_own + generic_own, misses=args.misses)
    print("\npinned figures (third-party):", scoring.figures(auto_real, generic_real))
    print("pinned figures (fixtures):   ", scoring.figures(auto_own, generic_own))


if __name__ == "__main__":
    main()
