"""parsers is pure: importing it pulls in neither the network stack nor the crawler."""

from __future__ import annotations

import subprocess
import sys


def test_parsers_import_leaves_network_out() -> None:
    """A fresh interpreter importing parsers (and parsing a page) has no httpx or scraper module."""
    code = (
        "import sys, parsers\n"
        "parsers.parse_topic_page('<div class=view-content><div class=views-row>"
        "<h2 class=node-title><a href=/a>A headline</a></h2></div></div>', url='https://x.gov/')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'httpcore', 'scraper'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
