"""Deduplication: canonical URLs, exact content hashes, a near-duplicate index in SQLite, version changes.

Four questions, answered in the order the pipeline asks them:

1. Is this URL already archived? `canonical_url` / `prefer_canonical` give the key to look up.
2. Is this exact text already archived? `content_hash` is stable under whitespace, case,
   Unicode-compatibility and punctuation-style changes.
3. Is a lightly edited copy already archived? `NearDuplicateIndex` keeps a MinHash sketch of every
   story in two SQLite tables, so the check costs a fixed number of indexed look-ups whatever the
   archive's size.
4. Did a revisited article change? `what_changed` names what differs: text, title, access.

A page's declared canonical URL is trusted only as far as its text: `same_story` tells whether a
page that declares another archived page's URL carries that page's story at all.

A copy links to the earliest copy by publication date, whatever order the pages were fetched in:
`keep_earliest_original` turns the links round when an earlier-published copy is archived after a
later one (discovery hands out newest first, and outlets run concurrently). Links follow the text:
`relink_after_change` measures them again when a new version changes a row's text.

Nothing here opens, commits or rolls back a transaction: the caller wraps each article in one.

Near-duplicate scheme (measured in benchmarks/dedup.py):

- Text is normalised (`normalise_text`) and cut into overlapping 5-word shingles. Five words are
  rare enough that distinct articles on one topic share few shingles, and an outlet's standard
  sentences make up only a small share of any real article's shingles. Short briefs are the hard
  case (their standard sentences can be ~40% of the words, similarity up to ~0.46); an outlet's
  standard lines are best removed at extraction (`extract.drop_phrases`).
- Each shingle is hashed once (64-bit BLAKE2b). One-permutation MinHash spreads the hashes over 128
  bins by their top bits and keeps each bin's least value; empty bins (short texts) borrow a
  value from another bin chosen by a fixed pseudo-random sequence ("optimal densification",
  Shrivastava 2017). This costs one hash per shingle instead of 128, so pure Python is fast enough.
- The share of equal bins estimates the Jaccard similarity of the two shingle sets (standard
  error about 0.04); it is capped by the ratio of the two shingle counts, which bounds it.
- Threshold: `DEFAULT_NEAR_THRESHOLD` (0.6), chosen with the benchmark; see its comment.
- LSH: 32 bands of 4 bins; each band's values are hashed into `dedup_bands`. Two texts become
  candidates when any band agrees (probability 0.99 at similarity 0.6, 0.87 at 0.5, 0.05 at 0.2).
  Only candidates are verified, against the signature stored in `dedup_signatures`.
- A bucket shared by many articles is the mark of common text (boilerplate), not of one story:
  only its `BUCKET_CAP` earliest articles are verified. That bounds the work per look-up, and the
  earliest articles are the ones a duplicate links to.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import re
import sqlite3
import struct
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

log = logging.getLogger(__name__)

__all__ = [
    "BANDS",
    "BUCKET_CAP",
    "DEFAULT_NEAR_THRESHOLD",
    "NUM_BINS",
    "ROWS",
    "SAME_STORY_SIMILARITY",
    "SHINGLE_WORDS",
    "TRACKING_PARAMS",
    "FormerStory",
    "NearDuplicateIndex",
    "Sketch",
    "canonical_url",
    "content_hash",
    "is_home_url",
    "keep_earliest_original",
    "normalise_text",
    "prefer_canonical",
    "relink_after_change",
    "same_site",
    "same_story",
    "what_changed",
]

# --------------------------------------------------------------------------- URLs

#: Query parameters that only say where a click came from. A trailing `*` matches any suffix.
TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "ref",
    "_ga",
    "igshid",
    "yclid",
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path segment / a query key or value (RFC 3986 pchar, minus the
# query's own delimiters "&" and "=", which stay encoded inside a key or value).
_PATH_SAFE = frozenset(_UNRESERVED | frozenset(b"!$&'()*+,;=:@"))
_QUERY_SAFE = frozenset(_UNRESERVED | frozenset(b"!$'()*+,;:@/?"))
_HEX = frozenset(b"0123456789abcdefABCDEF")
_TRUE_VALUES = frozenset({"", "1", "true", "yes", "y", "on"})
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"


def _normalise_escapes(part: str, safe: frozenset[int]) -> str:
    """One canonical percent-encoding: unreserved characters decoded, other escapes upper-case,
    characters outside `safe` (spaces, non-ASCII, a stray '%') encoded as UTF-8."""
    data = part.encode("utf-8", errors="surrogatepass")
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == 0x25 and i + 2 < n and data[i + 1] in _HEX and data[i + 2] in _HEX:
            value = int(data[i + 1 : i + 3], 16)
            out.append(chr(value) if value in _UNRESERVED else f"%{value:02X}")
            i += 3
            continue
        out.append(chr(byte) if byte in safe else f"%{byte:02X}")
        i += 1
    return "".join(out)


def _remove_dot_segments(segments: list[str]) -> list[str]:
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return kept


def _tracking_matcher(extra: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact: set[str] = set()
    prefixes: list[str] = []
    for name in (*TRACKING_PARAMS, *extra):
        name = name.strip().lower()
        if not name:
            continue
        if name.endswith("*"):
            prefixes.append(name[:-1])
        else:
            exact.add(name)
    return frozenset(exact), tuple(prefixes)


def _host(hostname: str) -> str:
    """Lower-cased, without a trailing dot or leading `www.` / `amp.` labels (while two labels remain)."""
    host = hostname.lower().rstrip(".")
    while host.startswith(("www.", "amp.")) and host.count(".") >= 2:
        host = host[4:]
    return host


def canonical_url(url: str, *, extra_tracking_params: Iterable[str] = ()) -> str:
    """The form of `url` used as the archive's identity key; it is a key, not a URL to fetch.

    Rules, in order (anything that is not an absolute http(s) URL, or cannot be parsed, comes back
    stripped of surrounding whitespace and otherwise unchanged; this never raises):

    - Scheme: lower-cased; `http` becomes `https` when no port other than 80 is given, since news
      sites serve both and one redirects to the other (on an explicit other port it is kept: that
      is a particular server, such as a local test site).
    - Google AMP cache URLs (`<x>.cdn.ampproject.org/c/s/<host>/<path>`) become the publisher's URL.
    - Host: lower-cased, trailing dot dropped; leading `www.` and `amp.` (AMP subdomain) labels
      dropped while at least a two-label domain remains. User info is dropped.
    - Port: dropped when it is the scheme's default (80 for http, 443 for https).
    - Path: percent-encoding normalised (unreserved characters decoded, other escapes upper-case,
      spaces and non-ASCII encoded as UTF-8); `.` and `..` segments resolved; empty path -> `/`.
      Letter case is kept: paths are case-sensitive.
    - AMP and print variants: every `amp` path segment (`/news/story/amp`, `/amp/news/story`)
      and trailing `print` segments (`/news/story/print`) are dropped, case-insensitively; so are
      the query parameters `amp` and `print` when empty or true-ish (`1`, `true`, `yes`, `y`, `on`).
      A section really called "amp" would lose that segment too; a key is still unique per page
      unless the site also serves the same path without it.
    - Trailing slash: dropped from any path but `/`. `/a/` and `/a` are treated as the same page,
      because news CMSs serve both for one article.
    - Query: tracking parameters dropped (`utm_*`, `fbclid`, `gclid`, `dclid`, `msclkid`, `mc_cid`,
      `mc_eid`, `ref`, `_ga`, `igshid`, `yclid`, plus `extra_tracking_params`; names match
      case-insensitively and a trailing `*` matches any suffix); empty `&&` pieces dropped; the
      remaining pairs percent-normalised and sorted (by key, then value, keeping `+` as is);
      no `?` when nothing is left.
    - Fragment: dropped.

    The result is a fixed point: `canonical_url(canonical_url(u)) == canonical_url(u)`.
    """
    stripped = url.strip() if isinstance(url, str) else ""
    try:
        return _canonical(stripped, extra_tracking_params)
    except (ValueError, UnicodeError):
        return stripped


def _canonical(url: str, extra: Iterable[str]) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    hostname = parts.hostname.rstrip(".")
    path = parts.path
    if hostname.endswith(_AMP_CACHE_SUFFIX):
        # /c/s/host/path (https) or /c/host/path (http); "v" is the viewer variant of "c".
        match = re.match(r"^/[cv]/(s/)?([^/]+)(/.*)?$", path)
        if match:
            scheme = "https"
            inner = f"https://{match.group(2)}{match.group(3) or '/'}"
            inner_parts = urlsplit(inner)
            if inner_parts.hostname:
                parts = inner_parts._replace(query=parts.query)
                hostname = inner_parts.hostname
                path = inner_parts.path
    port = parts.port  # raises ValueError on a junk port, handled by the caller
    default_port = _DEFAULT_PORTS[parts.scheme.lower()]
    host = _host(hostname)
    if ":" in host:  # an IPv6 literal needs its brackets back
        host = f"[{host}]"
    if port is not None and port != default_port:
        host = f"{host}:{port}"
        scheme = parts.scheme.lower()
    elif scheme == "http":
        scheme = "https"

    # Escapes first, so that an encoded dot segment or "amp" is recognised, and a second pass
    # over the result changes nothing.
    raw_segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    segments = _remove_dot_segments([_normalise_escapes(segment, _PATH_SAFE) for segment in raw_segments])
    segments = [segment for segment in segments if segment.lower() != "amp"]
    while segments and (segments[-1] == "" or segments[-1].lower() == "print"):
        segments.pop()
    canonical_path = "/" + "/".join(segments)

    exact, prefixes = _tracking_matcher(extra)
    pairs: list[tuple[str, str, bool]] = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        raw_key, has_value, raw_value = piece.partition("=")
        key, value = _normalise_escapes(raw_key, _QUERY_SAFE), _normalise_escapes(raw_value, _QUERY_SAFE)
        name = key.lower()
        if name in exact or (prefixes and name.startswith(prefixes)):
            continue
        if name in ("amp", "print") and value.lower() in _TRUE_VALUES:
            continue
        pairs.append((key, value, bool(has_value)))
    pairs.sort()
    query = "&".join(f"{key}={value}" if has_value else key for key, value, has_value in pairs)
    return urlunsplit((scheme, host, canonical_path, query, ""))


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on one site: equal hosts once `www.` / `amp.` are dropped."""
    try:
        host_a, host_b = urlsplit(a.strip()).hostname, urlsplit(b.strip()).hostname
    except ValueError:
        return False
    return bool(host_a and host_b) and _host(host_a or "") == _host(host_b or "")


