"""Tests for scraper/errors.py: the tree, the data each error carries, and its message."""

from __future__ import annotations

import shlex

import pytest

from scraper.errors import (
    Blocked,
    FetchError,
    FixtureMissing,
    NotArchived,
    NotHtml,
    OffsiteRedirect,
    RateLimited,
    RedirectLoop,
    ScraperError,
    TooLarge,
    validation_problems,
)


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (FetchError("u", "r"), ScraperError),
        (RateLimited("u", 3.0), FetchError),
        (TooLarge("u", 10), FetchError),
        (NotHtml("u", "application/pdf"), FetchError),
        (OffsiteRedirect("u", "https://elsewhere/"), FetchError),
        (RedirectLoop("u", ["a", "b", "a"]), FetchError),
        (Blocked("u", "robots"), ScraperError),
        (NotArchived("u"), ScraperError),
        (FixtureMissing("u", "fixtures/x"), ScraperError),
    ],
)
def test_every_error_sits_in_the_tree(error: ScraperError, parent: type[Exception]) -> None:
    """Each error derives from its documented parent, and so from ScraperError."""
    assert isinstance(error, parent)
    assert isinstance(error, ScraperError)


def test_blocked_and_fixture_missing_are_not_fetch_errors() -> None:
    """Retrying code that catches FetchError never retries a robots refusal or a missing fixture."""
    assert not isinstance(Blocked("u", "r"), FetchError)
    assert not isinstance(FixtureMissing("u", "d"), FetchError)


def test_fetch_error_carries_url_reason_status_and_transience() -> None:
    """FetchError keeps what a crawl summary needs as attributes."""
    error = FetchError("https://a.gov/x", "HTTP 502 Bad Gateway", status=502, transient=True)
    assert (error.url, error.reason, error.status, error.transient) == (
        "https://a.gov/x",
        "HTTP 502 Bad Gateway",
        502,
        True,
    )
    assert str(error) == "https://a.gov/x: HTTP 502 Bad Gateway"


def test_rate_limited_is_transient_and_says_how_long() -> None:
    """RateLimited carries the server's wait and is always worth trying later."""
    error = RateLimited("https://a.gov/x", 120.0, status=503)
    assert error.retry_after == 120.0
    assert error.transient
    assert error.status == 503
    assert "retry after 120 s" in str(error)
    assert "no Retry-After" in str(RateLimited("u", None))


def test_size_type_and_redirect_errors_are_not_transient() -> None:
    """A page too big, not HTML, or redirecting away will be the same next time."""
    for error in (
        TooLarge("u", 10, size=20),
        NotHtml("u", "image/png"),
        OffsiteRedirect("u", "x"),
        RedirectLoop("u", ["a"]),
    ):
        assert not error.transient
    assert "the body is 20 bytes, over the 10-byte limit" in str(TooLarge("u", 10, size=20))
    assert NotHtml("u", "image/png").content_type == "image/png"


def test_redirect_loop_shows_the_chain() -> None:
    """The message lists the URLs that went round."""
    error = RedirectLoop("https://a/1", ["https://a/1", "https://a/2", "https://a/1"])
    assert error.chain == ("https://a/1", "https://a/2", "https://a/1")
    assert "https://a/1 -> https://a/2 -> https://a/1" in str(error)
    assert "more than 1 redirects" in str(RedirectLoop("u", ["a", "b", "c"], limit=1))


def test_fixture_missing_names_the_url_and_the_record_command() -> None:
    """The message is a command a user can paste, with the URL shell-quoted."""
    url = "https://www.dhs.gov/keywords/secure-communities?page=1&x=2"
    error = FixtureMissing(url, "fixtures/dhs")
    assert url in str(error)
    assert f"topicscrape record {shlex.quote(url)} --to fixtures/dhs" in str(error)
    assert shlex.split(error.command) == ["topicscrape", "record", url, "--to", "fixtures/dhs"]


def test_not_archived_mentions_the_detail() -> None:
    """NotArchived says which URL and, when given, why."""
    assert (
        str(NotArchived("https://a/", "no capture in 2016"))
        == "https://a/: not archived (no capture in 2016)"
    )


def test_validation_problems_read_as_one_line() -> None:
    """pydantic's errors become `field: message; field: message`, the whole input named as asked."""
    from pydantic import BaseModel, ValidationError

    class Two(BaseModel):
        a: int
        b: str

    with pytest.raises(ValidationError) as fields:
        Two.model_validate({"a": "x"})
    assert validation_problems(fields.value) == (
        "a: Input should be a valid integer, unable to parse string as an integer; b: Field required"
    )
    with pytest.raises(ValidationError) as whole:
        Two.model_validate_json(b"[")
    assert validation_problems(whole.value, whole="line").startswith("line: Invalid JSON")
