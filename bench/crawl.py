"""Crawl throughput and memory: ``topicscrape crawl`` against Scrapy on the same local site.

Run: ``python bench/crawl.py [--pages 2000 20000] [--skip-scrapy] [--repeat 1]``

For each size N, a site of N listing pages (``--per-topic`` pages per topic, chained by the pager's
next link; about 60 KB each, see ``bench/crawl_site.py``) is served from another process on 127.0.0.1.
Then, in the same run:

- ``topicscrape crawl`` (as a subprocess: ``python -m scraper crawl URL... --concurrency 16 --delay 0
  --no-robots -o FILE.jsonl -q``) crawls it from the topics' first pages;
- a Scrapy spider doing the same job (``bench/crawl_spider.py``: same start URLs, follow the next link,
  title/url/excerpt per teaser by CSS selectors, JSON Lines feed; 16 concurrent requests, no delay, no
  robots.txt) crawls it too.

Each crawler's figures come from ``os.wait4`` on its process: wall time from spawn to exit (start-up
included), CPU seconds (user + system) and peak RSS (``ru_maxrss``). "steady" pages/s is the server's
view (first to last listing page served), without interpreter start-up. The server's own CPU share is
printed to show it is not the bottleneck.

Targets (issue 3, point 10): at least 4x Scrapy's pages/s, at most 1/5 of its CPU per page, and peak
RSS that does not grow with N (under 100 MB at 20,000 pages). The machines are shared and noisy:
compare figures within one run, and use ``--repeat`` (the best of each is kept) when in doubt.

This script is never part of the test suite. Scrapy and psutil come from the ``bench`` extra:
``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from crawl_site import TEASERS_PER_PAGE, serve, topic_url  # noqa: E402

SPEED_TARGET = 4.0
"""Issue 3: at least 4x Scrapy's pages/s."""
CPU_TARGET = 1 / 5
"""Issue 3: at most a fifth of Scrapy's CPU per page."""
RSS_TARGET_MB = 100.0
"""Issue 3: peak RSS under 100 MB at 20,000 pages (and not growing with the number of pages)."""


@dataclass(frozen=True)
class Result:
    """One crawl of one site by one crawler."""

    crawler: str
    pages: int
    records: int
    excerpts: int
    """Records with an excerpt: both crawlers must do the same job (every bench teaser has one)."""
    wall: float
    steady: float
    cpu: float
    rss_mb: float
    server_cpu: float
    exit_code: int

    @property
    def rate(self) -> float:
        """Pages per second, start-up included."""
        return self.pages / self.wall if self.wall else 0.0

    @property
    def steady_rate(self) -> float:
        """Pages per second as the server saw them (first to last page)."""
        return (self.pages - 1) / self.steady if self.steady > 0 else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per page (user + system, start-up included)."""
        return 1000 * self.cpu / self.pages if self.pages else float("nan")


class Server:
    """The benchmark site in its own process (spawned, so it shares nothing with this one)."""

    def __init__(self, topics: int, pages: int) -> None:
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=serve, args=(topics, pages, send), daemon=True)
        self.process.start()
        if not receive.poll(30):
            self.process.kill()
            raise SystemExit("the benchmark server did not start")
        self.port: int = receive.recv()
        self.base = f"http://127.0.0.1:{self.port}"
        assert self.process.pid is not None
        self.ps = psutil.Process(self.process.pid)

    def _get(self, path: str) -> dict[str, float]:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            data: dict[str, float] = json.load(response)
            return data

    def reset(self) -> None:
        """Zero the page counter."""
        self._get("/__reset")

    def stats(self) -> dict[str, float]:
        """Pages served since the last reset, and when the first and last were served."""
        return self._get("/__stats")

    def cpu(self) -> float:
        """CPU seconds the server used so far."""
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        """Kill the server process (it serves forever otherwise)."""
        self.process.kill()
        self.process.join(5)


def _measure(command: list[str], *, cwd: Path, log: Path) -> tuple[float, float, float, int]:
    """Run ``command``; return wall seconds, CPU seconds, peak RSS in MB and the exit code."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, process.returncode  # ru_maxrss is KiB on Linux


def _count_records(path: Path) -> tuple[int, int]:
    """JSON lines in ``path``, and how many of them hold an excerpt."""
    if not path.exists():
        return 0, 0
    records = excerpts = 0
    with path.open("rb") as fh:
        for line in fh:
            records += 1
            excerpts += bool(json.loads(line).get("excerpt"))
    return records, excerpts


def _run(name: str, command: list[str], output: Path, server: Server, work: Path) -> Result:
    server.reset()
    server_cpu = server.cpu()
    log = work / f"{name}.log"
    wall, cpu, rss, code = _measure(command, cwd=work, log=log)
    stats = server.stats()
    server_cpu = server.cpu() - server_cpu
    records, excerpts = _count_records(output)
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        print(f"  {name} exited {code}; last output:\n{tail}", file=sys.stderr)
    return Result(
        crawler=name,
        pages=int(stats["pages"]),
        records=records,
        excerpts=excerpts,
        wall=wall,
        steady=stats["last"] - stats["first"],
        cpu=cpu,
        rss_mb=rss,
        server_cpu=server_cpu,
        exit_code=code,
    )


def _ours(urls: list[str], work: Path, concurrency: int) -> tuple[list[str], Path]:
    output = work / "topicscrape.jsonl"
    for stale in work.glob("topicscrape.jsonl*"):
        stale.unlink()
    command = [
        sys.executable,
        "-m",
        "scraper",
        "crawl",
        *urls,
        "--concurrency",
        str(concurrency),
        "--delay",
        "0",
        "--no-robots",
        "-o",
        str(output),
        "-q",
    ]
    return command, output