def prefer_canonical(fetched_url: str, declared: str | None, *, extra_tracking_params: Iterable[str] = ()) -> str:
    """The canonical URL of a fetched page: its declared `rel=canonical` / `og:url` when that is on
    the same site (a relative one is resolved against `fetched_url`), else the fetched URL; in
    both cases passed through `canonical_url`.

    A declared URL is ignored when it points at the site's home page while the page itself is
    not the home page: some CMSs declare the home page as every page's canonical, and honouring it
    would merge every article into one.
    """
    fetched = canonical_url(fetched_url, extra_tracking_params=extra_tracking_params)
    if not declared or not isinstance(declared, str) or not declared.strip():
        return fetched
    try:
        absolute = urljoin(fetched_url.strip(), declared.strip())
    except ValueError:
        return fetched
    if not same_site(fetched_url, absolute):
        return fetched
    chosen = canonical_url(absolute, extra_tracking_params=extra_tracking_params)
    if not chosen.lower().startswith(("https://", "http://")):
        return fetched
    # The query counts: "/?p=123" (WordPress' default permalink) is an article, not the home page.
    if is_home_url(chosen) and not is_home_url(fetched):
        return fetched
    return chosen


def is_home_url(url: str) -> bool:
    """Whether `url` is a site's root: path "/" (or none) and no query ("/?p=123" is an article)."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


# --------------------------------------------------------------------------- exact duplicates

# Candidates for punctuation: anything neither a word character nor a space, and "_" (a word
# character in regular expressions, but Unicode punctuation, category Pc). Only these are looked up.
_NON_WORD = re.compile(r"[^\w\s]|_")


def _space_punctuation(match: re.Match[str]) -> str:
    char = match.group()
    return " " if unicodedata.category(char).startswith("P") else char


def normalise_text(text: str | None) -> str:
    """Text reduced to what a reader would call "the same words": Unicode NFKC, case-folded,
    every punctuation character (any Unicode `P*` category: quotes of any style, dashes,
    apostrophes, full stops) replaced by a space, whitespace runs collapsed to one space, trimmed.
    Symbols (`£`, `%`, `+`) and digits are kept, so "£5.5m" and "£55m" stay different."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(_space_punctuation, folded).split())


