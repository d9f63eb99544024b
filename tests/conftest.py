"""Shared fixtures: the sample outlet on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scraper.sample_outlet import SampleServer, Site, build_site


@pytest.fixture(scope="session")
def sample_site() -> Site:
    return build_site(seed=1, articles=60)


@pytest.fixture(scope="session")
def sample_server(sample_site: Site) -> Iterator[SampleServer]:
    with SampleServer(sample_site) as server:
        yield server
