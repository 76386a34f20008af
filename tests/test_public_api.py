"""Each package's public API is explicit: __all__ complete, sorted, and every name importable."""

from __future__ import annotations

import importlib

import pytest


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


@pytest.mark.parametrize("package", ["parsers", "scraper"])
def test_all_is_sorted_and_importable(package: str) -> None:
    """__all__ is sorted (constants, classes, functions: ruff's RUF022 order) and each name exists."""
    module = importlib.import_module(package)
    names = list(getattr(module, "__all__", []))
    assert names == sorted(names, key=_isort_key)
    for name in names:
        assert hasattr(module, name), name


def test_parsers_exports_the_entry_points() -> None:
    """The documented entry points are public."""
    import parsers

    assert {"parse_topic_page", "parse_text_dump", "Record", "ParseError"} <= set(parsers.__all__)