def content_hash(text: str | None) -> str:
    """SHA-256 (hex) of `normalise_text(text)`: equal for texts that differ only in whitespace,
    case, Unicode compatibility forms or punctuation."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- near duplicates

SHINGLE_WORDS = 5
#: Measured by benchmarks/dedup.py: copies with 5-20% of sentences edited, added or dropped score
#: 0.55-1.0 (exact Jaccard), distinct stories sharing an outlet's boilerplate up to ~0.46 (short
#: briefs); 0.6 keeps clear of the latter with the sketch's error (s.d. ~0.04) and loses <2% of
#: the former. At 0.8 recall falls to ~0.7.
DEFAULT_NEAR_THRESHOLD = 0.6
NUM_BINS = 128
BANDS = 32
ROWS = NUM_BINS // BANDS
#: At most this many articles are verified per LSH bucket (the earliest ones); see the module doc.
BUCKET_CAP = 16
_SIGNATURE_VERSION = 1
_BIN_SHIFT = 64 - int(math.log2(NUM_BINS))
_VALUE_MASK = 0xFFFFFFFF
_EMPTY = _VALUE_MASK + 1
# A format byte, the shingle count, then the bin values; little-endian whatever the platform.
_SIGNATURE_FORMAT = f"<BI{NUM_BINS}I"
_SIGNATURE_SIZE = struct.calcsize(_SIGNATURE_FORMAT)
_BAND_FORMAT = f"<{ROWS}I"
# For each empty bin, the fixed sequence of bins it may borrow from. 64 tries leave a bin empty
# with probability (1 - filled share) ** 64; a linear scan after that keeps it deterministic.
_DENSIFY_TRIES = 64
_DENSIFY_ORDER: tuple[tuple[int, ...], ...] = tuple(
    tuple(rng.randrange(NUM_BINS) for _ in range(_DENSIFY_TRIES))
    for rng in [random.Random(20240611)]
    for _ in range(NUM_BINS)
)


@dataclass(frozen=True)
class Sketch:
    """A text's MinHash signature: `NUM_BINS` 32-bit values, and the number of distinct shingles
    they summarise (which bounds the similarity: J(A, B) <= min(|A|, |B|) / max(|A|, |B|))."""

    values: tuple[int, ...]
    shingles: int

    def similarity(self, other: Sketch) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets (0.0 to 1.0)."""
        return _similarity(self, other)

    def band_hashes(self) -> tuple[int, ...]:
        """One signed 64-bit hash per LSH band (SQLite INTEGER range)."""
        values = self.values
        return tuple(
            int.from_bytes(
                hashlib.blake2b(struct.pack(_BAND_FORMAT, *values[start : start + ROWS]), digest_size=8).digest(),
                "little",
                signed=True,
            )
            for start in range(0, NUM_BINS, ROWS)
        )

    def to_bytes(self) -> bytes:
        return struct.pack(_SIGNATURE_FORMAT, _SIGNATURE_VERSION, self.shingles, *self.values)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Sketch | None:
        """The sketch stored in `blob`, or None when it was written by another signature format."""
        if len(blob) != _SIGNATURE_SIZE or blob[0] != _SIGNATURE_VERSION:
            return None
        _, shingles, *values = struct.unpack(_SIGNATURE_FORMAT, blob)
        return cls(tuple(values), shingles)


