"""``topicscrape wayback`` on the command line against the fake archive on 127.0.0.1: --record,
and the files a run may not share."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.cli import main

from e2e.archive import FIXTURES, FakeArchive

pytestmark = pytest.mark.slow

TOPIC = "https://www.dhs.gov/keywords/secure-communities"


def test_record_then_replay_gives_the_same_records(tmp_path: Path) -> None:
    """`wayback --record DIR` saves what the run read; `--replay DIR` gives the same lines offline."""
    fake = FakeArchive()
    site = fake.serve()
    config = tmp_path / "fast.toml"
    config.write_text("cdx_per_minute = 60000\ncaptures_per_second = 1000\n", encoding="utf-8")
    live, folder = tmp_path / "live.jsonl", tmp_path / "recorded"
    argv = ["wayback", TOPIC, "--from", "2011", "--to", "2017", "--config", str(config), "-q"]
    argv += ["--cdx-url", f"{site.base_url}/cdx/search/cdx", "--archive-url", f"{site.base_url}/web/"]
    try:
        assert main([*argv, "--record", str(folder), "-o", str(live)]) == 0
    finally:
        site.stop()  # the replay below opens no socket: the server is gone
    assert (folder / "index.json").is_file()
    replayed = tmp_path / "replayed.jsonl"
    assert main([*argv, "--replay", str(folder), "-o", str(replayed)]) == 0

    def lines(path: Path) -> list[str]:
        # fetched_at is the time of the run; everything else is the archive's
        return [line.split('"fetched_at"')[0] for line in path.read_text(encoding="utf-8").splitlines()]

    assert len(lines(live)) > 10
    assert lines(replayed) == lines(live)


@pytest.mark.parametrize("output", ["sc.jsonl", "sc.csv"])
def test_state_named_as_the_output_is_refused(
    output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--state` naming the output would put a SQLite file where the records go: exit 2, nothing written."""
    out = tmp_path / output
    argv = ["wayback", TOPIC, "--replay", str(FIXTURES), "-o", str(out), "--state", str(out)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: {out} cannot be both an output and the crawl state; pass another --state\n"
    )
    assert not out.exists()
