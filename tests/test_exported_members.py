"""The public API in scraper/__init__.py: everything listed is importable, and the list is sorted."""

from __future__ import annotations

import types

import scraper


def test_all_is_sorted_and_importable() -> None:
    assert scraper.__all__ == sorted(scraper.__all__)
    for name in scraper.__all__:
        assert hasattr(scraper, name), name


def test_every_public_member_is_listed() -> None:
    public = {
        name
        for name, value in vars(scraper).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert public <= set(scraper.__all__), sorted(public - set(scraper.__all__))
