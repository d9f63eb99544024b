"""Clean author strings from bylines and metadata into a deduplicated tuple of names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .dates import find_date_in_text

# Words that introduce a byline in the languages of the shared corpora.
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:written|posted|reported|text|story|words|photos?|interview)\s+)?"
    r"(?:by|von|vom|from|par|por|door|av|af|przez|tekst|text|autor(?:in)?|author|"
    r"kirjoittanut|skrevet af|skrevet av|yazan|від|автор)\s*[:\-–]?\s+",
    re.IGNORECASE,
)
_LABEL_RE = re.compile(r"^\s*(?:authors?|autor(?:en|in)?|auteurs?|byline|written by|reporter)\s*:\s*", re.I)
# Separators between several names ("A and B", "A, B & C", "A und B", "A/B").
_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\||\s/\s|/|&|\+|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\boch\b|\ben\b|\bi\b|\bve\b|"
    r"\bu\.\b|\bsowie\b|・|、|，)\s*",
    re.IGNORECASE,
)
_ROLE_WORDS = re.compile(
    r"\b(?:correspondent|editor|reporter|writer|columnist|journalist|contributor|staff|producer|"
    r"redakteur(?:in)?|korrespondent(?:in)?|redaktion\b(?!s)|chefredakteur|autor(?:in)?|"
    r"photographer|fotograf(?:in)?|analyst|senior|chief|deputy|political|business|sports?\s+writer|"
    r"special to|for the|updated|published|aktualisiert|veröffentlicht|min(?:ute)?s?\s+read|"
    r"lesezeit|follow|twitter|email|e-mail)\b",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"\S+@\S+")
_URL_RE = re.compile(r"^(?:https?:)?//|^www\.", re.IGNORECASE)
_URL_IN_TEXT_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_PAREN_RE = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_DIGIT_RE = re.compile(r"\d")
_SPACE_RE = re.compile(r"\s+")
_MAX_NAME_CHARS = 60
_INVERTED_RE = re.compile(r"^\s*([A-ZÀ-Þ][\w'’-]+),\s*([A-ZÀ-Þ][\w'’.-]+(?:\s[A-ZÀ-Þ][\w'’.-]+)?)\s*$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def _clean_one(name: str) -> str | None:
    name = _SPACE_RE.sub(" ", name).strip(" \t\n.,;:-–—|·•*")
    if not name or _URL_RE.search(name) or _EMAIL_RE.fullmatch(name):
        return None
    name = _PREFIX_RE.sub("", _LABEL_RE.sub("", name)).strip(" .,;:-–—|·•*")
    if not name or len(name) > _MAX_NAME_CHARS or _DIGIT_RE.search(name) or _SLUG_RE.match(name):
        return None
    if _ROLE_WORDS.match(name):
        # A role on its own ("Political Editor" after a comma); "MJ reporter" is a real byline.
        return None
    if name.isupper() and len(name) > 4 and " " in name:
        # Small-caps bylines ("JOHN SMITH") read better in title case.
        name = name.title()
    return name


def split_names(raw: str) -> list[str]:
    """Names from one byline string: prefix, dates, roles, e-mails and separators removed."""
    text = _SPACE_RE.sub(" ", raw).strip()
    if not text:
        return []
    # Brackets first: "Deutsche Welle (www.dw.com)" must not lose only its URL and keep "(".
    text = _URL_IN_TEXT_RE.sub(" ", _EMAIL_RE.sub(" ", _PAREN_RE.sub(" ", text))).strip()
    if not text:
        return []
    # A date or a "|"-separated tail ("By X | 02 October 2013") is not part of a name.
    found = find_date_in_text(text)
    if found is not None:
        text = re.split(r"\s+[|•·—–-]\s+|\s+(?=\d)", text, maxsplit=1)[0] if "|" in text else text
    text = _PAREN_RE.sub(" ", text)
    inverted = _INVERTED_RE.match(text)
    if inverted:
        # "Brazil, Rachel" (Dublin Core order) -> "Rachel Brazil"
        text = f"{inverted.group(2)} {inverted.group(1)}"
    text = _LABEL_RE.sub("", text)
    text = _PREFIX_RE.sub("", text)
    parts = _SPLIT_RE.split(text)
    # "Smith, John" would split wrongly, but bylines in that order are rare; a role after a
    # comma ("Jane Doe, Political Editor") is common, and is dropped by _clean_one.
    names = [_clean_one(part) for part in parts]
    return [name for name in names if name]


def clean_authors(values: Iterable[str]) -> tuple[str, ...]:
    """Deduplicated (case-insensitively, first spelling kept) author names, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        for name in split_names(value):
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return tuple(out)
