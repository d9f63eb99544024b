"""The access label of a fetched article: free, teaser or subscriber (issue 5).

`classify()` reads only what the extractor found (`Article.paywall_cut`, `paywall_declared`,
`paywall_signals`) and whether the page was fetched with the reader's own subscription. The
decision table, first matching row wins:

=====  ===================  ==================================  ============  ===========================
row    paywall_cut          page paywalled?                     subscriber    label
                            (declared True or a strong signal)  session
=====  ===================  ==================================  ============  ===========================
1      True                 any                                 any           teaser
2      False                yes                                 yes           subscriber
3      False                yes                                 no            free (declared, full text)
4      False                no                                  any           free
=====  ===================  ==================================  ============  ===========================

A page that shows a meter message ("You have 2 free articles left") is never credited to the
subscription (row 2 becomes `free`): the site did not recognise the reader.

Row 1: only the public part was captured, with or without a session (a session that did not
unlock the article, e.g. an expired login, still yields a teaser). Row 2: the page is behind a
wall and the full text came through the reader's subscription. Row 3: the publisher declares
a paywall but served the full text to an anonymous reader: `free` with `declared` True. Weak
signals (vendor scripts, wall-named class names, login links) never make a page paywalled.
"""

from __future__ import annotations

from .models import Access, Article


def _paywall_evidence(article: Article) -> str | None:
    """A short description of why the page counts as paywalled, or None."""
    if article.paywall_declared is True:
        return "the publisher's markup declares a paywall"
    strong = next((s for s in article.paywall_signals if s.strength == "strong"), None)
    if strong is not None:
        return f"the page shows a paywall ({strong.kind}: {strong.detail})"
    return None


def is_paywalled(article: Article) -> bool:
    """Whether the page declares or shows a paywall (the "page paywalled?" column above)."""
    return _paywall_evidence(article) is not None


def classify(article: Article, *, subscriber_session: bool) -> Access:
    """The access label for `article`, fetched with (`subscriber_session`) or without the
    reader's subscription; see the module docstring for the decision table."""
    declared = article.paywall_declared
    evidence = _paywall_evidence(article)
    if article.paywall_cut:
        cut_by = next((s for s in article.paywall_signals if s.strength != "weak" and s.kind != "jsonld:hasPart"), None)
        why = f" ({cut_by.kind}: {cut_by.detail})" if cut_by is not None else ""
        session = " although a subscriber session was used" if subscriber_session else ""
        return Access("teaser", declared, f"only the public teaser was served{session}{why}")
    meter = next((s for s in article.paywall_signals if s.kind == "meter"), None)
    if evidence is not None and subscriber_session and meter is None:
        return Access("subscriber", declared, f"full text fetched with the reader's subscription; {evidence}")
    if meter is not None and subscriber_session:
        # A meter ("2 free articles left") is shown to readers the site does not know: the full
        # text came through the free-article allowance, not the subscription.
        return Access(
            "free", declared, f"full text served under the outlet's meter ({meter.detail}), not the subscription"
        )
    if evidence is not None:
        return Access("free", declared, f"full text served without a subscription, though {evidence}")
    if declared is False:
        return Access("free", declared, "the publisher's markup declares the article free")
    return Access("free", declared, "no paywall evidence on the page")
