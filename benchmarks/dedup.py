"""Deduplication benchmark (issue 6): duplicate-detection quality on a generated corpus, and the
cost of checking one new article against archives of growing size.

    .venv/bin/python benchmarks/dedup.py            # 10,000-article corpus; archives of 10k, 100k, 1M
    .venv/bin/python benchmarks/dedup.py --quick    # 2,000 articles; archives of 10k and 100k

Quality: the corpus is run through the dedup steps in the pipeline's order (canonical URL, then
content hash, then the near-duplicate index, indexing only new stories) and the resulting groups
are scored pairwise against the known ones. Distinct texts are the units: exact copies collapse
into one, so the pairwise figures measure near-duplicate detection alone.

Timing: each archive holds the corpus' own stories (real sketches, with the outlets' boilerplate)
plus random signatures up to its size, bulk-inserted by one INSERT ... SELECT over a recursive
CTE (SQLite's random()), sorted by key, in one transaction in a temporary file. Timed: `sketch`
+ `find` for a fixed set of new articles (half fresh stories, half edited copies of archived ones);
the figure is the median over articles, then the median over runs.

`build_corpus` is importable for other benchmarks (e.g. the archive's).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.dedup import (
    BANDS,
    DEFAULT_NEAR_THRESHOLD,
    SHINGLE_WORDS,
    NearDuplicateIndex,
    canonical_url,
    content_hash,
    normalise_text,
)

SEED = 6

# ----------------------------------------------------------------------------- corpus

OUTLETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "themj": (
        "themj.co.uk",
        (
            "The MJ is the leading magazine for local government chief executives.",
            "Subscribe to The MJ for the latest news, analysis and comment on local government.",
            "To contact the newsroom with a story, email news@themj.co.uk.",
            "The MJ Awards celebrate the best in local public services every year.",
        ),
    ),
    "lgc": (
        "lgcplus.com",
        (
            "LGC is the essential resource for senior local government officers and councillors.",
            "Register for free to receive the LGC daily briefing in your inbox.",
            "Our journalists cover finance, workforce, devolution and the politics of councils.",
        ),
    ),
    "housing": (
        "housingtoday.co.uk",
        (
            "Housing Today covers the latest news and analysis for housing professionals.",
            "Sign up to our newsletters to get the stories that matter delivered to you each week.",
            "Housing Today is part of the Assemble Media Group.",
            "For advertising opportunities contact our commercial team today.",
        ),
    ),
    "planning": (
        "planningresource.co.uk",
        (
            "Planning is the magazine for planning professionals across the public and private sectors.",
            "Subscribers can read every article in our archive and download the weekly digital edition.",
            "Follow Planning on social media for breaking news on appeals and local plans.",
        ),
    ),
    "pfeye": (
        "publicfinance.co.uk",
        (
            "Public Finance is the magazine of the Chartered Institute of Public Finance and Accountancy.",
            "This article first appeared in the monthly print edition of Public Finance.",
            "Comments on this article are moderated and may take some time to appear.",
        ),
    ),
}

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "finance": {
        "thing": (
            "budget",
            "funding settlement",
            "council tax rise",
            "savings plan",
            "reserves policy",
            "section 114 notice",
            "capital programme",
            "business rates pool",
            "deficit",
            "audit",
        ),
        "verb": ("approve", "review", "delay", "cut", "increase", "publish", "challenge", "scrutinise"),
        "object": (
            "adult social care spending",
            "the housing revenue account",
            "library opening hours",
            "bin collection contracts",
            "highways maintenance",
            "children's services budgets",
            "the pension fund",
            "leisure centre subsidies",
            "borrowing limits",
            "the medium-term plan",
        ),
    },
    "housing": {
        "thing": (
            "housing strategy",
            "homelessness review",
            "regeneration scheme",
            "estate renewal",
            "temporary accommodation plan",
            "damp and mould inspection",
            "right to buy policy",
            "affordable homes target",
            "planning application",
            "housing company",
        ),
        "verb": ("build", "refurbish", "demolish", "acquire", "inspect", "allocate", "consult on", "fund"),
        "object": (
            "council homes",
            "social rent flats",
            "temporary accommodation",
            "brownfield sites",
            "tower blocks",
            "empty properties",
            "modular homes",
            "supported housing",
            "key worker homes",
            "the housing register",
        ),
    },
    "workforce": {
        "thing": (
            "pay offer",
            "restructure",
            "recruitment drive",
            "strike ballot",
            "senior management review",
            "apprenticeship scheme",
            "hybrid working policy",
            "equality audit",
            "staff survey",
            "interim appointment",
        ),
        "verb": ("appoint", "recruit", "restructure", "retain", "consult", "reward", "train", "redeploy"),
        "object": (
            "social workers",
            "planning officers",
            "the chief executive",
            "agency staff",
            "refuse collectors",
            "finance directors",
            "care workers",
            "graduate trainees",
            "the senior leadership team",
            "school support staff",
        ),
    },
    "devolution": {
        "thing": (
            "devolution deal",
            "combined authority",
            "mayoral election",
            "unitary bid",
            "county deal",
            "integrated settlement",
            "investment fund",
            "transport plan",
            "skills budget",
            "local government reorganisation",
        ),
        "verb": ("negotiate", "sign", "reject", "transfer", "pool", "merge", "devolve", "abolish"),
        "object": (
            "transport powers",
            "the adult skills budget",
            "district councils",
            "housing funding",
            "bus franchising",
            "the investment zone",
            "health integration",
            "employment support",
            "strategic planning powers",
            "the shared prosperity fund",
        ),
    },
}

FIRST_NAMES = (
    "Sarah",
    "James",
    "Priya",
    "Mohammed",
    "Helen",
    "David",
    "Aisha",
    "Tom",
    "Claire",
    "Raj",
    "Fiona",
    "Gareth",
    "Nadia",
    "Ben",
    "Ruth",
    "Kwame",
    "Sian",
    "Owen",
    "Leah",
    "Imran",
)
LAST_NAMES = (
    "Smith",
    "Patel",
    "Jones",
    "Khan",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Hughes",
    "Green",
    "Hall",
    "Clarke",
    "Wood",
    "Lewis",
)
ROLES = (
    "chief executive",
    "leader",
    "finance director",
    "cabinet member for housing",
    "director of children's services",
    "opposition leader",
    "monitoring officer",
    "mayor",
    "head of planning",
    "chair of the audit committee",
)
PLACES = (
    "Birmingham",
    "Kent",
    "Leeds",
    "Croydon",
    "Somerset",
    "Nottingham",
    "Cornwall",
    "Thurrock",
    "Bristol",
    "Cumbria",
    "Liverpool",
    "Norfolk",
    "Slough",
    "Woking",
    "Derby",
    "Essex",
    "Hull",
    "Wirral",
    "Bradford",
    "Surrey",
    "Sheffield",
    "Devon",
    "Lancashire",
    "Coventry",
)
ADJECTIVES = (
    "ambitious",
    "controversial",
    "long-awaited",
    "revised",
    "three-year",
    "emergency",
    "council-wide",
    "draft",
    "independent",
    "cross-party",
    "delayed",
    "new",
)
BODIES = (
    "the Local Government Association",
    "the Department for Levelling Up",
    "the District Councils' Network",
    "the County Councils Network",
    "Unison",
    "the Treasury",
    "the Audit Commission",
    "the Public Accounts Committee",
    "the Institute for Fiscal Studies",
    "the Home Office",
)

# Fixed words between slots: some templates share 5-word runs, as real house style does.
TEMPLATES = (
    "{name}, {role} of {place} Council, said the {adj} {thing} would {verb} {object} by {year}.",
    "The {thing} is expected to cost around £{num}m over the next {small} years.",
    "Councillors voted {num} to {small} in favour of plans to {verb} {object}.",
    "{body} warned that {place} faced a shortfall of £{num}m unless ministers acted.",
    "A report to the cabinet said the {adj} {thing} had been under way since {year}.",
    "Officers said they would {verb} {object} as part of the {thing}.",
    "The decision follows a {adj} review of {object} carried out last {month}.",
    '{name} added: "We have no choice but to {verb} {object} if we are to balance the books."',
    "Opposition councillors described the {thing} as {adj} and called for a full consultation.",
    "Figures seen by The Journal show {object} rose by {num}% in {place} between {year} and {year2}.",
    "The council will {verb} {object} from {month} {year}, according to the papers.",
    "{body} said it was working closely with {place} on the {thing}.",
    'A spokesperson for {place} Council said: "The {thing} remains our top priority."',
    "It is understood that {num} posts could be affected by the {adj} {thing}.",
    "The plans will go before full council in {month} for a final decision.",
    "Residents have until {month} to respond to the consultation on {object}.",
    "The {thing} was first proposed by {name}, the former {role}, in {year}.",
    "Neighbouring {place} has already agreed to {verb} {object} under a similar {thing}.",
    "{name} told The Journal the authority had learned lessons from the {adj} {thing}.",
    "Unions said the move to {verb} {object} would put pressure on frontline services.",
    "Auditors flagged concerns about {object} in their annual letter to {place}.",
    "The {role} is due to present an update on the {thing} at the next scrutiny meeting.",
    "Campaigners in {place} have gathered {num} signatures opposing plans to {verb} {object}.",
    "Ministers are expected to respond to the {thing} before the summer recess.",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class CorpusArticle:
    """One generated article and what it really is."""

    id: int  # position in the corpus (0-based): the order articles reach the archive
    url: str
    outlet: str
    title: str
    text: str
    story: int  # known group: all articles telling one story share it
    kind: str  # "original", "exact-copy", "url-variant", "syndicated"


class _Writer:
    """Generates sentences for one topic from the templates."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self, topic: str) -> str:
        rng, words = self.rng, TOPICS[topic]
        year = rng.randrange(2015, 2026)
        return rng.choice(TEMPLATES).format(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            role=rng.choice(ROLES),
            place=rng.choice(PLACES),
            adj=rng.choice(ADJECTIVES),
            thing=rng.choice(words["thing"]),
            verb=rng.choice(words["verb"]),
            object=rng.choice(words["object"]),
            body=rng.choice(BODIES),
            num=rng.randrange(2, 400),
            small=rng.randrange(2, 12),
            year=year,
            year2=year + rng.randrange(1, 4),
            month=rng.choice(MONTHS),
        )

    def article(self, topic: str, outlet: str) -> tuple[str, list[str]]:
        rng = self.rng
        # One in six is a short news-in-brief: the case where shared boilerplate weighs most.
        count = rng.randrange(3, 6) if rng.random() < 1 / 6 else rng.randrange(8, 30)
        sentences = [self.sentence(topic) for _ in range(count)]
        boilerplate = list(OUTLETS[outlet][1])
        if rng.random() < 0.85:
            sentences += boilerplate[: rng.randrange(3, len(boilerplate) + 1)]
        outcome = rng.choice(("row", "approved", "delayed", "warning", "plan", "latest"))
        title = f"{rng.choice(PLACES)} {rng.choice(TOPICS[topic]['thing'])} {outcome}"
        return title, sentences

    def edit(self, sentence: str, topic: str) -> str:
        """Change one to three words, as a subeditor does."""
        words = sentence.split()
        for _ in range(self.rng.randrange(1, 4)):
            position = self.rng.randrange(len(words))
            words[position] = self.rng.choice(
                (*TOPICS[topic]["verb"], *ADJECTIVES, "also", "now", "reportedly", "council", "local")
            )
        return " ".join(words)

    def syndicate(self, sentences: list[str], topic: str) -> list[str]:
        """A copy with 5-20% of its sentences edited, added or dropped."""
        rng = self.rng
        copy = list(sentences)
        changes = max(1, round(rng.uniform(0.05, 0.20) * len(sentences)))
        for _ in range(changes):
            operation = rng.choice(("edit", "add", "drop"))
            if operation == "edit" or (operation == "drop" and len(copy) < 3):
                i = rng.randrange(len(copy))
                copy[i] = self.edit(copy[i], topic)
            elif operation == "add":
                copy.insert(rng.randrange(len(copy) + 1), self.sentence(topic))
            else:
                del copy[rng.randrange(len(copy))]
        return copy


