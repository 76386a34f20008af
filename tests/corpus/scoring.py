"""Score ``parse_topic_page`` against hand-labelled listing pages.

Used by ``bench/accuracy.py`` (prints the table) and ``tests/test_gold.py`` (fails under the floors),
so both read the same figures. Two sets of labelled pages:

* ``third-party``: the real pages in ``tests/corpus/`` (``<name>.html`` + ``<name>.json``), saved
  from public repositories and labelled by reading the HTML. The issue's targets count these only.
  They are parsed as served with ``Content-Type: text/html; charset=utf-8``, which is what they are:
  the copies were written as UTF-8 whatever their ``<meta>`` says (README.md, "Caveats"), so a
  stale ``<meta charset=iso-8859-1>`` (housegov-brady) must not turn "’" into "â€™".
* ``fixtures``: the project's own reconstructed pages (``fixtures/*/expected/<stem>.json`` labels
  ``fixtures/*/<host>/<stem>.html``), served with the headers in the folder's ``index.json``.

How a page is scored (decisions, so figures stay comparable over time):

* Titles match by text after :func:`parsers.clean.normalize_space` (whitespace collapsed, NFC),
  **case-sensitive**, exact. Matching is greedy in page order: an extracted title takes the first
  unmatched label with the same text, so duplicates count once each.
* Precision = matched / extracted, recall = matched / labelled, F1 from the summed counts (micro).
* URL, excerpt, date and topic figures are over *matched* teasers: the record's value equals the
  label's, ``None`` equals ``None``. Excerpts compare after ``normalize_space``; dates as ISO dates.
* A *leak* is a record whose title or excerpt is navigation text: :func:`is_boilerplate`, or it holds
  one of the label's ``boilerplate_seen`` strings as a whole phrase (case-sensitive, not inside a
  longer word: "Home" does not leak through "Homeland") that the matched label's own text lacks.
* A page whose label has no teasers expects ``NoTeasersFound``; anything extracted there is a false
  positive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from parsers import NoTeasersFound, ParseError, Record, parse_topic_page
from parsers.clean import is_boilerplate, normalize_space

__all__ = [
    "FIGURES",
    "LabelledPage",
    "PageScore",
    "Totals",
    "figures",
    "load_corpus",
    "score_page",
    "score_pages",
]

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
FIXTURES = ROOT / "fixtures"

UTF8 = "text/html; charset=utf-8"

FIGURES = ("title_f1", "url_acc", "excerpt_acc", "date_acc", "leaks")
"""The figures pinned in ``floors.json`` (leaks is a ceiling: higher is worse)."""


@dataclass(frozen=True)
class LabelledPage:
    """One labelled page: where its bytes are and what a perfect parse returns."""

    name: str
    origin: str
    """``third-party`` (tests/corpus) or ``fixtures`` (the project's own pages)."""
    html_path: Path
    url: str
    content_type: str | None
    label: dict[str, object]

    @property
    def teasers(self) -> list[dict[str, object]]:
        """The labelled teasers, in page order."""
        teasers = self.label["teasers"]
        assert isinstance(teasers, list)
        return teasers

    @property
    def boilerplate(self) -> list[str]:
        """Strings on the page that must not appear in any record."""
        seen = self.label.get("boilerplate_seen") or []
        assert isinstance(seen, list)
        return [s for s in seen if isinstance(s, str) and s.strip()]


def _content_types(folder: Path) -> dict[str, str | None]:
    """file (relative to the fixture folder) → its served Content-Type."""
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    out: dict[str, str | None] = {}
    for entry in index["responses"].values():
        if entry.get("file"):
            ctype = next((v for k, v in entry.get("headers", []) if k.lower() == "content-type"), None)
            out[entry["file"]] = ctype
    return out


def load_corpus(*, corpus: Path = CORPUS, fixtures: Path = FIXTURES) -> list[LabelledPage]:
    """Every labelled page: the third-party corpus first, then the project's fixtures."""
    pages = []
    for label_path in sorted(corpus.glob("*.json")):
        if label_path.name == "floors.json":
            continue
        label = json.loads(label_path.read_text(encoding="utf-8"))
        html_path = label_path.with_suffix(".html")
        url = label.get("page_url") or html_path.resolve().as_uri()
        pages.append(LabelledPage(label_path.stem, "third-party", html_path, url, UTF8, label))
    for expected in sorted(fixtures.glob("*/expected")):
        folder = expected.parent
        types = _content_types(folder) if (folder / "index.json").exists() else {}
        for label_path in sorted(expected.glob("*.json")):
            label = json.loads(label_path.read_text(encoding="utf-8"))
            matches = sorted(folder.glob(f"*/{label_path.stem}.html"))
            if len(matches) != 1:
                raise FileNotFoundError(f"{label_path}: expected one page named {label_path.stem}.html")
            html_path = matches[0]
            rel = html_path.relative_to(folder).as_posix()
            url = label.get("page_url") or html_path.resolve().as_uri()
            name = f"{folder.name}/{label_path.stem}"
            pages.append(LabelledPage(name, "fixtures", html_path, url, types.get(rel), label))
    return pages


def _phrase_re(phrase: str) -> re.Pattern[str]:
    phrase = normalize_space(phrase)
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")


def _contains(text: str | None, pattern: re.Pattern[str]) -> bool:
    return bool(text) and pattern.search(normalize_space(text or "")) is not None


def _norm(value: object) -> str | None:
    return None if value is None else normalize_space(str(value)) or None


@dataclass
class PageScore:
    """How one parse of one page compares with its label."""

    name: str
    origin: str
    profile: str
    """The profile that extracted the records (``-`` when nothing was found)."""
    labelled: int
    extracted: int = 0
    matched: int = 0
    url_ok: int = 0
    excerpt_ok: int = 0
    date_ok: int = 0
    leaks: list[str] = field(default_factory=list)
    topic_ok: bool = False
    next_ok: bool = False
    misses: list[str] = field(default_factory=list)
    """Human-readable differences, for the report."""


def score_page(page: LabelledPage, *, profile: str | None = None, backend: str = "lexbor") -> PageScore:
    """Parse ``page`` (auto-detect, or the named profile) and compare every field with its label."""
    body = page.html_path.read_bytes()
    score = PageScore(page.name, page.origin, "-", labelled=len(page.teasers))
    try:
        parsed = parse_topic_page(
            body, url=page.url, profile=profile, backend=backend, content_type=page.content_type
        )
    except NoTeasersFound:
        # Finding nothing is the right answer on a page that lists nothing.
        score.topic_ok = score.next_ok = not page.teasers
        if page.teasers:
            score.misses.append("no teasers found")
        return score
    except ParseError as exc:  # pragma: no cover - reported, not raised: one bad page is one row
        score.misses.append(f"parse error: {exc}")
        return score
    records: list[Record] = parsed.to_records()
    score.profile = parsed.profile
    score.extracted = len(records)
    score.topic_ok = _norm(parsed.topic) == _norm(page.label.get("topic"))
    score.next_ok = parsed.next_url == page.label.get("next_page")
    if not score.topic_ok:
        score.misses.append(f"topic {parsed.topic!r} != {page.label.get('topic')!r}")
    if not score.next_ok:
        score.misses.append(f"next {parsed.next_url!r} != {page.label.get('next_page')!r}")
    gold = page.teasers
    used = [False] * len(gold)
    patterns = [(p, _phrase_re(p)) for p in page.boilerplate]
    for record in records:
        index = next(
            (i for i, g in enumerate(gold) if not used[i] and _norm(g["title"]) == record.title), None
        )
        label = gold[index] if index is not None else None
        if index is not None:
            used[index] = True
            score.matched += 1
            assert label is not None
            checks = (
                ("url", record.url, label.get("url")),
                ("excerpt", _norm(record.excerpt), _norm(label.get("excerpt"))),
                ("date", record.date.isoformat() if record.date else None, label.get("date")),
            )
            for what, got, want in checks:
                if got == want:
                    setattr(score, f"{what}_ok", getattr(score, f"{what}_ok") + 1)
                else:
                    score.misses.append(f"{what} of {record.title!r}: {got!r} != {want!r}")
        else:
            score.misses.append(f"extra record {record.title!r}")
        for what, text in (("title", record.title), ("excerpt", record.excerpt)):
            if text and is_boilerplate(text):
                score.leaks.append(f"{what} {text!r} is boilerplate")
                continue
            own = _norm(label.get(what)) if label is not None else None
            for phrase, pattern in patterns:
                if _contains(text, pattern) and not _contains(own, pattern):
                    score.leaks.append(f"{what} of {record.title!r} holds {phrase!r}")
    for i, g in enumerate(gold):
        if not used[i]:
            score.misses.append(f"missed {g['title']!r}")
    return score


def score_pages(
    pages: Iterable[LabelledPage], *, profile: str | None = None, backend: str = "lexbor"
) -> list[PageScore]:
    """:func:`score_page` over many pages."""
    return [score_page(p, profile=profile, backend=backend) for p in pages]


@dataclass(frozen=True)
class Totals:
    """Summed counts over pages, and the figures they give."""

    pages: int
    labelled: int
    extracted: int
    matched: int
    url_ok: int
    excerpt_ok: int
    date_ok: int
    leaks: int
    topic_ok: int
    next_ok: int

    @classmethod
    def of(cls, scores: Iterable[PageScore]) -> Totals:
        """Add up page scores."""
        rows = list(scores)
        return cls(
            pages=len(rows),
            labelled=sum(s.labelled for s in rows),
            extracted=sum(s.extracted for s in rows),
            matched=sum(s.matched for s in rows),
            url_ok=sum(s.url_ok for s in rows),
            excerpt_ok=sum(s.excerpt_ok for s in rows),
            date_ok=sum(s.date_ok for s in rows),
            leaks=sum(len(s.leaks) for s in rows),
            topic_ok=sum(s.topic_ok for s in rows),
            next_ok=sum(s.next_ok for s in rows),
        )

    @staticmethod
    def _ratio(num: int, den: int) -> float:
        return num / den if den else 1.0

    @property
    def precision(self) -> float:
        return self._ratio(self.matched, self.extracted)

    @property
    def recall(self) -> float:
        return self._ratio(self.matched, self.labelled)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def url_acc(self) -> float:
        return self._ratio(self.url_ok, self.matched)

    @property
    def excerpt_acc(self) -> float:
        return self._ratio(self.excerpt_ok, self.matched)

    @property
    def date_acc(self) -> float:
        return self._ratio(self.date_ok, self.matched)


def figures(auto: Iterable[PageScore], generic: Iterable[PageScore]) -> dict[str, float]:
    """The pinned figures: auto-detection's, plus the generic detector's title F1."""
    totals = Totals.of(auto)
    return {
        "title_f1": round(totals.f1, 4),
        "url_acc": round(totals.url_acc, 4),
        "excerpt_acc": round(totals.excerpt_acc, 4),
        "date_acc": round(totals.date_acc, 4),
        "leaks": totals.leaks,
        "generic_title_f1": round(Totals.of(generic).f1, 4),
    }