def _similarity(a: Sketch, b: Sketch) -> float:
    # Sets of very different sizes cannot reach a high Jaccard similarity, whatever the bins say.
    small, large = sorted((max(a.shingles, 1), max(b.shingles, 1)))
    estimate = sum(x == y for x, y in zip(a.values, b.values, strict=True)) / NUM_BINS
    return min(estimate, small / large)


def _shingle_hashes(words: list[str]) -> set[int]:
    encoded = [word.encode("utf-8") for word in words]
    blake, from_bytes, space = hashlib.blake2b, int.from_bytes, b" "
    if len(encoded) < SHINGLE_WORDS:
        return {from_bytes(blake(space.join(encoded), digest_size=8).digest(), "little")}
    return {
        from_bytes(blake(space.join(encoded[i : i + SHINGLE_WORDS]), digest_size=8).digest(), "little")
        for i in range(len(encoded) - SHINGLE_WORDS + 1)
    }


def sketch_words(words: list[str]) -> Sketch | None:
    """The sketch of an already normalised word list (None when it is empty)."""
    if not words:
        return None
    mins = [_EMPTY] * NUM_BINS
    shift, mask = _BIN_SHIFT, _VALUE_MASK
    hashes = _shingle_hashes(words)
    for value in hashes:
        slot = value >> shift
        low = value & mask
        if low < mins[slot]:
            mins[slot] = low
    values = list(mins)
    for slot in range(NUM_BINS):
        if mins[slot] != _EMPTY:
            continue
        for donor in _DENSIFY_ORDER[slot]:
            if mins[donor] != _EMPTY:
                values[slot] = mins[donor]
                break
        else:
            values[slot] = next(
                mins[(slot + step) % NUM_BINS]
                for step in range(1, NUM_BINS)
                if mins[(slot + step) % NUM_BINS] != _EMPTY
            )
    return Sketch(tuple(values), len(hashes))


