"""Deduplication: canonical URLs, content hashes, the near-duplicate index, version changes."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.archive import Archive
from scraper.config import DedupSettings
from scraper.dedup import (
    BANDS,
    BUCKET_CAP,
    DEFAULT_NEAR_THRESHOLD,
    FormerStory,
    NearDuplicateIndex,
    Sketch,
    canonical_url,
    content_hash,
    keep_earliest_original,
    normalise_text,
    prefer_canonical,
    same_site,
    what_changed,
)

# ----------------------------------------------------------------------------- canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host case; http -> https; default ports
        ("HTTP://Example.COM/News/Story", "https://example.com/News/Story"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://127.0.0.1:8123/a/", "http://127.0.0.1:8123/a"),  # explicit port: scheme kept
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        # www. and amp. subdomains, but not a bare two-label host
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://amp.example.co.uk/a", "https://example.co.uk/a"),
        ("https://www.com/a", "https://www.com/a"),
        # fragment
        ("https://example.com/a#comments", "https://example.com/a"),
        # empty path, trailing slash, dot segments
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/news/story/", "https://example.com/news/story"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/A/b", "https://example.com/A/b"),  # path case kept
        # percent-encoding
        ("https://example.com/%7euser/%c3%a9t%c3%a9", "https://example.com/~user/%C3%A9t%C3%A9"),
        ("https://example.com/caf\u00e9 au lait", "https://example.com/caf%C3%A9%20au%20lait"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),  # an encoded slash stays encoded
        ("https://example.com/100%", "https://example.com/100%25"),
        # query: sorted, tracking parameters dropped, other values kept as written
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=x&UTM_Medium=y&id=7", "https://example.com/a?id=7"),
        (
            "https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6&ref=7&_ga=8&igshid=9&yclid=0",
            "https://example.com/a",
        ),
        ("https://example.com/a?q=a+b&x=%7e&flag", "https://example.com/a?flag&q=a+b&x=~"),
        ("https://example.com/a?&&page=2&", "https://example.com/a?page=2"),
        ("https://example.com/a?referrer=x", "https://example.com/a?referrer=x"),  # only exact names
        # AMP variants
        ("https://example.com/news/story/amp", "https://example.com/news/story"),
        ("https://example.com/news/story/amp/", "https://example.com/news/story"),
        ("https://example.com/amp/news/story", "https://example.com/news/story"),
        ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
        ("https://example.com/news/story?amp", "https://example.com/news/story"),
        ("https://example.com/news/story?amp=0", "https://example.com/news/story?amp=0"),
        (
            "https://example-com.cdn.ampproject.org/c/s/example.com/news/story/amp/",
            "https://example.com/news/story",
        ),
        # print variants
        ("https://example.com/news/story/print", "https://example.com/news/story"),
        ("https://example.com/news/story?print=1", "https://example.com/news/story"),
        ("https://example.com/news/story?print=true&page=2", "https://example.com/news/story?page=2"),
    ],
)
def test_canonical_url_rules(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "not a url",
        "/relative/path",
        "mailto:news@example.com",
        "javascript:alert(1)",
        "http://",
        "https://example.com:notaport/a",
        "https://[::1/a",
        "ftp://example.com/file",
    ],
)
def test_canonical_url_returns_junk_stripped(junk: str) -> None:
    assert canonical_url(f"  {junk}\n") == junk.strip()


def test_canonical_url_extra_tracking_params_exact_and_prefix() -> None:
    url = "https://example.com/a?pk_campaign=x&pk_kwd=y&src=rss&id=3"
    assert canonical_url(url) == "https://example.com/a?id=3&pk_campaign=x&pk_kwd=y&src=rss"
    assert canonical_url(url, extra_tracking_params=("pk_*", "SRC")) == "https://example.com/a?id=3"


def test_tracking_variants_of_one_article_share_a_key() -> None:
    variants = [
        "https://www.example.com/news/council-budget-row",
        "http://example.com/news/council-budget-row/",
        "https://example.com/news/council-budget-row?utm_source=newsletter&utm_medium=email",
        "https://EXAMPLE.com:443/news/council-budget-row#comments",
        "https://amp.example.com/news/council-budget-row/amp",
    ]
    assert len({canonical_url(url) for url in variants}) == 1


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
            st.sampled_from(["http", "https", "HTTPS"]),
            st.sampled_from(["example.com", "www.www.example.com", "AMP.example.com:80", "127.0.0.1:9"]),
            st.text(alphabet="/.%aAmp2Fé ~?", max_size=25),
            st.text(alphabet="&=?%_utmfb1a", max_size=20),
        ),
    )
)
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


# ----------------------------------------------------------------------------- prefer_canonical


def test_prefer_canonical_honours_a_same_site_declaration() -> None:
    fetched = "http://www.example.com/news/12345?utm_source=x"
    assert prefer_canonical(fetched, "https://example.com/news/council-budget-row/") == (
        "https://example.com/news/council-budget-row"
    )
    # relative, and on the AMP subdomain
    assert prefer_canonical(fetched, "/news/council-budget-row") == "https://example.com/news/council-budget-row"
    assert prefer_canonical("https://amp.example.com/s/1", "https://www.example.com/s/one") == (
        "https://example.com/s/one"
    )


@pytest.mark.parametrize(
    "declared",
    [
        None,
        "",
        "   ",
        "https://other-outlet.com/news/story",
        "https://example.com/",
        "/",
        "mailto:x@example.com",
    ],
)
def test_prefer_canonical_falls_back_to_the_fetched_url(declared: str | None) -> None:
    assert prefer_canonical("https://www.example.com/news/story/?ref=home", declared) == (
        "https://example.com/news/story"
    )


def test_prefer_canonical_accepts_the_home_page_for_the_home_page() -> None:
    assert prefer_canonical("https://www.example.com/?utm_source=x", "https://example.com/") == "https://example.com/"


def test_prefer_canonical_keeps_query_permalinks_apart_from_the_home_page() -> None:
    # WordPress' default permalinks are "/?p=N"; a theme that declares "/" as every page's
    # canonical must not merge every post into one article.
    assert prefer_canonical("https://blog.example/?p=123", "https://blog.example/") == "https://blog.example/?p=123"
    assert prefer_canonical("https://blog.example/?p=124", "/") == "https://blog.example/?p=124"
    # A "/?p=N" canonical declared by another URL of the same post is honoured.
    assert prefer_canonical("https://blog.example/2024/05/post/", "/?p=123") == "https://blog.example/?p=123"


def test_same_site() -> None:
    assert same_site("https://www.example.com/a", "http://amp.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("not a url", "also not")


# ----------------------------------------------------------------------------- exact duplicates


def test_content_hash_ignores_whitespace_case_unicode_forms_and_punctuation_style() -> None:
    text = 'The council said: "We will act."\n\nBudget\u2014cuts follow. It\'s final.'
    variants = [
        "  the COUNCIL said:   \u201cWe will act.\u201d\nBudget - cuts follow.  It\u2019s final. ",
        "The council said \u2018We will act\u2019 \u2013 Budget cuts follow, it's final",
        '\uff34he council said: "We will act." Budget\u2014cuts follow. It\'s final.',  # full-width T
    ]
    for variant in variants:
        assert content_hash(variant) == content_hash(text)
    assert content_hash(text) != content_hash(text.replace("council", "cabinet"))


def test_content_hash_keeps_numbers_apart() -> None:
    assert content_hash("A \u00a35.5m deficit") != content_hash("A \u00a355m deficit")
    assert normalise_text("A \u00a35.5m deficit") == "a \u00a35 5m deficit"


def test_content_hash_of_nothing() -> None:
    assert content_hash(None) == content_hash("") == content_hash(" \n ")
    assert len(content_hash("x")) == 64


# ----------------------------------------------------------------------------- near duplicates

BOILERPLATE = (
    "The MJ is the leading magazine for local government chief executives. "
    "Subscribe to The MJ for the latest news, analysis and comment on local government. "
    "To contact the newsroom with a story, email news@themj.co.uk."
)

_WORDS = (
    "council",
    "budget",
    "cabinet",
    "housing",
    "plan",
    "tax",
    "review",
    "officers",
    "residents",
    "care",
    "social",
    "funding",
    "report",
    "said",
    "would",
    "could",
    "minister",
    "leader",
    "chief",
    "executive",
    "deficit",
    "schools",
    "roads",
    "homes",
    "consultation",
    "vote",
    "members",
    "scrutiny",
    "audit",
    "pension",
    "contract",
    "staff",
    "union",
    "strike",
    "pay",
    "savings",
    "reserves",
    "borough",
    "county",
    "district",
)


def story(seed: int, sentences: int = 25) -> list[str]:
    """A distinct article on the same topic: same vocabulary, different sentences."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(10, 20))).capitalize() + "." for _ in range(sentences)
    ]