def _paragraphs(sentences: Sequence[str], rng: random.Random) -> str:
    out, paragraph = [], []
    for sentence in sentences:
        paragraph.append(sentence)
        if rng.random() < 0.4:
            out.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        out.append(" ".join(paragraph))
    return "\n\n".join(out)


def _restyle(text: str, rng: random.Random) -> str:
    """The same words as served by another CMS: curly quotes, other spacing, case of one line."""
    text = text.replace('"', "\u201c", 1).replace('"', "\u201d", 1)
    text = text.replace("\n\n", "\n  \n") if rng.random() < 0.5 else text.replace(". ", ".  ")
    return text


def build_corpus(size: int = 10_000, *, seed: int = SEED) -> list[CorpusArticle]:
    """A deterministic corpus with known duplicate groups, in arrival order.

    Roughly: 65% original stories, 15% syndicated copies (5-20% of sentences edited, added or
    dropped; same or other outlet), 10% exact copies at another URL (restyled quotes and
    spacing), 10% the same URL with tracking parameters, `www.`, `http`, a fragment or `/amp`.
    All articles of an outlet may end with 3-4 of its standard sentences."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    outlets, topics = list(OUTLETS), list(TOPICS)
    originals: list[tuple[CorpusArticle, str, list[str]]] = []
    corpus: list[CorpusArticle] = []
    slug_counter = itertools.count(1)

    def url_for(outlet: str) -> str:
        return f"https://{OUTLETS[outlet][0]}/news/story-{next(slug_counter)}"

    while len(corpus) < size:
        roll = rng.random()
        if not originals or roll < 0.65:
            outlet, topic = rng.choice(outlets), rng.choice(topics)
            title, sentences = writer.article(topic, outlet)
            article = CorpusArticle(
                len(corpus),
                url_for(outlet),
                outlet,
                title,
                _paragraphs(sentences, rng),
                len(originals),
                "original",
            )
            originals.append((article, topic, sentences))
        else:
            # Copies of recent stories, as syndication and reposts happen within days.
            pick = len(originals) - 1 - int(rng.expovariate(1 / 300))
            source, topic, sentences = originals[pick if pick >= 0 else rng.randrange(len(originals))]
            if roll < 0.80:
                outlet = rng.choice(outlets)
                article = CorpusArticle(
                    len(corpus),
                    url_for(outlet),
                    outlet,
                    source.title,
                    _paragraphs(writer.syndicate(sentences, topic), rng),
                    source.story,
                    "syndicated",
                )
            elif roll < 0.90:
                article = CorpusArticle(
                    len(corpus),
                    url_for(source.outlet),
                    source.outlet,
                    source.title,
                    _restyle(source.text, rng),
                    source.story,
                    "exact-copy",
                )
            else:
                variant = rng.choice(
                    (
                        "{url}?utm_source=newsletter&utm_medium=email&utm_campaign=daily",
                        "{url}?fbclid=IwAR{n}",
                        "{url}/?utm_source=twitter",
                        "{url}#comments",
                        "{url}/amp",
                        "{www}?mc_cid={n}&mc_eid={n}",
                        "{http}?ref=homepage",
                    )
                )
                url = variant.format(
                    url=source.url,
                    n=rng.randrange(10**6),
                    www=source.url.replace("https://", "https://www."),
                    http=source.url.replace("https://", "http://"),
                )
                article = CorpusArticle(
                    len(corpus), url, source.outlet, source.title, source.text, source.story, "url-variant"
                )
        corpus.append(article)
    return corpus


# ----------------------------------------------------------------------------- quality


@dataclass
class Quality:
    units: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int
    false_merges: int
    boilerplate_false_merges: int
    url_variants: int
    url_variants_found: int
    exact_copies: int
    exact_copies_found: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(groups: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for group in groups:
        out.update(itertools.combinations(sorted(set(group)), 2))
    return out


def evaluate(corpus: Sequence[CorpusArticle], *, threshold: float, min_words: int = 50) -> Quality:
    """Run the corpus through the dedup steps in pipeline order; score the groups found."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    index = NearDuplicateIndex(db, threshold=threshold, min_words=min_words)
    by_url: dict[str, int] = {}
    by_hash: dict[str, int] = {}
    parent: dict[int, int] = {}  # article id -> the article it was linked to (a story when absent)
    how: dict[int, str] = {}
    started = time.perf_counter()
    db.execute("BEGIN")
    for article in corpus:
        key = canonical_url(article.url)
        if key in by_url:
            parent[article.id], how[article.id] = by_url[key], "url"
            continue
        by_url[key] = article.id
        digest = content_hash(article.text)
        if digest in by_hash:
            parent[article.id], how[article.id] = by_hash[digest], "hash"
            continue
        by_hash[digest] = article.id
        sketch = index.sketch(article.text)
        if sketch is None:
            continue
        match = index.find(sketch)
        if match is not None:
            parent[article.id], how[article.id] = match[0], "near"
        else:
            index.add(article.id, sketch)
    db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()

    def root(article_id: int) -> int:
        while article_id in parent:
            article_id = parent[article_id]
        return article_id

    # Units: distinct texts (after the URL and hash steps). Near-duplicate scoring is over units.
    units = [a for a in corpus if how.get(a.id) not in ("url", "hash")]
    true_groups: dict[int, list[int]] = defaultdict(list)
    found_groups: dict[int, list[int]] = defaultdict(list)
    for article in units:
        true_groups[article.story].append(article.id)
        found_groups[root(article.id)].append(article.id)
    truth, found = _pairs(true_groups.values()), _pairs(found_groups.values())
    story = {a.id: a.story for a in corpus}
    outlet = {a.id: a.outlet for a in corpus}
    wrong = found - truth
    variants = [a for a in corpus if a.kind == "url-variant"]
    copies = [a for a in corpus if a.kind == "exact-copy"]
    return Quality(
        units=len(units),
        true_pairs=len(truth),
        found_pairs=len(found),
        correct_pairs=len(found & truth),
        false_merges=len(wrong),
        boilerplate_false_merges=sum(1 for a, b in wrong if outlet[a] == outlet[b]),
        url_variants=len(variants),
        url_variants_found=sum(1 for a in variants if how.get(a.id) == "url" and story[root(a.id)] == a.story),
        exact_copies=len(copies),
        exact_copies_found=sum(1 for a in copies if how.get(a.id) == "hash" and story[root(a.id)] == a.story),
        seconds=seconds,
    )