def _scrapy(urls: list[str], work: Path, concurrency: int) -> tuple[list[str], Path]:
    output = work / "scrapy.jsonl"
    output.unlink(missing_ok=True)
    url_file = work / "start-urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(BENCH / "crawl_spider.py"),
        "-a",
        f"urls={url_file}",
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-O",
        f"{output}:jsonlines",
    ]
    return command, output


def _best(results: list[Result]) -> Result:
    """The run with the least CPU per page (the least disturbed by other load on a shared machine)."""
    return min(results, key=lambda r: (r.cpu_ms, -r.rate))


def _print_table(rows: list[Result]) -> None:
    header = (
        f"{'crawler':12}{'pages':>7}{'records':>9}{'excerpts':>9}{'wall s':>8}{'pages/s':>9}{'steady/s':>9}"
        f"{'CPU ms/pg':>10}{'peak RSS MB':>12}{'server CPU':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        server_share = r.server_cpu / r.wall if r.wall else 0.0
        print(
            f"{r.crawler:12}{r.pages:>7}{r.records:>9}{r.excerpts:>9}{r.wall:>8.1f}{r.rate:>9.0f}{r.steady_rate:>9.0f}"
            f"{r.cpu_ms:>10.2f}{r.rss_mb:>12.0f}{server_share:>10.0%}"
            + ("" if r.exit_code == 0 else f"  (exit {r.exit_code})")
        )


def _verdict(ours: Result, scrapy: Result | None) -> list[str]:
    lines = []
    if scrapy is not None and scrapy.pages and ours.pages:
        speed = ours.rate / scrapy.rate
        steady = ours.steady_rate / scrapy.steady_rate if scrapy.steady_rate else float("nan")
        cpu = ours.cpu_ms / scrapy.cpu_ms
        lines.append(
            f"  speed vs Scrapy: {speed:.2f}x (steady {steady:.2f}x)   target >= {SPEED_TARGET:.0f}x: "
            + ("met" if speed >= SPEED_TARGET else "MISSED")
        )
        lines.append(
            f"  CPU per page vs Scrapy: {cpu:.2f}x   target <= {CPU_TARGET:.2f}x: "
            + ("met" if cpu <= CPU_TARGET else "MISSED")
        )
    lines.append(
        f"  peak RSS {ours.rss_mb:.0f} MB   target < {RSS_TARGET_MB:.0f} MB: "
        + ("met" if ours.rss_mb < RSS_TARGET_MB else "MISSED")
    )
    return lines


def main() -> None:
    """Serve each site size, crawl it with topicscrape (and Scrapy), print the table and the verdicts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pages", type=int, nargs="+", default=[2000, 20000], help="site sizes (default 2000 20000)"
    )
    parser.add_argument("--per-topic", type=int, default=20, help="pages per topic (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--skip-scrapy", action="store_true", help="crawl with topicscrape only")
    parser.add_argument("--repeat", type=int, default=1, help="crawls per crawler and size; the best is kept")
    parser.add_argument("--keep", type=Path, help="keep outputs and logs in this folder")
    args = parser.parse_args()

    if not args.skip_scrapy and shutil.which("scrapy", path=str(Path(sys.executable).parent)) is None:
        try:
            import scrapy
        except ImportError:
            raise SystemExit(
                "Scrapy is not installed: pip install -e '.[bench]' (or pass --skip-scrapy)"
            ) from None

    print(
        f"crawl benchmark: concurrency {args.concurrency}, delay 0, {args.per_topic} pages per topic, "
        f"{TEASERS_PER_PAGE} teasers per page; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
    )
    rows: list[Result] = []
    verdicts: list[str] = []
    for size in args.pages:
        topics = max(1, size // args.per_topic)
        pages = topics * args.per_topic
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"crawlbench-{pages}-", dir=args.keep))
        server = Server(topics, args.per_topic)
        try:
            urls = [topic_url(server.base, t) for t in range(topics)]
            mine: list[Result] = []
            theirs: list[Result] = []
            for _ in range(args.repeat):
                command, output = _ours(urls, work, args.concurrency)
                mine.append(_run("topicscrape", command, output, server, work))
                if not args.skip_scrapy:
                    command, output = _scrapy(urls, work, args.concurrency)
                    theirs.append(_run("scrapy", command, output, server, work))
        finally:
            server.stop()
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
        ours = _best(mine)
        scrapy = _best(theirs) if theirs else None
        for result in (ours, scrapy):
            expected = pages * TEASERS_PER_PAGE
            if result is not None and (result.pages, result.records, result.excerpts) != (
                pages,
                expected,
                expected,
            ):
                print(
                    f"  warning: {result.crawler} got {result.pages} pages / {result.records} records "
                    f"/ {result.excerpts} excerpts of {pages} / {expected} / {expected}",
                    file=sys.stderr,
                )
        rows.extend(r for r in (ours, scrapy) if r is not None)
        verdicts.append(f"{pages} pages:")
        verdicts.extend(_verdict(ours, scrapy))
    print()
    _print_table(rows)
    print()
    print("\n".join(verdicts))
    by_size = [r for r in rows if r.crawler == "topicscrape"]
    if len(by_size) > 1:
        growth = by_size[-1].rss_mb - by_size[0].rss_mb
        print(
            f"peak RSS growth from {by_size[0].pages} to {by_size[-1].pages} pages: {growth:+.0f} MB "
            f"({growth / max(by_size[-1].pages - by_size[0].pages, 1) * 1000:+.2f} MB per 1,000 pages)"
        )


if __name__ == "__main__":
    main()
