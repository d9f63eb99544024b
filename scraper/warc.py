"""The raw WARC archive (ISO 28500): fetched Pages written as gzip WARC records, and Pages read back.

Writing (`WarcWriter`)
    One `.warc.gz` file at a time, each record its own gzip member, WARC/1.1. A file opens with a
    `warcinfo` record; each `write()` adds a `response` record (or a `revisit` record with the
    identical-payload-digest profile when the same payload was stored before) followed by its `request`
    record, flushed (and fsync'd by default) before `write()` returns, so a killed run loses at most the
    page in hand. A file is created as `NAME.warc.gz.open`, flock'ed while it is written, and renamed to
    `NAME.warc.gz` when it is closed or rotated (the Heritrix convention; warcio and pywb read either
    name). A new writer never appends: it always starts a new file, and first closes out `.open` files
    whose writer died (no flock held): their torn last gzip member is cut off and they are renamed.

    The HTTP block is rebuilt from the Page. Page.body is the decoded body, so the stored headers
    must not claim an encoding: Content-Encoding, Transfer-Encoding and a wrong Content-Length are kept
    under `X-Scraper-Original-<name>` and a correct Content-Length is added. Header lines are UTF-8.
    Secrets never reach the file: Cookie, Authorization, Proxy-Authorization, Set-Cookie and any
    header named like a token, session, secret, password or API key keep their name with the value
    "REDACTED", and a password in a URL's user-info is replaced the same way.

    A 304 (Page.not_modified) is written as what it is: a `response` with status 304 and an empty body.
    Empty payloads are never deduplicated (a revisit of nothing helps no one). The archive should keep
    pointing at the last 200 response, not at a 304.

    Extension fields on response/revisit records, read back into the Page:
      WARC-Scraper-Requested-URI  Page.requested_url (WARC-Target-URI is Page.final_url)
      WARC-Scraper-Elapsed-Ms     Page.elapsed_ms
      WARC-Scraper-Added-Headers  names of HTTP headers the writer added (Content-Length)
    WARC-Date is Page.fetched_at; WARC-Truncated: length marks Page.truncated.

Reading (`read_page`, `WarcReader`, `iter_pages`)
    `read_page` rebuilds the Page stored at (file, offset), undoing the header rewrite above and
    decoding the text with the fetcher's charset rules; a revisit is resolved to its original through
    a lookup callable (payload digest -> (file, offset)), else by scanning the folder (WARC-Refers-To,
    else WARC-Refers-To-Target-URI + WARC-Refers-To-Date + digest). `iter_pages` yields the HTML
    responses of any WARC or ARC file, gzip or not, ours or another crawler's; malformed records are
    skipped with a warning, and a truncated file is read up to its last complete record.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import gzip
import hashlib
import io
import itertools
import logging
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from . import __version__
from .errors import ArchiveError
from .fetch.charset import decode
from .models import Page

log = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
OPEN_SUFFIX = ".open"
REDACTED = "REDACTED"
DEFAULT_MAX_BYTES = 100_000_000
# Largest body read back from a record; bigger ones are cut and marked truncated (the fetcher caps lower).
DEFAULT_MAX_BODY = 50_000_000

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ORIGINAL_PREFIX = "X-Scraper-Original-"
_REQUESTED_URI = "WARC-Scraper-Requested-URI"
_ELAPSED_MS = "WARC-Scraper-Elapsed-Ms"
_ADDED_HEADERS = "WARC-Scraper-Added-Headers"
# Headers that describe the encoded transfer, which a decoded Page.body no longer has.
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding")
_SECRET_HEADERS = frozenset({"cookie", "cookie2", "set-cookie", "set-cookie2", "authorization", "proxy-authorization"})
# Sites carry credentials in headers of their own naming; a false positive only loses a harmless value.
_SECRET_NAME_RE = re.compile(r"token|secret|passw|api[-_]?key|session|csrf|credential", re.IGNORECASE)
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ARCHIVE_NAME_RE = re.compile(r"\.(?:w?arc)(?:\.gz)?(?:\.open)?$", re.IGNORECASE)
_READ_CHUNK = 1 << 16
# Several writers in one process must never pick the same file name.
_SERIAL = itertools.count()


@dataclass(frozen=True)
class WarcRef:
    """Where a response (or revisit) record starts: a file name relative to the WARC folder and its offset."""

    file: str
    offset: int
    record_id: str


class StoredPayload(NamedTuple):
    """A payload stored in full by a response record; persist these to answer `seen_digest` in later runs."""

    digest: str  # "sha1:<base32>", as in WARC-Payload-Digest
    uri: str
    date: str  # WARC-Date of the response record
    record_id: str
    file: str
    offset: int


SeenDigest = Callable[[str], tuple[str, str, str] | None]
DigestLookup = Callable[[str], tuple[str, int] | None]


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of a body, in warcio's (and Heritrix's) form: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class _Utf8Headers(StatusAndHeaders):
    """warcio %-encodes non-ASCII header values, which changes them; UTF-8 lines read back unchanged."""

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_bytes(header_filter, "utf-8")


# --- writing --------------------------------------------------------------------------------------


class WarcWriter:
    """Writes Pages to rotating `.warc.gz` files in `directory`. Thread-safe; use as a context manager.

    `seen_digest(digest)` answers from a persistent index whether an earlier run stored the payload,
    as (target URI, WARC-Date, record id); the writer also remembers what it wrote itself. Each payload
    stored in full is reported to `on_payload` (and kept in `digests_written`) for that index.
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        prefix: str = "scraper",
        seen_digest: SeenDigest | None = None,
        on_payload: Callable[[StoredPayload], None] | None = None,
        info: Mapping[str, str] | None = None,
        fsync: bool = True,
        recover: bool = True,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if not _TOKEN_RE.match(prefix):
            raise ValueError(f"WARC file prefix {prefix!r} must be letters, digits, '-', '_' or '.'")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._seen_digest = seen_digest
        self._on_payload = on_payload
        self._info = dict(info or {})
        self._fsync = fsync
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._writer: WARCWriter | None = None
        self._name = ""
        self._warcinfo_id = ""
        self._closed = False
        self._payloads: dict[str, StoredPayload] = {}
        self._written: list[StoredPayload] = []
        self.files: list[str] = []  # final names of the files this writer started, oldest first
        if recover:
            recover_open_files(self.directory)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def digests_written(self) -> tuple[StoredPayload, ...]:
        """Every payload this writer stored in full (not revisits), oldest first."""
        with self._lock:
            return tuple(self._written)

    @property
    def current_file(self) -> str | None:
        """The final name of the file being written, or None between files."""
        return self._name or None

    def write(self, page: Page, *, method: str = "GET", request_headers: Mapping[str, str] | None = None) -> WarcRef:
        """Append the page's response (or revisit) and request records; return where the response starts."""
        with self._lock:
            if self._closed:
                raise ArchiveError(f"{self.directory}: the WARC writer is closed; open a new one to write.")
            if self._writer is None or self._file is None:
                self._open_file()
            assert self._writer is not None and self._file is not None
            offset = self._file.tell()
            path = self.directory / (self._name + OPEN_SUFFIX)
            try:
                record_id, stored = self._write_pair(self._writer, page, method, request_headers, offset)
                if self._fsync:
                    os.fsync(self._file.fileno())
            except BaseException as exc:
                # A half-written record would make the rest of the file unreadable: cut it off and
                # leave this file, so the next write starts clean in a new one.
                self._abandon_tail(offset)
                if isinstance(exc, OSError):
                    raise ArchiveError(f"{path}: cannot write WARC record: {exc}") from exc
                raise
            ref = WarcRef(self._name, offset, record_id)
            if stored is not None:
                self._payloads[stored.digest] = stored
                self._written.append(stored)
            if self._file.tell() >= self.max_bytes:
                self._close_file()
        if stored is not None and self._on_payload is not None:
            self._on_payload(stored)
        return ref

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._close_file()

    # --- internals ---

    def _write_pair(
        self,
        writer: WARCWriter,
        page: Page,
        method: str,
        request_headers: Mapping[str, str] | None,
        offset: int,
    ) -> tuple[str, StoredPayload | None]:
        uri = _safe_uri(page.final_url)
        date = _warc_date(page.fetched_at)
        http_headers, added = _response_headers(page)
        digest = payload_digest(page.body)
        warc_headers: dict[str, str] = {
            "WARC-Date": date,
            "WARC-Warcinfo-ID": self._warcinfo_id,
            _REQUESTED_URI: _safe_uri(page.requested_url),
            _ELAPSED_MS: repr(float(page.elapsed_ms)),
        }
        if added:
            warc_headers[_ADDED_HEADERS] = ", ".join(added)
        if page.truncated:
            warc_headers["WARC-Truncated"] = "length"
        earlier = self._earlier(digest) if page.body else None
        stored: StoredPayload | None = None
        if earlier is not None:
            earlier_uri, earlier_date, earlier_id = earlier
            if earlier_id:
                warc_headers["WARC-Refers-To"] = earlier_id
            record = writer.create_revisit_record(
                uri,
                digest,
                earlier_uri,
                earlier_date,
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
        else:
            warc_headers["WARC-Payload-Digest"] = digest  # computed once here instead of again by warcio
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(page.body),
                length=len(page.body),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
        record_id: str = record.rec_headers.get_header("WARC-Record-ID")
        if earlier is None and page.body:
            stored = StoredPayload(digest, uri, date, record_id, self._name, offset)
        writer.write_record(record)
        request = writer.create_warc_record(
            uri,
            "request",
            http_headers=_request_headers(method, uri, request_headers),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record_id,
                "WARC-Warcinfo-ID": self._warcinfo_id,
            },
        )
        writer.write_record(request)
        return record_id, stored

    def _earlier(self, digest: str) -> tuple[str, str, str] | None:
        mine = self._payloads.get(digest)
        if mine is not None:
            return mine.uri, mine.date, mine.record_id
        if self._seen_digest is not None:
            return self._seen_digest(digest)
        return None

    def _open_file(self) -> None:
        for _attempt in range(1000):
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
            name = f"{self.prefix}-{stamp}-{next(_SERIAL):05d}-{os.getpid()}.warc.gz"
            path = self.directory / (name + OPEN_SUFFIX)
            if (self.directory / name).exists():
                continue
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                raise ArchiveError(f"{path}: cannot create WARC file: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            # Another process's recovery pass may have taken the brand-new file between create and lock.
            if not _same_file(fd, path):
                os.close(fd)
                continue
            break
        else:  # pragma: no cover - needs 1000 name collisions in a row
            raise ArchiveError(f"{self.directory}: cannot find a free WARC file name")
        self._file = os.fdopen(fd, "wb")
        self._name = name
        self.files.append(name)
        self._writer = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        info = {
            "software": f"scraper/{__version__} (warcio/{_warcio_version()})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "robots": "obey",
            **self._info,
        }
        warcinfo = self._writer.create_warcinfo_record(name, info)
        self._warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        try:
            self._writer.write_record(warcinfo)
            if self._fsync:
                os.fsync(fd)
                _fsync_dir(self.directory)
        except OSError as exc:
            self._abandon_tail(0)
            raise ArchiveError(f"{path}: cannot write WARC file: {exc}") from exc

    def _abandon_tail(self, offset: int) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.flush()
        with contextlib.suppress(OSError):
            os.ftruncate(self._file.fileno(), offset)
            self._file.seek(offset)
        with contextlib.suppress(OSError):
            self._close_file()

    def _close_file(self) -> None:
        assert self._file is not None
        open_path = self.directory / (self._name + OPEN_SUFFIX)
        try:
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            empty = self._file.tell() == 0
            # Renamed while still flock'ed, so a recovery pass elsewhere never sees a half-closed file.
            if empty:
                open_path.unlink(missing_ok=True)
            else:
                os.rename(open_path, self.directory / self._name)
            if self._fsync:
                _fsync_dir(self.directory)
        finally:
            self._file.close()
            self._file = None
            self._writer = None
            self._name = ""


def recover_open_files(directory: Path) -> list[Path]:
    """Close out `*.warc.gz.open` files whose writer died: cut a torn last record, rename to `*.warc.gz`.

    A file whose writer is alive is flock'ed and left alone. Returns the recovered files' new paths.
    """
    recovered: list[Path] = []
    for path in sorted(Path(directory).glob("*.warc.gz" + OPEN_SUFFIX)):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer holds it
            if not _same_file(fd, path):
                continue
            size = os.fstat(fd).st_size
            with os.fdopen(os.dup(fd), "rb") as stream:
                good = complete_gzip_prefix(stream)
            final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
            if good < size:
                log.warning("%s: cut %d bytes of a record torn when its writer died", path, size - good)
                os.ftruncate(fd, good)
            if good == 0:
                path.unlink()
                continue
            os.rename(path, final)
            recovered.append(final)
            log.info("%s: recovered as %s", path.name, final.name)
        finally:
            os.close(fd)
    return recovered


def complete_gzip_prefix(stream: IO[bytes]) -> int:
    """The length of the leading run of complete gzip members in `stream` (read from its start)."""
    stream.seek(0)
    good = pos = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    while True:
        data = stream.read(1 << 20)
        if not data:
            return good
        while data:
            try:
                # Bounded output: only member boundaries matter here, never the content.
                inflater.decompress(data, _READ_CHUNK)
            except zlib.error:
                return good
            if inflater.eof:
                rest = inflater.unused_data
                pos += len(data) - len(rest)
                good = pos
                data = rest
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                tail = inflater.unconsumed_tail
                pos += len(data) - len(tail)
                data = tail


# --- reading --------------------------------------------------------------------------------------


class WarcReader:
    """Reads Pages back from the WARC folder. `lookup(payload_digest)` gives (file, offset) of the record
    that stored a payload in full, to resolve revisits without scanning; when it is missing or misses,
    the folder is scanned (newest file first) and what the scan learned is kept for later calls."""

    def __init__(
        self, directory: Path, *, lookup: DigestLookup | None = None, max_body: int = DEFAULT_MAX_BODY
    ) -> None:
        self.directory = Path(directory)
        self._lookup = lookup
        self._max_body = max_body
        self._index: dict[str, _FileIndex] = {}

    def read_page(self, ref: WarcRef | tuple[str, int]) -> Page:
        file, offset = (ref.file, ref.offset) if isinstance(ref, WarcRef) else ref
        record = self._load_at(file, offset)
        if record.rec_type == "revisit":
            original = self._original(file, record)
            return _page(record, original, self._max_body, strict=True)
        if record.rec_type not in ("response", "resource"):
            raise ArchiveError(f"{file} @ {offset}: a {record.rec_type} record holds no page")
        return _page(record, record, self._max_body, strict=True)

    def _path(self, file: str) -> Path:
        if not file or "/" in file or "\\" in file or file in (".", ".."):
            raise ArchiveError(f"{file!r} is not a WARC file name inside {self.directory}")
        path = self.directory / file
        if path.exists():
            return path
        if (self.directory / (file + OPEN_SUFFIX)).exists():
            return self.directory / (file + OPEN_SUFFIX)
        raise ArchiveError(f"{path}: WARC file not found")

    def _open(self, file: str) -> IO[bytes]:
        # The writer renames NAME.open to NAME when it closes the file; a second try covers that moment.
        for _ in range(2):
            try:
                return open(self._path(file), "rb")  # the caller closes it
            except FileNotFoundError:
                continue
        raise ArchiveError(f"{self.directory / file}: WARC file not found")

    def _load_at(self, file: str, offset: int) -> _Loaded:
        with self._open(file) as stream:
            try:
                stream.seek(offset)
                iterator = ArchiveIterator(stream, arc2warc=True)
                record = next(iterator)
                loaded = _load(record, self._max_body)
            except StopIteration:
                raise ArchiveError(f"{file} @ {offset}: no WARC record there") from None
            except ArchiveError:
                raise
            except Exception as exc:
                raise ArchiveError(f"{file} @ {offset}: unreadable WARC record: {exc}") from exc
        if not loaded.complete:
            raise ArchiveError(f"{file} @ {offset}: the WARC record is cut short (truncated file)")
        return loaded

    def _original(self, file: str, revisit: _Loaded) -> _Loaded:
        digest = revisit.warc.get_header("WARC-Payload-Digest") or ""
        where = self._lookup(digest) if self._lookup is not None and digest else None
        if where is None:
            where = self._scan(file, revisit)
        if where is None:
            raise ArchiveError(
                f"{file}: revisit of {revisit.warc.get_header('WARC-Refers-To-Target-URI')} "
                f"({revisit.warc.get_header('WARC-Refers-To-Date')}): the original record is not in "
                f"{self.directory}"
            )
        original = self._load_at(*where)
        stored = original.warc.get_header("WARC-Payload-Digest")
        if original.rec_type != "response" or (digest and stored and stored.lower() != digest.lower()):
            raise ArchiveError(f"{where[0]} @ {where[1]}: not the response a revisit in {file} refers to")
        return original

    def _scan(self, file: str, revisit: _Loaded) -> tuple[str, int] | None:
        refers_to = revisit.warc.get_header("WARC-Refers-To")
        warc = revisit.warc
        key = (warc.get_header("WARC-Refers-To-Target-URI"), warc.get_header("WARC-Refers-To-Date"))
        digest = (revisit.warc.get_header("WARC-Payload-Digest") or "").lower()
        # The original is older than its revisit: its own file first, then the others newest first.
        names = sorted(p.name for p in self.directory.iterdir() if _ARCHIVE_NAME_RE.search(p.name))
        names.reverse()
        base = file[: -len(OPEN_SUFFIX)] if file.endswith(OPEN_SUFFIX) else file
        order = [base] + [_strip_open(n) for n in names if _strip_open(n) != base]
        for name in dict.fromkeys(order):
            index = self._index.get(name)
            if index is None:
                index = self._build_index(name)
                if index.final:  # a file still being written may gain records: index it afresh next time
                    self._index[name] = index
            if refers_to and refers_to in index.by_id:
                return name, index.by_id[refers_to]
            hit = index.by_capture.get(key)
            if hit is not None and (not digest or hit[1] == digest):
                return name, hit[0]
        return None

    def _build_index(self, file: str) -> _FileIndex:
        index = _FileIndex({}, {})
        try:
            stream = self._open(file)
        except ArchiveError:
            return index
        index.final = not stream.name.endswith(OPEN_SUFFIX)
        with stream:
            iterator = ArchiveIterator(stream, no_record_parse=True, arc2warc=True)
            try:
                for record in iterator:
                    if record.rec_type != "response":
                        continue
                    headers = record.rec_headers
                    offset = iterator.get_record_offset()
                    record_id = headers.get_header("WARC-Record-ID")
                    if record_id:
                        index.by_id[record_id] = offset
                    capture = (headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"))
                    digest = (headers.get_header("WARC-Payload-Digest") or "").lower()
                    index.by_capture[capture] = (offset, digest)
            except Exception as exc:  # a torn or foreign file: what was indexed so far still counts
                log.warning("%s: stopped indexing: %s", file, exc)
        return index


def read_page(
    directory: Path,
    ref: WarcRef | tuple[str, int],
    *,
    lookup: DigestLookup | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Page:
    """The Page stored at `ref` in the WARC folder; a revisit comes back with its original's body.
    Raises ArchiveError when the file, the record or a revisit's original cannot be read.
    For many reads, keep one `WarcReader`: it remembers what revisit scans learned."""
    return WarcReader(directory, lookup=lookup, max_body=max_body).read_page(ref)


def iter_pages(path: Path, *, max_body: int = DEFAULT_MAX_BODY, only_ok: bool = True) -> Iterator[Page]:
    """Every HTML page in one WARC or ARC file (gzip or not, from any crawler); see `iter_page_refs`."""
    for _ref, page in iter_page_refs(path, max_body=max_body, only_ok=only_ok):
        yield page


def looks_like_warc(path: Path) -> bool:
    """Whether the file starts as a WARC or ARC file does (plain or gzip'ed), so that a page or an
    archive of another kind given to import-warc is refused up front rather than read as nothing."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096)
            if head.startswith(b"\x1f\x8b"):
                stream.seek(0)
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read(4096), 64)
    except (OSError, zlib.error):
        return False
    return head.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://"))


def iter_page_refs(
    path: Path, *, max_body: int = DEFAULT_MAX_BODY, only_ok: bool = True
) -> Iterator[tuple[WarcRef, Page]]:
    """(where, Page) for every HTML response in a WARC/ARC file, and for revisits whose original comes
    earlier in the same file. `only_ok` keeps 2xx statuses only, as the fetcher does. Malformed records
    are skipped with a warning; reading stops at the first damage that loses the record boundaries
    (a truncated or corrupt file), with a warning, never an exception.

    A file gzip'ed as a whole rather than record by record is read too, but its offsets count
    decompressed bytes, so `read_page` cannot use them (`warcio recompress` makes it seekable)."""
    path = Path(path)
    done = [0]  # records consumed, so a second pass over a whole-file gzip can skip them
    try:
        yield from _iter_file(path, _open_plain, done, 0, max_body, only_ok)
    except _WholeFileGzip:
        log.info("%s: gzip'ed as a whole, not record by record; reading it as one stream", path)
        with contextlib.suppress(_WholeFileGzip):
            yield from _iter_file(path, _open_gunzip, [0], done[0], max_body, only_ok)


class _WholeFileGzip(Exception):
    pass


def _open_plain(path: Path) -> IO[bytes]:
    return open(path, "rb")


def _open_gunzip(path: Path) -> IO[bytes]:
    return io.BufferedReader(gzip.open(path, "rb"))


def _iter_file(
    path: Path, opener: Callable[[Path], IO[bytes]], done: list[int], skip: int, max_body: int, only_ok: bool
) -> Iterator[tuple[WarcRef, Page]]:
    try:
        stream = opener(path)
    except OSError as exc:
        log.warning("%s: cannot open: %s", path, exc)
        return
    # Payload digest -> offset of an HTML response earlier in this file, for revisits.
    originals: dict[str, int] = {}
    with stream:
        iterator = ArchiveIterator(stream, arc2warc=True)
        try:
            for record in iterator:
                done[0] += 1
                if done[0] <= skip:
                    continue
                if record.rec_type is None:
                    # What warcio makes of the headers of a record torn at the end of a gzip member.
                    log.warning("%s @ %d: record without WARC-Type (truncated file?)", path, iterator.offset)
                    continue
                if record.rec_type not in ("response", "revisit", "resource"):
                    continue
                try:
                    loaded = _load(record, max_body)
                    offset = iterator.get_record_offset()
                except Exception as exc:
                    log.warning("%s: skipped a malformed record: %s", path, exc)
                    continue
                if not loaded.complete:
                    log.warning("%s @ %d: record cut short; the file is truncated here", path, offset)
                    break
                page = _page_or_none(path, opener, offset, loaded, originals, max_body)
                if page is None or (only_ok and not 200 <= page.status < 300):
                    continue
                record_id = loaded.warc.get_header("WARC-Record-ID") or ""
                yield WarcRef(_strip_open(path.name), offset, record_id), page
        except ArchiveLoadFailed as exc:
            if "non-chunked gzip" in str(exc) and opener is not _open_gunzip:
                raise _WholeFileGzip() from exc
            log.warning("%s: stopped reading at offset %s: %s", path, iterator.offset, str(exc).strip())
        except Exception as exc:
            log.warning("%s: stopped reading at offset %s: %s", path, iterator.offset, exc)


# --- records -> Pages ------------------------------------------------------------------------------


@dataclass
class _FileIndex:
    by_id: dict[str, int]
    by_capture: dict[tuple[str | None, str | None], tuple[int, str]]
    final: bool = False


@dataclass(frozen=True)
class _Loaded:
    """A record read into memory: warcio's parsed headers and the payload bytes as stored."""

    rec_type: str
    warc: StatusAndHeaders
    http: StatusAndHeaders | None
    payload: bytes
    complete: bool  # False when the file ended before the record did
    capped: bool  # the payload was longer than max_body and was cut


def _load(record: Any, max_body: int) -> _Loaded:
    expected = record.payload_length if record.http_headers else record.length
    data = _read_capped(record.raw_stream, max_body)
    capped = len(data) > max_body
    if capped:
        data = data[:max_body]
    complete = capped or expected is None or expected < 0 or len(data) >= expected
    return _Loaded(record.rec_type, record.rec_headers, record.http_headers, data, complete, capped)


def _read_capped(stream: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _page_or_none(
    path: Path,
    opener: Callable[[Path], IO[bytes]],
    offset: int,
    loaded: _Loaded,
    originals: dict[str, int],
    max_body: int,
) -> Page | None:
    uri = loaded.warc.get_header("WARC-Target-URI") or ""
    if not uri.lower().startswith(("http:", "https:")):
        return None
    digest = (loaded.warc.get_header("WARC-Payload-Digest") or "").lower()
    source = loaded
    if loaded.rec_type == "revisit":
        where = originals.get(digest) if digest else None
        if where is None:
            log.debug("%s @ %d: revisit of %s whose original is not earlier in this file", path, offset, uri)
            return None
        try:
            with opener(path) as again:
                again.seek(where)
                source = _load(next(ArchiveIterator(again, arc2warc=True)), max_body)
        except Exception as exc:
            log.warning("%s @ %d: cannot reread the original of a revisit: %s", path, where, exc)
            return None
    try:
        page = _page(loaded, source, max_body, strict=False)
    except ValueError as exc:
        log.warning("%s @ %d: skipped %s: %s", path, offset, uri, exc)
        return None
    if page is None or not _is_html(page):
        return None
    if loaded.rec_type == "response" and digest and page.body:
        originals.setdefault(digest, offset)
    return page


def _page(head: _Loaded, body_from: _Loaded, max_body: int, *, strict: bool) -> Page:
    """Page from a record's headers (`head`) and the payload of `body_from` (the same record, or the
    original of a revisit). Raises ValueError (ArchiveError when `strict`) for what cannot be a page."""
    try:
        return _build_page(head, body_from, max_body)
    except ValueError as exc:
        if strict:
            raise ArchiveError(f"unreadable WARC record: {exc}") from exc
        raise


def _build_page(head: _Loaded, body_from: _Loaded, max_body: int) -> Page:
    warc = head.warc
    uri = warc.get_header("WARC-Target-URI") or ""
    http = head.http
    if http is None and head.rec_type == "resource":
        content_type = warc.get_header("Content-Type")
        resource_headers = [("Content-Type", content_type)] if content_type else []
        http = StatusAndHeaders("200 OK", resource_headers, protocol="HTTP/1.1")
    if http is None:
        raise ValueError(f"{uri}: no HTTP headers")
    try:
        status = int(http.get_statuscode())
    except ValueError:
        raise ValueError(f"{uri}: bad HTTP status line {http.statusline!r}") from None
    if not 100 <= status <= 999:
        raise ValueError(f"{uri}: bad HTTP status {status}")
    headers = _stored_headers(http.headers, warc)
    body, cut = _decoded_body(body_from, max_body)
    content_type = _header(headers, "content-type")
    main_type = (content_type or "").split(";")[0].strip().lower()
    text, encoding = decode(body, content_type) if body and _is_textual(main_type) else ("", None)
    try:
        elapsed_ms = float(warc.get_header(_ELAPSED_MS) or 0.0)
    except ValueError:
        elapsed_ms = 0.0
    return Page(
        requested_url=warc.get_header(_REQUESTED_URI) or uri,
        final_url=uri,
        status=status,
        headers=headers,
        body=body,
        text=text,
        encoding=encoding,
        fetched_at=_fetched_at(warc.get_header("WARC-Date")),
        elapsed_ms=elapsed_ms,
        etag=_header(headers, "etag"),
        last_modified=_header(headers, "last-modified"),
        not_modified=status == 304,
        truncated=cut or body_from.capped or bool(body_from.warc.get_header("WARC-Truncated")),
    )


def _decoded_body(record: _Loaded, max_body: int) -> tuple[bytes, bool]:
    """The payload without transfer and content encodings (which our own records never have)."""
    http = record.http
    if http is None:
        return record.payload, False
    chunked = (http.get_header("transfer-encoding") or "").strip().lower() == "chunked"
    coding = (http.get_header("content-encoding") or "").strip().lower()
    if coding in ("", "identity", "none"):
        coding = ""
    elif coding not in BufferedReader.get_supported_decompressors():
        raise ValueError(f"unsupported Content-Encoding {coding!r}")
    if not chunked and not coding:
        return record.payload, False
    source = io.BytesIO(record.payload)
    reader: Any
    if chunked:
        reader = ChunkedDataReader(source, decomp_type=coding or None)
    else:
        reader = BufferedReader(source, decomp_type=coding)
    try:
        data = _read_capped(reader, max_body)
    except Exception as exc:
        raise ValueError(f"cannot decode {coding or 'chunked'} body: {exc}") from exc
    if len(data) > max_body:
        return data[:max_body], True
    return data, False


def _stored_headers(stored: list[tuple[str, str]], warc: StatusAndHeaders) -> tuple[tuple[str, str], ...]:
    """The Page's headers: undo the writer's renames, drop what it added."""
    listed = (warc.get_header(_ADDED_HEADERS) or "").split(",")
    added = {name.strip().lower() for name in listed if name.strip()}
    prefix = _ORIGINAL_PREFIX.lower()
    headers: list[tuple[str, str]] = []
    for name, value in stored:
        lname = name.lower()
        if lname in added:
            continue
        if lname.startswith(prefix):
            name = name[len(prefix) :]
        headers.append((name, value))
    return tuple(headers)


def _response_headers(page: Page) -> tuple[StatusAndHeaders, list[str]]:
    headers: list[tuple[str, str]] = []
    length_ok = False
    for name, value in page.headers:
        if not _TOKEN_RE.match(name):
            log.debug("%s: dropped a header with an invalid name %r", page.final_url, name)
            continue
        lname = name.lower()
        clean = _one_line(value)
        if lname in _TRANSFER_HEADERS or lname.startswith(_ORIGINAL_PREFIX.lower()):
            headers.append((_ORIGINAL_PREFIX + name, clean))
        elif lname == "content-length":
            if clean.strip() == str(len(page.body)) and not length_ok:
                length_ok = True
                headers.append((name, clean))
            else:
                headers.append((_ORIGINAL_PREFIX + name, clean))
        else:
            headers.append((name, _redact(name, clean)))
    added: list[str] = []
    if not length_ok:
        headers.append(("Content-Length", str(len(page.body))))
        added.append("Content-Length")
    try:
        reason = HTTPStatus(page.status).phrase
    except ValueError:
        reason = "Unknown"
    return _Utf8Headers(f"{page.status} {reason}", headers, protocol="HTTP/1.1"), added


def _request_headers(method: str, uri: str, given: Mapping[str, str] | None) -> StatusAndHeaders:
    parts = urlsplit(uri)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    method = method.upper() if _TOKEN_RE.match(method) else "GET"
    headers: list[tuple[str, str]] = []
    for name, value in (given or {}).items():
        if _TOKEN_RE.match(name):
            headers.append((name, _redact(name, _one_line(value))))
    if not any(name.lower() == "host" for name, _ in headers) and parts.netloc:
        headers.insert(0, ("Host", parts.netloc.rpartition("@")[2]))
    return _Utf8Headers(f"{target} HTTP/1.1", headers, protocol=method)


def _redact(name: str, value: str) -> str:
    if name.lower() in _SECRET_HEADERS or _SECRET_NAME_RE.search(name):
        return REDACTED
    return value


def _one_line(value: str) -> str:
    # A CR or LF inside a value would end the header block early and corrupt the record.
    return value.replace("\r", " ").replace("\n", " ")


def _safe_uri(url: str) -> str:
    url = _one_line(url).replace(" ", "%20")
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:{REDACTED}@{host}"))
    except ValueError:
        return url


def _warc_date(fetched_at: str) -> str:
    try:
        moment = datetime.fromisoformat(fetched_at)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (TypeError, ValueError):
        moment = datetime.now(UTC)
    return str(datetime_to_iso_date(moment.replace(tzinfo=None), use_micros=True))


def _fetched_at(warc_date: str | None) -> str:
    """WARC-Date in the fetcher's Page.fetched_at form (ISO 8601 UTC, milliseconds)."""
    try:
        moment = iso_date_to_datetime(warc_date or "")
    except (TypeError, ValueError, IndexError):
        return ""
    return str(moment.replace(tzinfo=UTC).isoformat(timespec="milliseconds"))


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _is_textual(content_type: str) -> bool:
    # The fetcher's rule for which bodies get a decoded Page.text.
    return (
        not content_type
        or content_type.startswith("text/")
        or content_type in HTML_TYPES
        or content_type.endswith(("/xml", "+xml", "json"))
    )


def _is_html(page: Page) -> bool:
    if page.content_type:
        return page.content_type in HTML_TYPES
    head = page.body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _strip_open(name: str) -> str:
    return name[: -len(OPEN_SUFFIX)] if name.endswith(OPEN_SUFFIX) else name


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _warcio_version() -> str:
    try:
        return package_version("warcio")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