def _shingles(text: str) -> set[str]:
    words = normalise_text(text).split()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def similarity_spread(corpus: Sequence[CorpusArticle], *, samples: int = 3000, seed: int = SEED) -> dict[str, float]:
    """Exact shingle Jaccard of syndicated copies vs. their source, and of distinct stories
    from one outlet (which share its boilerplate): where a threshold can go."""
    rng = random.Random(seed)
    first: dict[int, CorpusArticle] = {}
    for article in corpus:
        first.setdefault(article.story, article)
    copies = [a for a in corpus if a.kind == "syndicated"]
    true = [
        _jaccard(_shingles(a.text), _shingles(first[a.story].text))
        for a in rng.sample(copies, min(samples, len(copies)))
    ]
    by_outlet: dict[str, list[CorpusArticle]] = defaultdict(list)
    for article in corpus:
        if article.kind == "original":
            by_outlet[article.outlet].append(article)
    distinct = []
    for _ in range(samples):
        group = by_outlet[rng.choice(list(by_outlet))]
        a, b = rng.sample(group, 2)
        distinct.append(_jaccard(_shingles(a.text), _shingles(b.text)))
    true.sort()
    return {
        "copies_min": true[0],
        "copies_p01": true[len(true) // 100],
        "copies_median": statistics.median(true),
        "distinct_max": max(distinct),
        "distinct_median": statistics.median(distinct),
    }


# ----------------------------------------------------------------------------- timing


def _fill_random(db: sqlite3.Connection, count: int, first_id: int) -> None:
    """`count` random signatures and their band rows, ids from `first_id`, in one transaction."""
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO dedup_signatures (article_id, signature) "
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
        "SELECT ? + i, X'01' || randomblob(516) FROM n",
        (count, first_id),
    )
    db.execute(
        "INSERT OR IGNORE INTO dedup_bands (band, hash, article_id) "
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?), "
        "b(band) AS (SELECT 0 UNION ALL SELECT band + 1 FROM b WHERE band + 1 < ?) "
        "SELECT band, random(), ? + i FROM n, b ORDER BY 1, 2",
        (count, BANDS, first_id),
    )
    db.execute("COMMIT")