def lightly_edited(sentences: list[str]) -> list[str]:
    """About 10% of sentences changed: one edited, one dropped, one added."""
    copy = list(sentences)
    words = copy[3].split()
    words[2] = "reportedly"
    copy[3] = " ".join(words)
    del copy[10]
    copy.insert(15, "A spokesperson declined to comment on the figures when contacted on Friday.")
    return copy


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    yield connection
    connection.close()


def test_default_threshold_matches_the_measured_choice() -> None:
    index = NearDuplicateIndex(sqlite3.connect(":memory:"))
    assert index.threshold == DEFAULT_NEAR_THRESHOLD


def test_finds_a_lightly_edited_copy(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db)
    original = story(1)
    sketch = index.sketch(" ".join(original))
    assert sketch is not None
    index.add(7, sketch)
    index.add(8, index.sketch(" ".join(story(2))))  # type: ignore[arg-type]

    copy = index.sketch("\n\n".join(lightly_edited(original)))
    assert copy is not None
    match = index.find(copy)
    assert match is not None
    article_id, similarity = match
    assert article_id == 7
    assert DEFAULT_NEAR_THRESHOLD <= similarity < 1.0


def test_distinct_articles_sharing_boilerplate_are_not_near_duplicates(db: sqlite3.Connection) -> None:
    # Short briefs, where the outlet's standard sentences are ~40% of the words: the hard case.
    index = NearDuplicateIndex(db)
    briefs = [[*story(100 + article_id, sentences=4), BOILERPLATE] for article_id in range(1, 31)]
    for article_id, brief in enumerate(briefs, start=1):
        sketch = index.sketch(" ".join(brief))
        assert sketch is not None
        assert index.find(sketch) is None, f"brief {article_id} merged"
        index.add(article_id, sketch)
    # Control: a copy of one brief with one word changed is still found among them.
    copy = [*briefs[9][:-1], BOILERPLATE.replace("latest", "newest")]
    copy[1] = copy[1].replace(" ", " reportedly ", 1)
    sketch = index.sketch(" ".join(copy))
    assert sketch is not None
    match = index.find(sketch)
    assert match is not None
    assert match[0] == 10


