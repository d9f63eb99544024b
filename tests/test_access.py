"""The access label: free, teaser or subscriber (issue 5), row by row of the decision table."""

from __future__ import annotations

import pytest

from scraper.access import classify
from scraper.models import Article, PaywallSignal

DECLARED = PaywallSignal("jsonld:isAccessibleForFree", "false", "declared")
GATE = PaywallSignal("gate-element", "div.paywall: subscribe to continue reading", "strong")
VENDOR = PaywallSignal("vendor:piano", "script https://cdn.tinypass.com/api/tinypass.min.js", "weak")
WEAK_GATE = PaywallSignal("gate-element", "div#paywall", "weak")


def article(*, cut: bool = False, declared: bool | None = None, signals: tuple[PaywallSignal, ...] = ()) -> Article:
    return Article(url="https://example.org/a", text="Text.", paywall_cut=cut, paywall_declared=declared,
                   paywall_signals=signals)  # fmt: skip


@pytest.mark.parametrize("session", [False, True])
@pytest.mark.parametrize("declared", [True, False, None])
def test_row1_cut_text_is_a_teaser_whatever_the_session(session: bool, declared: bool | None) -> None:
    access = classify(article(cut=True, declared=declared, signals=(GATE,)), subscriber_session=session)
    assert access.label == "teaser"
    assert access.declared is declared
    assert "teaser" in access.reason and "subscribe to continue reading" in access.reason
    assert ("subscriber session" in access.reason) is session


def test_row2_declared_paywall_fetched_with_a_session_is_subscriber() -> None:
    access = classify(article(declared=True, signals=(DECLARED,)), subscriber_session=True)
    assert access.label == "subscriber"
    assert access.declared is True
    assert "subscription" in access.reason


def test_row2_strong_signal_without_declaration_is_subscriber() -> None:
    access = classify(article(declared=None, signals=(GATE,)), subscriber_session=True)
    assert access.label == "subscriber"
    assert access.declared is None
    assert "gate-element" in access.reason


def test_a_meter_shown_to_a_session_means_the_subscription_did_not_count() -> None:
    meter = PaywallSignal("meter", "you have 2 free articles left", "strong")
    access = classify(article(declared=True, signals=(DECLARED, meter)), subscriber_session=True)
    assert access.label == "free"
    assert "meter" in access.reason and "2 free articles left" in access.reason
    assert classify(article(declared=True, signals=(DECLARED, meter)), subscriber_session=False).label == "free"


def test_row3_declared_paywall_with_full_text_and_no_session_is_free() -> None:
    access = classify(article(declared=True, signals=(DECLARED,)), subscriber_session=False)
    assert access.label == "free"
    assert access.declared is True
    assert "declares a paywall" in access.reason


@pytest.mark.parametrize("session", [False, True])
def test_row4_free_page_is_free_even_with_a_session(session: bool) -> None:
    access = classify(article(declared=False), subscriber_session=session)
    assert access.label == "free"
    assert access.declared is False
    assert "free" in access.reason


@pytest.mark.parametrize("session", [False, True])
def test_weak_signals_alone_never_make_a_page_paywalled(session: bool) -> None:
    access = classify(article(declared=None, signals=(VENDOR, WEAK_GATE)), subscriber_session=session)
    assert access.label == "free"
    assert access.reason == "no paywall evidence on the page"
