"""Tests for scraper/__main__.py: ``python -m scraper`` and the ``topicscrape`` entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scraper.__main__ import INTERRUPTED, run
from scraper.cli import ExitCode


class _InterruptedImport:
    """Stands for scraper.cli while a Ctrl-C lands in the middle of importing it."""

    def __getattr__(self, name: str) -> object:
        raise KeyboardInterrupt


def test_ctrl_c_while_importing_exits_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C during the imports is an interrupted run (130), as one later in the crawl is."""
    monkeypatch.setitem(sys.modules, "scraper.cli", _InterruptedImport())
    assert run() == INTERRUPTED == ExitCode.INTERRUPTED


def test_python_dash_m_scraper_runs_the_command_line() -> None:
    """`python -m scraper --help` lists the commands, as `topicscrape --help` does."""
    done = subprocess.run(
        [sys.executable, "-m", "scraper", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "crawl" in done.stdout
    assert "wayback" in done.stdout
