"""The Scrapy side of ``bench/crawl.py``: a spider doing the same job as ``topicscrape crawl``.

Run by the benchmark as ``scrapy runspider bench/crawl_spider.py -a urls=FILE -o OUT.jsonl:jsonlines``:
fetch every start URL, follow the pager's next link, and write one JSON line per teaser with its
title, absolute URL and excerpt, found by CSS selectors (the drupal7 profile's own). Settings are
Scrapy's defaults except what makes the comparison fair: the same concurrency (16, all on one host),
no delay, no robots.txt, no AutoThrottle, and quiet logs.

Scrapy is a bench-only dependency (the ``bench`` extra); nothing in the package imports this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

__all__ = ["TopicSpider"]


class TopicSpider(scrapy.Spider):
    """Listing pages → teaser items (title, url, excerpt) plus the next page."""

    name = "topics"
    custom_settings: ClassVar[dict[str, Any]] = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "FEED_EXPORT_ENCODING": "utf-8",
    }

    def __init__(self, urls: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls_file = Path(urls)

    async def start(self) -> Any:  # Scrapy >= 2.13
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        """One request per line of the URL file."""
        for line in self.urls_file.read_text(encoding="utf-8").split():
            yield scrapy.Request(line, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Yield the page's teasers, then a request for the next page if there is one."""
        for row in response.css(".region-content .view-content > .views-row"):
            title = " ".join(row.css("h2.node-title a::text").getall()).strip()
            href = row.css("h2.node-title a::attr(href)").get()
            excerpt = " ".join(row.css(".field-name-body p::text").getall()).strip()
            yield {
                "title": title,
                "url": response.urljoin(href) if href else None,
                "excerpt": excerpt or None,
                "source_url": response.url,
            }
        next_href = response.css("ul.pager li.pager-next a::attr(href)").get()
        if next_href:
            yield response.follow(next_href, callback=self.parse)
