"""Paywall prompt stripping hardened: article sentences that use a wall phrase are text, not a
prompt block, and finish() stays linear on hostile pages of prompt lines (issue 5 follow-up)."""

from __future__ import annotations

import time

import pytest

from scraper.access import classify
from scraper.extract import extract_article
from scraper.extract.paywall import MarkupSignals, PaywallReport, finish
from tests.test_paywall import MJ_PROMPT, TEASER, blocks, page, run

SILENT = MarkupSignals(declared=None, word_count=None, signals=())

# Eight short paragraphs (each well under 40 words), the shape that let the tail rule swallow
# the end of a free article after a sentence that happened to contain a wall phrase.
PARAGRAPHS = [
    f"Paragraph {i} of the story about the harbour renovation, which the council approved after a long "
    "debate in the chamber on Tuesday evening."
    for i in range(8)
]
SENTENCES = [
    "Residents must register to access the full consultation document on the council website.",
    "Residents must register to access the full consultation documents, the council said.",
    "Businesses can sign up to access the full grant scheme from March.",
    "The full report is available to subscribers of the Local Government Chronicle.",
    "Tenants will need to log in to view the full list of repairs.",
    "The gym will be for members only, the mayor said.",
    "Fans who join now and get unlimited access to home games will pay £40.",
]


def with_sentence(sentence: str, where: str) -> list[str]:
    return [*PARAGRAPHS[:5], sentence, *PARAGRAPHS[5:]] if where == "mid" else [*PARAGRAPHS, sentence]


# --- defect 1: wall phrases in article sentences -------------------------------------------------


@pytest.mark.parametrize("where", ["mid", "end"])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_article_sentence_with_a_wall_phrase_is_kept(sentence: str, where: str) -> None:
    text = blocks(*with_sentence(sentence, where))
    report = finish(text, SILENT)
    assert report.text == text  # no paragraph lost, the sentence included
    assert report.cut is False
    assert not any(s.kind == "prompt:stripped" for s in report.signals)


@pytest.mark.parametrize("sentence", SENTENCES[:4])
def test_free_article_with_a_wall_phrase_is_not_a_teaser_through_the_extractor(sentence: str) -> None:
    # The reported case end to end: the label must not say teaser (in a subscriber run a teaser
    # reads as a lost session).
    paragraphs = with_sentence(sentence, "mid")
    body = "".join(f"<p>{line}</p>" for line in paragraphs)
    html = page(f"<main><article><h1>Harbour plan</h1>{body}</article></main>")
    article = extract_article(html, "https://example.org/harbour")
    assert article.paywall_cut is False
    assert article.text.split("\n\n")[-1] == paragraphs[-1]
    assert sentence in article.text
    assert classify(article, subscriber_session=False).label == "free"
    assert classify(article, subscriber_session=True).label != "teaser"


def test_tail_rule_does_not_swallow_article_paragraphs_after_a_prompt() -> None:
    # A real prompt line served inside the text, then the article goes on in short paragraphs:
    # the prompt goes, the paragraphs after it are article text and stay.
    text = blocks(*PARAGRAPHS[:5], "Subscribe to continue reading", *PARAGRAPHS[5:])
    report = finish(text, SILENT)
    assert report.text == blocks(*PARAGRAPHS)
    assert report.cut is False


def test_sentence_squeezed_between_two_prompt_lines_is_kept() -> None:
    # Only a short line or a sales line between two removed lines is part of their prompt box.
    sentence, after = PARAGRAPHS[5], PARAGRAPHS[6:]
    text = blocks(*PARAGRAPHS[:3], "You have 2 free articles left", sentence, "Already a subscriber? Log in", *after)
    report = finish(text, SILENT)
    assert report.text == blocks(*PARAGRAPHS[:3], sentence, *after)


def test_free_declared_page_is_cut_by_a_clear_prompt_but_not_by_its_sentences() -> None:
    # Many publishers declare every page free: a prompt block that ends the text still cuts it.
    free = page(jsonld={"@type": "NewsArticle", "isAccessibleForFree": True})
    report = run(free, blocks(*TEASER, "Subscribe to continue reading"))
    assert report.text == blocks(*TEASER)  # the prompt line is stripped
    assert report.cut is True
    # An article sentence that holds a wall phrase is text, and cuts nothing.
    sentence = "Tenants will need to log in to view the full list of repairs, the council said."
    report = run(free, blocks(*TEASER, sentence))
    assert report.text == blocks(*TEASER, sentence) and report.cut is False
    # Nor do stripped prompt lines count as paywall evidence for a truncation cue.
    report = run(free, blocks(TEASER[0], "Subscribe to continue reading", TEASER[1], "And so the council said that..."))
    assert report.cut is False
    # A silent page ending in the same prompt is a teaser, as before.
    assert run(page(), blocks(*TEASER, "Subscribe to continue reading")).cut is True


