"""Deterministic local-government prose: headlines, standfirsts and article bodies made from `_words`.

Everything is drawn from a `random.Random` seeded by the caller, so the same seed always gives the
same words. A `Story` holds the choices that must stay the same across one article (its council,
people and issue), so the headline, the standfirst and the lazily written body agree with each other.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import _words as w
from ._model import Block

_SLOT_RE = re.compile(r"\{(\w+)\}")
_ORDINALS = ("second", "third", "fourth", "fifth")
_PSEUDO_SPACE = len(w.SYLLABLES) ** 4


def councils() -> tuple[str, ...]:
    """Every council name: each place gets one kind, picked so names read naturally."""
    return tuple(f"{place} {w.COUNCIL_KINDS[i % len(w.COUNCIL_KINDS)]}" for i, place in enumerate(w.PLACES))


_COUNCILS = councils()


def pseudo_word(number: int) -> str:
    """A capitalised invented word, distinct for every number below len(SYLLABLES) ** 4."""
    # An affine map with a multiplier coprime to the space is a bijection: neighbouring numbers get
    # unrelated-looking words while every word stays distinct.
    number = (number * 7_654_321 + 12_345) % _PSEUDO_SPACE
    parts = []
    for _ in range(4):
        number, digit = divmod(number, len(w.SYLLABLES))
        parts.append(w.SYLLABLES[digit])
    return "".join(parts).capitalize()


@functools.lru_cache(maxsize=4096)
def slugify(text: str, max_words: int = 10) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("£", "").replace("'", "").replace("’", ""))
    return "-".join(words[:max_words]) or "article"


def org_short(org: str) -> str:
    return org.removeprefix("the ")


@dataclass
class Story:
    """The fixed choices of one article."""

    section: str
    council: str
    council2: str
    org: str
    dept: str
    issue: str
    issue2: str
    policy: str
    service: str
    service2: str
    people: tuple[tuple[str, str, str], ...]  # (name, role, council)
    year: int
    short: str  # the outlet's name, for its stock lines
    phrase: str  # the article's distinctive phrase (public part)
    subscriber_phrase: str  # a second one, in the part only subscribers see


def new_story(rng: random.Random, section: str, year: int, short: str, phrase_number: int) -> Story:
    words = w.SECTIONS[section]
    council, council2 = rng.sample(_COUNCILS, 2)
    issues = words["issues"]
    services = words["services"]
    assert isinstance(issues, tuple) and isinstance(services, tuple)
    issue, issue2 = rng.sample(issues, 2)
    service, service2 = rng.sample(services, 2)
    policies = words["policies"]
    assert isinstance(policies, tuple)
    people = tuple(
        (
            f"{rng.choice(w.FIRST_NAMES)} {rng.choice(w.SURNAMES)}",
            rng.choice(w.ROLES),
            rng.choice((council, council2)),
        )
        for _ in range(2)
    )
    noun = w.PHRASE_NOUNS[phrase_number % len(w.PHRASE_NOUNS)]
    return Story(
        section=section,
        council=council,
        council2=council2,
        org=rng.choice(w.ORGS),
        dept=rng.choice(w.DEPARTMENTS),
        issue=issue,
        issue2=issue2,
        policy=rng.choice(policies),
        service=service,
        service2=service2,
        people=people,
        year=year,
        short=short,
        phrase=f"{pseudo_word(2 * phrase_number)} {noun}",
        subscriber_phrase=f"{pseudo_word(2 * phrase_number + 1)} clause",
    )


def _place_of(council: str) -> str:
    for kind in sorted(w.COUNCIL_KINDS, key=len, reverse=True):
        if council.endswith(" " + kind):
            return council[: -len(kind) - 1]
    return council


class Writer:
    """Fills templates for one story with one random stream."""

    def __init__(self, story: Story, rng: random.Random) -> None:
        self.story = story
        self.rng = rng
        self._used: set[str] = set()
        s = story
        r = rng
        self._slots: dict[str, Callable[[], str]] = {
            "Council": lambda: s.council,
            "Council2": lambda: s.council2,
            "Place": lambda: _place_of(s.council),
            "Place2": lambda: _place_of(s.council2),
            "OrgShort": lambda: org_short(s.org),
            "OrgFull": lambda: s.org,
            "dept": lambda: s.dept,
            "issue": lambda: s.issue,
            "issue2": lambda: s.issue2,
            "issueT": lambda: s.issue.removeprefix("the "),  # headline style drops the article
            "policy": lambda: s.policy,
            "service": lambda: s.service,
            "service2": lambda: s.service2,
            "adj": lambda: r.choice(w.ADJECTIVES),
            "Adj": lambda: r.choice(w.ADJECTIVES).capitalize(),
            "consequence": lambda: r.choice(w.CONSEQUENCES),
            "m": lambda: f"{r.randint(12, 485) / 10:g}",
            "bn": lambda: f"{r.randint(15, 89) / 10:g}",
            "n": lambda: str(r.randint(3, 60)),
            "pct": lambda: str(r.randint(2, 45)),
            "pct2": lambda: r.choice(("2.99", "4.99", "1.99", "3.5")),
            "year": lambda: str(s.year - r.randint(0, 2)),
            "year0": lambda: str(s.year - r.randint(5, 10)),
            "year2": lambda: str(s.year + r.randint(2, 5)),
            "month": lambda: r.choice(w.MONTHS),
            "ordinal": lambda: r.choice(_ORDINALS),
            "Short": lambda: s.short,
        }

    def fill(self, template: str) -> str:
        text = _SLOT_RE.sub(lambda match: self._slots[match.group(1)](), template)
        return text[0].upper() + text[1:]

    def pick(self, templates: tuple[str, ...]) -> str:
        return self.fill(self.rng.choice(templates))

    # --- headline and standfirst -------------------------------------------------------------
    def title(self) -> str:
        return self.pick(w.TITLE_TEMPLATES)

    def standfirst(self) -> str:
        return self.pick(w.STANDFIRST_TEMPLATES)

    # --- body --------------------------------------------------------------------------------
    def sentences(self, count: int) -> list[str]:
        # Each template at most once per article while unused ones remain, so no sentence repeats.
        unused = [t for t in w.SENTENCE_TEMPLATES if t not in self._used]
        pool = unused if len(unused) >= count else list(w.SENTENCE_TEMPLATES)
        chosen = self.rng.sample(pool, count)
        self._used.update(chosen)
        return [self.fill(template) for template in chosen]

    def quote(self, person: tuple[str, str, str]) -> str:
        name, role, council = person
        quote = self.pick(w.QUOTE_TEMPLATES)
        form = self.rng.randrange(3)
        if form == 0:
            return f"{name}, {role} of {council}, said: ‘{quote}’"
        if form == 1:
            return f"‘{quote}’ said {name}, {role} at {council}."
        return f"Speaking at a meeting of the full council, {name} said: ‘{quote}’"

    def org_quote(self) -> str:
        quote = self.pick(w.QUOTE_TEMPLATES)
        return f"A spokesperson for {self.story.org} said: ‘{quote}’"

    def body(self, internal_link: str | None, stock_line: bool) -> tuple[Block, ...]:
        """The full article: paragraphs, a lead-in and bulleted list, a subheading, more paragraphs."""
        r = self.rng
        s = self.story
        blocks: list[Block] = []
        para = lambda *parts: blocks.append(Block("p", " ".join(parts)))  # noqa: E731
        para(*self.sentences(2))
        phrase_sentence = r.choice(w.PHRASE_TEMPLATES).replace("{Phrase}", s.phrase)
        para(*self.sentences(1), phrase_sentence, *self.sentences(1))
        blocks.append(Block("p", self.quote(s.people[0])))
        for _ in range(r.randint(0, 2)):
            para(*self.sentences(r.randint(1, 2)))
        blocks.append(Block("p", self.pick(w.LIST_LEADINS)))
        for template in r.sample(w.LIST_ITEMS, r.randint(3, 5)):
            blocks.append(Block("li", self.fill(template)))
        para(*self.sentences(r.randint(2, 3)))
        blocks.append(Block("p", self.quote(s.people[1]) if r.random() < 0.6 else self.org_quote()))
        blocks.append(Block("h2", self.fill(r.choice(w.SUBHEADINGS))))
        for _ in range(r.randint(2, 4)):
            para(*self.sentences(r.randint(2, 3)))
        if internal_link is not None:
            anchor = "previously reported"
            text = f"As {s.short} {anchor}, {s.issue} has been a growing concern for councils across the region."
            blocks.append(Block("p", text, (anchor, internal_link)))
        if r.random() < 0.5:
            anchor = "published the consultation"
            text = f"{s.dept[0].upper()}{s.dept[1:]} {anchor} on {s.issue2} earlier this year."
            blocks.append(Block("p", text, (anchor, "https://www.gov.uk/government/consultations")))
        closing = [
            *self.sentences(1),
            r.choice(w.SUBSCRIBER_PHRASE_TEMPLATES).replace("{Phrase}", s.subscriber_phrase),
        ]
        if stock_line:
            closing.append(self.pick(w.STOCK_LINES))
        para(*closing)
        return tuple(blocks)


def edit_lightly(blocks: tuple[Block, ...], rng: random.Random, writer: Writer, share: float) -> tuple[Block, ...]:
    """A syndicated copy: about `share` of the sentences replaced, dropped or added."""
    edited: list[Block] = []
    for block in blocks:
        if block.kind != "p" or block.link is not None:
            edited.append(block)
            continue
        sentences = re.split(r"(?<=[.’])\s+(?=[A-Z‘])", block.text)
        out: list[str] = []
        for sentence in sentences:
            roll = rng.random()
            if roll < share / 3:
                continue  # dropped
            if roll < 2 * share / 3:
                out.extend(writer.sentences(1))  # replaced
                continue
            out.append(sentence)
            if roll < share:
                out.extend(writer.sentences(1))  # added
        edited.append(Block("p", " ".join(out) if out else block.text))
    return tuple(edited)


def truncate_sentence(text: str, rng: random.Random) -> str:
    """The first sentence of `text`, cut part-way through and ended with '...' (a one-line teaser)."""
    first = re.split(r"(?<=[.’])\s+", text, maxsplit=1)[0]
    words = first.split()
    keep = max(4, int(len(words) * rng.uniform(0.45, 0.75)))
    return " ".join(words[:keep]).rstrip(",;:") + "..."
