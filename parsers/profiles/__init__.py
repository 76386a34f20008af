"""Template profiles: which selectors read which family of listing pages.

Auto-detection tries the profiles in :data:`PROFILES` order (most specific first) and keeps the
first that finds teasers; pages no profile knows go to the generic detector.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

from parsers.backends import Node
from parsers.errors import ProfileError
from parsers.profiles import drupal7, drupal8, uswds, wordpress
from parsers.profiles.base import Draft, Profile, detects, first, run_profile, why_no_drafts

__all__ = [
    "PROFILES",
    "Draft",
    "Profile",
    "candidates",
    "detects",
    "first",
    "get_profile",
    "load_profile_file",
    "resolve_profile",
    "run_profile",
    "why_no_drafts",
]

PROFILES: tuple[Profile, ...] = (uswds.PROFILE, drupal8.PROFILE, wordpress.PROFILE, drupal7.PROFILE)
"""Known template families, in auto-detection order: the most specific markers first (USWDS
classes, Drupal 8's BEM classes, WordPress's ``hentry``), Drupal 7's ``views-row`` last because
Drupal 8+ sites print it too. A profile's ``signature`` (Drupal 7's ``node-teaser``) moves it
ahead on the pages that show it."""

_MARKERS_BUT_LAST = ", ".join(s for p in PROFILES[:-1] for s in p.detect)
_SIGNED = tuple(p for p in PROFILES if p.signature)


def candidates(root: Node) -> Iterator[Profile]:
    """The built-in profiles whose markers the page shows: first those whose ``signature`` it
    shows, then the rest in :data:`PROFILES` order.

    Each marker probe that finds nothing walks the whole page (~0.1 of its parse), and a page
    shows at most one family's listing markers: one probe for the markers of every profile but the
    last settles the page of the last family in one walk instead of one per profile. A Drupal 7
    page (the bulk of dhs.gov) is settled sooner, by its signature, found in its first teaser.
    Lazy: the caller stops at the first profile that finds teasers.
    """
    signed = [p for p in _SIGNED if root.css_first(", ".join(p.signature)) is not None]
    yield from signed
    *others, last = PROFILES
    if root.css_first(_MARKERS_BUT_LAST) is not None:
        yield from (p for p in others if p not in signed and detects(root, p))
    if last not in signed and detects(root, last):
        yield last


_SELECTOR_FIELDS = (
    "detect", "item", "title", "container", "link", "excerpt", "date", "topic", "next_page", "strip",
)  # fmt: skip


def get_profile(name: str) -> Profile:
    """A built-in profile by name.

    Raises:
        ProfileError: no profile has that name.
    """
    for profile in PROFILES:
        if profile.name == name:
            return profile
    names = ", ".join([p.name for p in PROFILES] + ["generic"])
    raise ProfileError(f"unknown profile {name!r}; built-in profiles: {names}")


def _check_selector(path: Path, key: str, selector: str) -> None:
    """Compile ``selector`` with both backends' CSS engines, so a typo fails when the profile is
    loaded, with its key, rather than as an error on every page."""
    from parsers.backends import BACKENDS, get_backend

    for backend in BACKENDS:
        try:
            get_backend(backend)("<html><body></body></html>").css(selector)
        except Exception as exc:  # each CSS engine has its own error class; any means "invalid"
            raise ProfileError(
                f"profile {path}: {key} selector {selector!r} is not valid CSS: {exc}"
            ) from exc


def resolve_profile(value: str | None) -> Profile | str | None:
    """What a ``--profile`` value names: a TOML file (``*.toml`` or an existing file) is loaded, a
    built-in name (or ``generic``) passes through, None means auto-detect. Checked here, so a typo
    stops a crawl before its first request.

    Raises:
        ProfileError: the file cannot be used as a profile, or no profile has that name.
    """
    if value is None or value == "generic":
        return value
    if value.endswith(".toml") or Path(value).is_file():
        return load_profile_file(value)
    get_profile(value)
    return value


def load_profile_file(path: str | Path) -> Profile:
    """Read a user profile from a TOML file.

    Every selector key takes a string or a list of strings (tried in order, first match wins)::

        name = "mysite"
        item = "ul.news > li"
        title = "h3 a"
        excerpt = ["p.summary", "p"]
        date = "time"
        next_page = "a.next"

    Keys: ``item`` and ``title`` (required), ``container``, ``link``, ``excerpt``, ``date``,
    ``topic``, ``next_page``, ``strip``, ``detect`` (default: ``item``), ``name`` (default: the file
    name; written into each record), ``source`` and ``excerpt_fallback`` (true: without an
    ``excerpt`` match, take the text after the headline).

    Raises:
        ProfileError: the file is missing or not TOML, lacks ``item``/``title``, has an unknown key,
            a value of the wrong type, a selector that is not valid CSS, or a built-in's name.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    unknown = set(data) - {*_SELECTOR_FIELDS, "name", "source", "excerpt_fallback"}
    if unknown:
        raise ProfileError(f"profile {path}: unknown keys {', '.join(sorted(unknown))}")
    for required in ("item", "title"):
        if required not in data:
            raise ProfileError(f"profile {path}: {required!r} is required")
    fields: dict[str, tuple[str, ...]] = {}
    for key in _SELECTOR_FIELDS:
        if key in data:
            value = data[key]
            values = [value] if isinstance(value, str) else value
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) and v for v in values)
            ):
                raise ProfileError(f"profile {path}: {key!r} must be a selector or a list of selectors")
            for selector in values:
                _check_selector(path, key, selector)
            fields[key] = tuple(values)
    fields.setdefault("detect", fields["item"])
    name = data.get("name", path.stem)
    source = data.get("source", str(path))
    fallback = data.get("excerpt_fallback", False)
    if not isinstance(name, str) or not name.strip() or not isinstance(source, str):
        raise ProfileError(f"profile {path}: 'name' and 'source' must be non-empty strings")
    if name in {p.name for p in PROFILES} | {"generic", "text"}:
        raise ProfileError(f"profile {path}: the name {name!r} belongs to a built-in profile")
    if not isinstance(fallback, bool):
        raise ProfileError(f"profile {path}: 'excerpt_fallback' must be true or false")
    return Profile(
        name=name,
        source=source,
        detect=fields["detect"],
        item=fields["item"],
        title=fields["title"],
        excerpt_fallback=fallback,
        **{k: v for k, v in fields.items() if k not in ("detect", "item", "title")},
    )