def test_free_claim_does_not_hide_a_served_wall() -> None:
    # A strong gate element overrides the free claim (declared True): the prompt block cuts.
    wall = '<div class="paywall"><h3>Subscribe to continue reading</h3><a>Subscribe</a></div>'
    body = f"<article>{''.join(f'<p>{line}</p>' for line in TEASER)}{wall}</article>"
    html = page(body, jsonld={"@type": "NewsArticle", "isAccessibleForFree": True})
    report = run(html, blocks(*TEASER, "Subscribe to continue reading", "Subscribe"))
    assert report.declared is True and report.cut is True


@pytest.mark.parametrize(
    "prompt",
    [
        "Create an account or sign in to continue with your reading experience.",
        "This story is available exclusively to Business Insider subscribers.",
        "Subscribe now to get full access to this article and all our journalism for just £1 a month.",
        "You need to become a subscriber to read this article.",
        "Enjoying our content? Log in or create an account to continue",
        "Dieser Artikel ist nur für Abonnenten verfügbar.",
    ],
)
def test_clear_prompts_go_anywhere_and_cut_only_at_the_end(prompt: str) -> None:
    # Prompts that read as prompts on their own still go wherever they stand; inside the text
    # they no longer take the short paragraphs after them along (the tail rule's old bug).
    inside = finish(blocks(*PARAGRAPHS[:4], prompt, *PARAGRAPHS[4:]), SILENT)
    assert inside.text == blocks(*PARAGRAPHS) and inside.cut is False
    end = finish(blocks(*PARAGRAPHS, prompt), SILENT)
    assert end.text == blocks(*PARAGRAPHS) and end.cut is True


# Guards that the fix keeps real prompt blocks going (these pass before and after it).


def test_mj_prompt_block_after_short_paragraphs_still_goes() -> None:
    report = finish(blocks(*PARAGRAPHS, *MJ_PROMPT), SILENT)
    assert report.text == blocks(*PARAGRAPHS)
    assert report.cut is True


def test_wall_sentence_next_to_prompt_lines_is_part_of_the_block() -> None:
    # Not clear on its own (its own context words), but a button and a login box follow it.
    prompt = "Register now to access the full archive of the Chronicle's local coverage."
    report = finish(blocks(*PARAGRAPHS, prompt, "Subscribe", "Already a subscriber?"), SILENT)
    assert report.text == blocks(*PARAGRAPHS)
    assert report.cut is True


def test_wall_sentence_served_inside_a_wall_element_still_goes() -> None:
    # Not clear on its own and alone in the text, but the page serves it inside a wall element.
    prompt = "Register now to access the full archive of the Chronicle's local coverage."
    body = (
        f"<article>{''.join(f'<p>{line}</p>' for line in TEASER)}<div class='paywall'><p>{prompt}</p></div></article>"
    )
    report = run(page(body), blocks(*TEASER, prompt))
    assert report.text == blocks(*TEASER)
    assert report.cut is True


# --- defect 2: finish() is linear -----------------------------------------------------------------

HOSTILE_LINES = 200_000


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Already a subscriber? Subscribe to continue reading", False),  # WALL seeds: growth, tail
        ("Subscribe", True),  # a bare button: one hint hit per line
        ("Already a subscriber? Log in", False),  # BOX seeds: growth back over the run
        ("Subscribe to continue reading\nSubscribe\nGet unlimited access for £1 a month", False),
    ],
)
def test_finish_is_linear_on_hostile_prompt_pages(line: str, kept: bool) -> None:
    # A guard, not a benchmark: quadratic steps took minutes at this size; linear ones ~1 s.
    text = "\n\n".join([line] * (HOSTILE_LINES // (line.count("\n") + 1)))
    started = time.process_time()
    report = finish(text, SILENT)
    elapsed = time.process_time() - started
    assert elapsed < 5.0, f"finish() took {elapsed:.1f} s of CPU on {HOSTILE_LINES} lines"
    assert isinstance(report, PaywallReport)
    assert (report.text != "") is kept


def test_a_prompt_naming_the_outlet_still_reads_as_a_prompt() -> None:
    # "subscribing" is sales talk: the outlet's name after it is no article context.
    report = run(page(), blocks(*TEASER, "Unlock this story by subscribing to the Boston Globe."))
    assert report.text == blocks(*TEASER) and report.cut is True
