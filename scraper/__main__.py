"""``python -m scraper`` and the ``topicscrape`` command.

The command line is imported inside :func:`run`, so a Ctrl-C during the second it takes to import
(httpx, pydantic, selectolax, rich) exits 130 like a Ctrl-C later does, without a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["run"]

INTERRUPTED = 130
"""The exit code of a run stopped by Ctrl-C (as ``scraper.cli.ExitCode.INTERRUPTED``)."""


def run() -> int:
    """Import the command line and run it; the exit code."""
    try:
        from scraper.cli import main
    except KeyboardInterrupt:
        return INTERRUPTED
    return main()


if __name__ == "__main__":
    sys.exit(run())