class NearDuplicateIndex:
    """MinHash + LSH index of archived texts, kept in the archive's own SQLite database.

    Tables (created if missing):

    - `dedup_signatures(article_id INTEGER PRIMARY KEY, signature BLOB)`: one 517-byte signature
      per indexed article (a format byte, the shingle count, then `NUM_BINS` values; 32-bit little-endian).
    - `dedup_bands(band, hash, article_id)`, primary key `(band, hash, article_id)`, WITHOUT ROWID:
      the table is itself the `(band, hash)` index, its rows ordered by article within a bucket.

    Index only stories (articles that are not duplicates of an earlier one): `find` returns the
    earliest match, so copies need not be indexed, and indexing them would crowd buckets.

    `reindex` also reads `articles.duplicate_of` from the archive's own schema (scraper/archive.py).

    Never begins, commits or rolls back: run `add` / `remove` inside the caller's transaction.
    """

    def __init__(
        self, db: sqlite3.Connection, *, threshold: float = DEFAULT_NEAR_THRESHOLD, min_words: int = 50
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.db = db
        self.threshold = threshold
        self.min_words = max(0, min_words)
        # DDL does not open a transaction in the sqlite3 module, and IF NOT EXISTS makes it a no-op
        # on an existing archive.
        db.execute(
            "CREATE TABLE IF NOT EXISTS dedup_signatures (article_id INTEGER PRIMARY KEY, signature BLOB NOT NULL)"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS dedup_bands (band INTEGER NOT NULL, hash INTEGER NOT NULL,"
            " article_id INTEGER NOT NULL, PRIMARY KEY (band, hash, article_id)) WITHOUT ROWID"
        )

    @classmethod
    def from_settings(cls, db: sqlite3.Connection, settings: Any) -> NearDuplicateIndex:
        """Build from a `DedupSettings` (near_threshold, min_words)."""
        return cls(db, threshold=settings.near_threshold, min_words=settings.min_words)

    def sketch(self, text: str | None) -> Sketch | None:
        """The sketch of `text`, or None when it has fewer than `min_words` words."""
        words = normalise_text(text).split()
        if len(words) < self.min_words:
            return None
        return sketch_words(words)

    def candidates(self, sketch: Sketch) -> list[int]:
        """Ids sharing at least one LSH band with `sketch`, ascending; at most `BUCKET_CAP` per band."""
        found: set[int] = set()
        query = "SELECT article_id FROM dedup_bands WHERE band = ? AND hash = ? ORDER BY article_id LIMIT ?"
        for band, value in enumerate(sketch.band_hashes()):
            found.update(row[0] for row in self.db.execute(query, (band, value, BUCKET_CAP)))
        return sorted(found)

    def find(self, sketch: Sketch, *, exclude: int | None = None) -> tuple[int, float] | None:
        """The earliest (lowest id) indexed article at least `threshold` similar, with its similarity."""
        ids = [article_id for article_id in self.candidates(sketch) if article_id != exclude]
        if not ids:
            return None
        signatures: dict[int, bytes] = {}
        # Chunked so that a capped worst case (BANDS * BUCKET_CAP ids) stays under SQLite's variable limit.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            signatures.update(
                self.db.execute(
                    f"SELECT article_id, signature FROM dedup_signatures WHERE article_id IN ({marks})", chunk
                ).fetchall()
            )
        for article_id in ids:
            blob = signatures.get(article_id)
            stored = Sketch.from_bytes(blob) if blob is not None else None
            if stored is None:
                continue
            similarity = _similarity(sketch, stored)
            if similarity >= self.threshold:
                log.debug("near duplicate of article %d (estimated similarity %.2f)", article_id, similarity)
                return article_id, similarity
        return None

    def add(self, article_id: int, sketch: Sketch) -> None:
        """Index `article_id`, replacing what was indexed for it before (a new version's text)."""
        self.remove(article_id)
        self.db.execute(
            "INSERT INTO dedup_signatures (article_id, signature) VALUES (?, ?)",
            (article_id, sketch.to_bytes()),
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO dedup_bands (band, hash, article_id) VALUES (?, ?, ?)",
            [(band, value, article_id) for band, value in enumerate(sketch.band_hashes())],
        )

    def reindex(self, article_id: int, text: str | None) -> None:
        """Index the new text of a revisited article when it is a story (its `articles` row has no
        `duplicate_of`); a copy stays out of the index, as when it was first archived."""
        self.remove(article_id)
        row = self.db.execute("SELECT duplicate_of FROM articles WHERE id = ?", (article_id,)).fetchone()
        sketch = self.sketch(text) if row is not None and row[0] is None else None
        if sketch is not None:
            self.add(article_id, sketch)

    def remove(self, article_id: int) -> None:
        """Forget `article_id` (no-op when it is not indexed)."""
        row = self.db.execute("SELECT signature FROM dedup_signatures WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            return
        stored = Sketch.from_bytes(row[0])
        if stored is not None:
            self.db.executemany(
                "DELETE FROM dedup_bands WHERE band = ? AND hash = ? AND article_id = ?",
                [(band, value, article_id) for band, value in enumerate(stored.band_hashes())],
            )
        else:  # written by another signature format: its band hashes cannot be recomputed
            self.db.execute("DELETE FROM dedup_bands WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM dedup_signatures WHERE article_id = ?", (article_id,))


# --------------------------------------------------------------------------- versions

_CHANGE_KEYS = ("text", "title", "access")


def what_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """What differs between two versions of one article, in the order text, title, access.

    `text` is compared by `content_hash`, `title` by `normalise_text`, `access` (the label) as is;
    a missing key counts as None / empty. An empty tuple means the revisit changed nothing."""
    changed: list[str] = []
    if content_hash(old.get("text")) != content_hash(new.get("text")):
        changed.append("text")
    if normalise_text(old.get("title")) != normalise_text(new.get("title")):
        changed.append("title")
    if old.get("access") != new.get("access"):
        changed.append("access")
    return tuple(changed)


# --------------------------------------------------------------------------- which copy is the story


def _instant(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive ones taken as UTC), or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _link(db: sqlite3.Connection, copy: int, original: int) -> None:
    """Point `copy` at `original`, with the rule and similarity measured between the two texts."""
    rows = dict(db.execute("SELECT id, text FROM articles WHERE id IN (?, ?)", (copy, original)).fetchall())
    copy_text, original_text = rows.get(copy) or "", rows.get(original) or ""
    if content_hash(copy_text) == content_hash(original_text):
        rule, similarity = "exact", 1.0
    else:
        # Measured without the index's word minimum: the two were already judged copies of one story.
        copy_sketch = sketch_words(normalise_text(copy_text).split())
        original_sketch = sketch_words(normalise_text(original_text).split())
        score = copy_sketch.similarity(original_sketch) if copy_sketch and original_sketch else 0.0
        rule, similarity = "near", score
    db.execute(
        "UPDATE articles SET duplicate_of = ?, duplicate_rule = ?, similarity = ? WHERE id = ?",
        (original, rule, similarity, copy),
    )


@dataclass(frozen=True)
class FormerStory:
    """The row that was the story until an earlier-published copy was archived."""

    id: int
    outlet: str
    run_id: int | None  # the run that wrote the row (lets a run correct its own counters)
    version: int


def keep_earliest_original(db: sqlite3.Connection, article_id: int, index: NearDuplicateIndex) -> FormerStory | None:
    """Make the earliest-published copy of a story the one every copy links to.

    `article_id` is a row just archived as a duplicate (`duplicate_of` set). When it was published
    strictly before the row it links to, it becomes the story instead: its own link is cleared,
    the former story and every row that pointed at it now point at `article_id` (rule and
    similarity measured again against its text), and the near-duplicate index holds `article_id`
    in place of the former story. Rows without a publication date keep the archive's order.

    Returns the former story when the links were turned round, else None. Runs inside the
    caller's transaction, like everything in this module.
    """
    row = db.execute(
        "SELECT a.duplicate_of, a.published, o.published, a.text, o.outlet, o.run_id, o.version "
        "FROM articles a JOIN articles o ON o.id = a.duplicate_of WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    former, published, former_published, text, outlet, run_id, version = row
    mine, theirs = _instant(published), _instant(former_published)
    if mine is None or theirs is None or mine >= theirs:
        return None
    db.execute(
        "UPDATE articles SET duplicate_of = NULL, duplicate_rule = NULL, similarity = NULL WHERE id = ?",
        (article_id,),
    )
    copies = [r[0] for r in db.execute("SELECT id FROM articles WHERE duplicate_of = ?", (former,)).fetchall()]
    for copy in [former, *copies]:
        _link(db, copy, article_id)
    index.remove(former)
    sketch = index.sketch(text)
    if sketch is not None:
        index.add(article_id, sketch)
    log.debug("article %d was published before article %d: it is now the story", article_id, former)
    return FormerStory(int(former), str(outlet), run_id, int(version or 1))


# --------------------------------------------------------------------------- is a page the same story


#: The least similarity at which a page declaring another archived page as its canonical URL is
#: taken for that page. Well below `DEFAULT_NEAR_THRESHOLD`, since the declaration is itself
#: evidence and a wrong refusal splits one story in two: an AMP, print or republished copy, even
#: one edited since, shares most of its shingles, while unrelated stories share only the outlet's
#: standard sentences. Short briefs full of those can still reach it (see the module doc).
SAME_STORY_SIMILARITY = 0.3


def same_story(
    text: str | None,
    title: str | None,
    other_text: str | None,
    other_title: str | None,
    *,
    threshold: float = SAME_STORY_SIMILARITY,
) -> bool:
    """Whether two pages plausibly carry one story: the same content hash, the same non-empty
    normalised title, or a MinHash estimate of at least `threshold` (measured without the index's
    word minimum, since a short page is still a page).

    The title counts because a variant may carry only part of the text (an AMP teaser of a
    paywalled article), which bounds the estimate by the ratio of the two lengths."""
    if content_hash(text) == content_hash(other_text):
        return True
    title_words = normalise_text(title)
    if title_words and title_words == normalise_text(other_title):
        return True
    sketch = sketch_words(normalise_text(text).split())
    other = sketch_words(normalise_text(other_text).split())
    return sketch is not None and other is not None and sketch.similarity(other) >= threshold


# --------------------------------------------------------------------------- links after a new version


def _match(index: NearDuplicateIndex, text: str | None, original_text: str | None) -> bool:
    """Whether `text` would be linked to `original_text` by the rules a new page is linked by:
    the same content hash, or a near-duplicate estimate of at least the index's threshold (for texts
    of at least its `min_words`)."""
    if text and content_hash(text) == content_hash(original_text):
        return True
    sketch, original = index.sketch(text), index.sketch(original_text)
    return sketch is not None and original is not None and sketch.similarity(original) >= index.threshold


def _deduplicate_again(db: sqlite3.Connection, article_id: int, index: NearDuplicateIndex) -> None:
    """Deduplicate an archived row as if it had just been stored: link it to the earliest story with
    the same content hash, else to the earliest near duplicate, else make it a story (indexed).
    As for a new row, an earlier-published copy then becomes the story (`keep_earliest_original`)."""
    db.execute(
        "UPDATE articles SET duplicate_of = NULL, duplicate_rule = NULL, similarity = NULL WHERE id = ?",
        (article_id,),
    )
    index.remove(article_id)
    text, digest = db.execute("SELECT text, content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
    found: int | None = None
    if text:
        row = db.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND duplicate_of IS NULL AND id != ? ORDER BY id LIMIT 1",
            (digest, article_id),
        ).fetchone()
        found = int(row[0]) if row else None
    sketch = index.sketch(text)
    if found is None and sketch is not None:
        near = index.find(sketch, exclude=article_id)
        found = near[0] if near is not None else None
    if found is None:
        if sketch is not None:
            index.add(article_id, sketch)
        log.debug("article %d no longer copies its story: it is a story now", article_id)
        return
    _link(db, article_id, found)
    keep_earliest_original(db, article_id, index)


def relink_after_change(db: sqlite3.Connection, article_id: int, index: NearDuplicateIndex) -> None:
    """Bring the links in line with the new text of `article_id` (a new version has just replaced
    its text), so that no link says "copy" of a text that is no longer there.

    - A story (`duplicate_of IS NULL`) is indexed under its new text. Its copies that still match
      it (exact, or near at the index's threshold) keep their link, with rule and similarity
      measured again; the others are deduplicated again, earliest-published first, as if newly
      archived: they may link to one another (the earliest of a group becomes their story), to
      another story, or become stories themselves.
    - A copy that still matches its story keeps the link (measured again); one that no longer
      does is deduplicated again in the same way.

    Counters are not changed: they say what each run fetched. Runs inside the caller's transaction.
    """
    row = db.execute("SELECT duplicate_of, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return
    original, text = row
    if original is not None:
        index.remove(article_id)  # copies are never indexed
        original_text = db.execute("SELECT text FROM articles WHERE id = ?", (original,)).fetchone()[0]
        if _match(index, text, original_text):
            _link(db, article_id, original)
        else:
            _deduplicate_again(db, article_id, index)
        return
    index.reindex(article_id, text)
    copies = db.execute(
        "SELECT id, text FROM articles WHERE duplicate_of = ? "
        "ORDER BY julianday(published) IS NULL, julianday(published), id",
        (article_id,),
    ).fetchall()
    stale: list[int] = []
    for copy, copy_text in copies:
        if _match(index, copy_text, text):
            _link(db, copy, article_id)
        else:
            stale.append(copy)
    for copy in stale:
        _deduplicate_again(db, copy, index)