def test_short_texts_are_not_sketched(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db, min_words=50)
    assert index.sketch("word " * 49) is None
    assert index.sketch("") is None
    assert index.sketch(None) is None
    assert index.sketch("word " * 50) is not None
    assert NearDuplicateIndex(db, min_words=0).sketch("two words") is not None


def test_returns_the_earliest_match_and_honours_exclude(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db)
    text = " ".join(story(3))
    sketch = index.sketch(text)
    assert sketch is not None
    for article_id in (30, 12, 21):
        index.add(article_id, sketch)
    assert index.find(sketch) == (12, 1.0)
    assert index.find(sketch, exclude=12) == (21, 1.0)


def test_crowded_buckets_still_yield_the_earliest_articles(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db)
    sketch = index.sketch(" ".join(story(4)))
    assert sketch is not None
    for article_id in range(100, 100 + 3 * BUCKET_CAP):
        index.add(article_id, sketch)
    candidates = index.candidates(sketch)
    assert candidates == list(range(100, 100 + BUCKET_CAP))
    assert len(candidates) <= BANDS * BUCKET_CAP
    assert index.find(sketch) == (100, 1.0)


def test_add_replaces_and_remove_forgets(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db)
    first, second = index.sketch(" ".join(story(5))), index.sketch(" ".join(story(6)))
    assert first is not None and second is not None
    index.add(1, first)
    index.add(1, second)  # a new version of article 1
    assert index.find(first) is None
    assert index.find(second) == (1, 1.0)
    assert db.execute("SELECT COUNT(*) FROM dedup_bands").fetchone() == (BANDS,)
    index.remove(1)
    index.remove(1)  # already gone: no error
    assert index.find(second) is None
    assert db.execute("SELECT COUNT(*) FROM dedup_bands").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM dedup_signatures").fetchone() == (0,)


def test_index_persists_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    text = " ".join(story(7))
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode = WAL")
    index = NearDuplicateIndex(writer)
    sketch = index.sketch(text)
    assert sketch is not None
    with writer:  # the caller's transaction
        index.add(42, sketch)
        index.add(43, index.sketch(" ".join(story(8))))  # type: ignore[arg-type]
    writer.close()

    reader = sqlite3.connect(path)
    reopened = NearDuplicateIndex(reader)
    copy = reopened.sketch(" ".join(lightly_edited(story(7))))
    assert copy is not None
    match = reopened.find(copy)
    assert match is not None
    assert match[0] == 42
    with reader:
        reopened.remove(42)
    reader.close()
    assert NearDuplicateIndex(sqlite3.connect(path)).find(copy) is None