def build_archive(path: Path, size: int, stories: Sequence[CorpusArticle]) -> tuple[sqlite3.Connection, float]:
    """An archive file holding `stories` (real sketches) plus random signatures up to `size`."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -262144")  # 256 MiB, as a long-running archive would have
    index = NearDuplicateIndex(db)
    started = time.perf_counter()
    db.execute("BEGIN")
    real = 0
    for article in stories:
        sketch = index.sketch(article.text)
        if sketch is not None and real < size:
            index.add(article.id, sketch)
            real += 1
    db.execute("COMMIT")
    if size > real:
        _fill_random(db, size - real, first_id=10_000_000)
    db.execute("ANALYZE")
    return db, time.perf_counter() - started


def time_lookups(db: sqlite3.Connection, probes: Sequence[str], *, runs: int, threshold: float) -> tuple[float, int]:
    """Median over runs of the median seconds for sketch + find of one probe; and matches found."""
    index = NearDuplicateIndex(db, threshold=threshold)
    medians = []
    matches = 0
    for _ in range(runs):
        times = []
        matches = 0
        for text in probes:
            started = time.perf_counter()
            sketch = index.sketch(text)
            match = index.find(sketch) if sketch is not None else None
            times.append(time.perf_counter() - started)
            matches += match is not None
        medians.append(statistics.median(times))
    return statistics.median(medians), matches


def _probes(corpus: Sequence[CorpusArticle], count: int, seed: int) -> list[str]:
    """New articles: half fresh stories, half edited copies of stories in the corpus."""
    rng = random.Random(seed + 1)
    writer = _Writer(rng)
    originals = [a for a in corpus if a.kind == "original"]
    probes = []
    for i in range(count):
        topic = rng.choice(list(TOPICS))
        if i % 2:
            source = rng.choice(originals)
            sentences = [s for s in source.text.replace("\n\n", " ").split(". ") if s]
            probes.append(". ".join(writer.syndicate(sentences, topic)))
        else:
            _, sentences = writer.article(topic, rng.choice(list(OUTLETS)))
            probes.append(" ".join(sentences))
    return probes


# ----------------------------------------------------------------------------- report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles; archives of 10k and 100k only.")
    parser.add_argument("--size", type=int, help="Corpus size (default 10,000; 2,000 with --quick).")
    parser.add_argument(
        "--threshold", type=float, default=DEFAULT_NEAR_THRESHOLD, help="near_threshold to score and time."
    )
    parser.add_argument(
        "--sweep",
        type=float,
        nargs="*",
        default=(0.4, 0.5, 0.6, 0.7, 0.8),
        help="Further thresholds to score (quality only).",
    )
    parser.add_argument("--archives", type=int, nargs="*", help="Archive sizes to time.")
    parser.add_argument("--runs", type=int, default=5, help="Timing runs; the median is reported.")
    args = parser.parse_args(argv)
    size = args.size or (2_000 if args.quick else 10_000)
    archives = args.archives or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])

    started = time.perf_counter()
    corpus = build_corpus(size)
    kinds: dict[str, int] = defaultdict(int)
    for article in corpus:
        kinds[article.kind] += 1
    print(
        f"corpus: {len(corpus):,} articles (seed {SEED}) in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items()))
    )

    spread = similarity_spread(corpus)
    print(
        "exact 5-word-shingle Jaccard: syndicated copy vs source: min {copies_min:.2f}, 1st pct "
        "{copies_p01:.2f}, median {copies_median:.2f}; distinct same-outlet stories: median "
        "{distinct_median:.2f}, max {distinct_max:.2f}".format(**spread)
    )

    print(
        "\nquality (near-duplicate pairs over distinct texts; goals: precision >= 0.99, recall >= 0.95,"
        " 0 boilerplate false merges)"
    )
    print(
        f"{'threshold':>9} {'precision':>9} {'recall':>7} {'pairs':>6} {'false':>6} {'same-outlet':>11}"
        f" {'url-variants':>13} {'exact-copies':>13} {'ms/article':>10}"
    )
    thresholds = sorted({args.threshold, *args.sweep})
    for threshold in thresholds:
        q = evaluate(corpus, threshold=threshold)
        mark = " <- timed" if threshold == args.threshold else ""
        print(
            f"{threshold:>9.2f} {q.precision:>9.4f} {q.recall:>7.4f} {q.true_pairs:>6} {q.false_merges:>6}"
            f" {q.boilerplate_false_merges:>11} {q.url_variants_found:>6}/{q.url_variants:<6}"
            f" {q.exact_copies_found:>6}/{q.exact_copies:<6} {q.seconds / len(corpus) * 1e3:>10.3f}{mark}"
        )

    stories = [a for a in corpus if a.kind in ("original", "syndicated")]
    probes = _probes(corpus, 200, SEED)
    print(
        f"\nlookup time: sketch + find for {len(probes)} new articles (half edited copies of archived ones),"
        f" median of {args.runs} runs; threshold {args.threshold}"
    )
    print(
        "archives: the corpus' own stories plus random signatures bulk-inserted with INSERT ... SELECT"
        " over a recursive CTE (SQLite random()), one transaction, temporary file, WAL"
    )
    print(f"{'archive':>10} {'build s':>8} {'file MB':>8} {'median ms':>10} {'vs first':>9} {'matches':>8}")
    base = None
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        for n in archives:
            path = Path(tmp) / f"archive-{n}.db"
            db, build_seconds = build_archive(path, n, stories)
            seconds, matches = time_lookups(db, probes, runs=args.runs, threshold=args.threshold)
            db.close()
            megabytes = sum(p.stat().st_size for p in Path(tmp).glob(f"archive-{n}.db*")) / 1e6
            base = base or seconds
            print(
                f"{n:>10,} {build_seconds:>8.1f} {megabytes:>8.0f} {seconds * 1e3:>10.3f}"
                f" {seconds / base:>8.2f}x {matches:>8}"
            )
            for p in Path(tmp).glob(f"archive-{n}.db*"):
                p.unlink()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
