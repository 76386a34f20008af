"""Template profiles: which selectors read which family of listing pages.

Auto-detection tries the profiles in :data:`PROFILES` order (most specific first) and keeps the
first that finds teasers; pages no profile knows go to the generic detector.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from parsers.errors import ProfileError
from parsers.profiles import drupal7, drupal8, uswds, wordpress
from parsers.profiles.base import Draft, Profile, detects, first, run_profile

__all__ = [
    "PROFILES",
    "Draft",
    "Profile",
    "detects",
    "first",
    "get_profile",
    "load_profile_file",
    "run_profile",
]

PROFILES: tuple[Profile, ...] = (uswds.PROFILE, drupal8.PROFILE, wordpress.PROFILE, drupal7.PROFILE)
"""Known template families, in auto-detection order: the most specific markers first (USWDS
classes, Drupal 8's BEM classes, WordPress's ``hentry``), Drupal 7's ``views-row`` last because
Drupal 8+ sites print it too."""

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


def load_profile_file(path: str | Path) -> Profile:
    """Read a user profile from a TOML file.

    Every selector key takes a string or a list of strings::

        name = "mysite"
        item = "ul.news > li"
        title = "h3 a"
        excerpt = ["p.summary", "p"]
        date = "time"
        next_page = "a.next"

    Raises:
        ProfileError: the file is missing, not TOML, or lacks ``item``/``title``.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    unknown = set(data) - {*_SELECTOR_FIELDS, "name", "source"}
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
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise ProfileError(f"profile {path}: {key!r} must be a selector or a list of selectors")
            fields[key] = tuple(values)
    fields.setdefault("detect", fields["item"])
    return Profile(name=str(data.get("name", path.stem)), source=str(data.get("source", path)), **fields)