def test_never_begins_or_commits(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    # Autocommit connection: no transaction is opened behind the caller's back.
    auto = sqlite3.connect(path, isolation_level=None)
    index = NearDuplicateIndex(auto)
    sketch = index.sketch(" ".join(story(9)))
    assert sketch is not None
    index.add(1, sketch)
    assert index.find(sketch) == (1, 1.0)
    assert not auto.in_transaction
    # Inside the caller's transaction: still open afterwards, and a rollback undoes everything.
    auto.execute("BEGIN")
    NearDuplicateIndex(auto)  # the constructor's CREATE IF NOT EXISTS does not commit either
    index.add(2, sketch)
    index.remove(1)
    assert index.find(sketch) == (2, 1.0)
    assert auto.in_transaction
    auto.execute("ROLLBACK")
    assert index.find(sketch) == (1, 1.0)
    auto.close()

    # The sqlite3 module's default mode, as sqlite-utils uses it: the caller's implicit
    # transaction stays open, uncommitted.
    legacy = sqlite3.connect(path)
    legacy.execute("CREATE TABLE IF NOT EXISTS articles (id INTEGER PRIMARY KEY)")
    legacy.execute("INSERT INTO articles (id) VALUES (3)")
    assert legacy.in_transaction
    legacy_index = NearDuplicateIndex(legacy)
    legacy_index.add(3, sketch)
    legacy_index.remove(1)
    assert legacy.in_transaction
    legacy.rollback()
    assert legacy_index.find(sketch) == (1, 1.0)
    assert legacy.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)
    legacy.close()


def test_works_with_sqlite_utils(tmp_path: Path) -> None:
    sqlite_utils = pytest.importorskip("sqlite_utils")
    archive = sqlite_utils.Database(tmp_path / "archive.db")
    archive.enable_wal()
    index = NearDuplicateIndex(archive.conn)
    sketch = index.sketch(" ".join(story(10)))
    assert sketch is not None
    with archive.conn:
        index.add(5, sketch)
    assert {"dedup_bands", "dedup_signatures"} <= set(archive.table_names())
    assert archive["dedup_signatures"].count == 1


def test_from_settings(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex.from_settings(db, DedupSettings.model_validate({"near_threshold": 0.7, "min_words": 10}))
    assert (index.threshold, index.min_words) == (0.7, 10)
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(db, threshold=0)


def test_sketch_bytes_round_trip_and_unknown_format(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db)
    sketch = index.sketch(" ".join(story(11)))
    assert sketch is not None
    assert Sketch.from_bytes(sketch.to_bytes()) == sketch
    foreign = b"\x09" + sketch.to_bytes()[1:]
    assert Sketch.from_bytes(foreign) is None
    # A signature of another format is skipped by find, and remove still clears its rows.
    index.add(1, sketch)
    db.execute("UPDATE dedup_signatures SET signature = ? WHERE article_id = 1", (foreign,))
    assert index.find(sketch) is None
    index.remove(1)
    assert db.execute("SELECT COUNT(*) FROM dedup_bands").fetchone() == (0,)


def test_similarity_is_bounded_by_size_ratio(db: sqlite3.Connection) -> None:
    index = NearDuplicateIndex(db, min_words=0)
    long_text = story(12, sentences=40)
    whole = index.sketch(" ".join(long_text))
    part = index.sketch(" ".join(long_text[:8]))
    assert whole is not None and part is not None
    assert whole.similarity(part) <= part.shingles / whole.shingles
    assert whole.similarity(whole) == 1.0


# ----------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            {"text": "A b c.", "title": "T", "access": "free"},
            {"text": "a  B c", "title": " t ", "access": "free"},
            (),
        ),
        (
            {"text": "A b c.", "title": "T", "access": "free"},
            {"text": "A b d.", "title": "T", "access": "free"},
            ("text",),
        ),
        (
            {"text": "x", "title": "Old", "access": "free"},
            {"text": "x", "title": "New", "access": "free"},
            ("title",),
        ),
        (
            {"text": "Teaser only.", "title": "T", "access": "teaser"},
            {"text": "Teaser only. And the rest.", "title": "T", "access": "subscriber"},
            ("text", "access"),
        ),
        ({"text": "x"}, {"text": "x", "title": "New"}, ("title",)),
        ({}, {}, ()),
        ({"text": None, "title": None}, {"text": "", "title": ""}, ()),
    ],
)
def test_what_changed(old: dict[str, str | None], new: dict[str, str | None], expected: tuple[str, ...]) -> None:
    assert what_changed(old, new) == expected


