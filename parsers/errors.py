"""Errors raised by the parsers.

Everything a parser raises on bad *input* is a :class:`ParseError`, so a caller that maps
pages over millions of documents needs one ``except``. Mistakes in *calling* the parser (a
wrong argument type, an unknown backend name) stay ``TypeError``/``ValueError``.

    ParseError(ValueError)
     ├── UndecodableInput   the bytes are not a text document (binary, PDF, bad charset)
     ├── InputTooLarge      larger than the parser accepts (or nested too deep to walk)
     ├── NoTeasersFound     a readable page, but it lists no teasers
     └── ProfileError       a user profile file cannot be used
"""

from __future__ import annotations

__all__ = ["InputTooLarge", "NoTeasersFound", "ParseError", "ProfileError", "UndecodableInput"]


class ParseError(ValueError):
    """The input cannot be turned into a topic page. Skip it and carry on."""


class UndecodableInput(ParseError):
    """The bytes are not an HTML or text document: binary data, a PDF, or an unknown charset.

    Nothing can be extracted; re-fetching will not help unless the server sent the wrong thing.
    """


class InputTooLarge(ParseError):
    """The input is larger, or its markup nested deeper, than a listing page can plausibly be.

    Raise the limit (``max_bytes``) only for a page you trust.
    """


class NoTeasersFound(ParseError):
    """The page was read, but no profile found a teaser on it.

    In a crawl this ends the pagination of a topic. On a page that should have teasers, try
    another ``--profile`` or write one (see the README, "Profiles").
    """

    def __init__(self, url: str, profile: str | None, reason: str | None = None) -> None:
        self.url = url
        self.profile = profile
        self.reason = reason
        """With a given profile: which of its selectors found nothing ("item selector
        'div.teaser' matched no element"), for the user who wrote it."""
        tried = f"profile {profile!r}" if profile else "any profile"
        said = f": {reason}" if reason else ""
        super().__init__(f"no teasers found on {url} with {tried}{said}")


class ProfileError(ParseError):
    """A profile (named or from a TOML file) does not exist or is malformed. Fix the profile."""