# ----------------------------------------------------------------------------- earliest copy


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    opened = Archive.open(tmp_path / "archive.db")
    opened.upsert_outlets([{"slug": "a", "name": "A", "home": "https://a.example/"}])
    yield opened
    opened.close()


def _insert(archive: Archive, text: str, published: str | None, **link: object) -> int:
    with archive.transaction():
        return archive.insert_article(
            {
                "outlet": "a",
                "url": f"https://a.example/{len(text)}-{published}-{link}",
                "canonical_url": f"https://a.example/{len(text)}-{published}-{link}",
                "text": text,
                "content_hash": content_hash(text),
                "published": published,
                "version": 1,
                "run_id": 3,
                **link,
            }
        )


def _links(archive: Archive) -> dict[int, tuple[int | None, str | None, float | None]]:
    return {
        row[0]: (row[1], row[2], row[3])
        for row in archive.db.execute("SELECT id, duplicate_of, duplicate_rule, similarity FROM articles")
    }


def test_an_earlier_copy_archived_later_becomes_the_story(archive: Archive) -> None:
    index = NearDuplicateIndex(archive.db.conn)
    text = " ".join(story(1))
    edited = "\n\n".join(lightly_edited(story(1)))
    later = _insert(archive, text, "2025-10-01T12:00:00+01:00")  # archived first, as the story
    index.add(later, index.sketch(text))  # type: ignore[arg-type]
    exact = _insert(archive, text, "2025-10-02T09:00:00+00:00", duplicate_of=later, duplicate_rule="exact")
    # the earliest copy, fetched last and lightly edited: the index finds the story as its match
    found = index.find(index.sketch(edited))  # type: ignore[arg-type]
    assert found is not None and found[0] == later
    earliest = _insert(
        archive, edited, "2025-10-01T08:30:00+00:00", duplicate_of=later, duplicate_rule="near", similarity=found[1]
    )

    with archive.transaction():
        former = keep_earliest_original(archive.db.conn, earliest, index)

    assert former == FormerStory(id=later, outlet="a", run_id=3, version=1)
    links = _links(archive)
    assert links[earliest] == (None, None, None)
    assert links[later][:2] == (earliest, "near") and DEFAULT_NEAR_THRESHOLD <= (links[later][2] or 0) < 1
    assert links[exact][:2] == (earliest, "near")  # measured again, against the new story's text
    again = index.find(index.sketch(text))  # type: ignore[arg-type]
    assert again is not None and again[0] == earliest  # only the story is indexed


def test_a_later_copy_keeps_its_link(archive: Archive) -> None:
    index = NearDuplicateIndex(archive.db.conn)
    text = " ".join(story(2))
    original = _insert(archive, text, "2025-10-01T08:00:00Z")
    index.add(original, index.sketch(text))  # type: ignore[arg-type]
    # a naive timestamp counts as UTC: 08:00 is not before 08:00Z
    same_time = _insert(archive, text, "2025-10-01T08:00:00", duplicate_of=original, duplicate_rule="exact")
    undated = _insert(archive, text, None, duplicate_of=original, duplicate_rule="exact")
    before = _links(archive)

    with archive.transaction():
        assert keep_earliest_original(archive.db.conn, same_time, index) is None
        assert keep_earliest_original(archive.db.conn, undated, index) is None
        assert keep_earliest_original(archive.db.conn, original, index) is None  # not a copy

    assert _links(archive) == before
    found = index.find(index.sketch(text))  # type: ignore[arg-type]
    assert found is not None and found[0] == original


def test_reindex_keeps_stories_in_the_index_and_copies_out(archive: Archive) -> None:
    index = NearDuplicateIndex(archive.db.conn)
    first, second = " ".join(story(3)), " ".join(story(4))
    original = _insert(archive, first, "2025-10-01T08:00:00Z")
    index.add(original, index.sketch(first))  # type: ignore[arg-type]
    copy = _insert(archive, first, "2025-10-02T08:00:00Z", duplicate_of=original, duplicate_rule="exact")

    with archive.transaction():
        index.reindex(original, second)  # the story's new version replaces the old text
        index.reindex(copy, first)  # a copy's new version is not indexed

    found = index.find(index.sketch(second))  # type: ignore[arg-type]
    assert found is not None and found[0] == original
    assert index.find(index.sketch(first)) is None  # type: ignore[arg-type]
