"""The raw WARC archive: writing Pages, reading them back, dedup by revisit, rotation, secrets, crash safety,
and reading other crawlers' WARC/ARC files."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from scraper.errors import ArchiveError
from scraper.fetch.charset import decode
from scraper.models import Page
from scraper.warc import (
    OPEN_SUFFIX,
    REDACTED,
    StoredPayload,
    WarcReader,
    WarcRef,
    WarcWriter,
    complete_gzip_prefix,
    iter_page_refs,
    iter_pages,
    payload_digest,
    read_page,
    recover_open_files,
)


def make_page(
    url: str = "https://news.example/a",
    body: bytes = b"<html><body><p>Hello</p></body></html>",
    *,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),),
    status: int = 200,
    requested_url: str | None = None,
    fetched_at: str = "2024-05-01T10:00:00.123+00:00",
    truncated: bool = False,
) -> Page:
    """A Page as the fetcher builds it: text decoded with the fetcher's charset rules."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    text, encoding = decode(body, content_type) if body else ("", None)
    etag = next((v for k, v in headers if k.lower() == "etag"), None)
    last_modified = next((v for k, v in headers if k.lower() == "last-modified"), None)
    return Page(
        requested_url=requested_url or url,
        final_url=url,
        status=status,
        headers=headers,
        body=body,
        text=text,
        encoding=encoding,
        fetched_at=fetched_at,
        elapsed_ms=42.5,
        etag=etag,
        last_modified=last_modified,
        not_modified=status == 304,
        truncated=truncated,
    )


def records(path: Path) -> list[tuple[int, str, object, bytes]]:
    """(offset, WARC-Type, parsed record headers, payload) for each record, read by warcio itself."""
    out = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            payload = record.content_stream().read()
            out.append((iterator.get_record_offset(), record.rec_type, record, payload))
    return out


def warcio_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


# --- round trip -----------------------------------------------------------------------------------


def test_pages_round_trip_with_body_headers_status_and_charset(tmp_path: Path) -> None:
    pages = [
        make_page(
            "https://news.example/utf8",
            "<html><body><p>Zoë – naïve €</p></body></html>".encode(),
            headers=(
                ("Content-Type", "text/html; charset=utf-8"),
                ("ETag", '"v1"'),
                ("Last-Modified", "Wed, 01 May 2024 09:00:00 GMT"),
                ("X-Note", "café ∑"),
            ),
        ),
        # The charset is only in the header: windows-1252 bytes that are invalid UTF-8.
        make_page(
            "https://news.example/cp1252",
            "<html><body><p>Café “quoted” €5</p></body></html>".encode("cp1252"),
            headers=(("Content-Type", "text/html; charset=windows-1252"),),
        ),
        # The charset is only in <meta>.
        make_page(
            "https://news.example/sjis",
            '<html><head><meta charset="shift_jis"></head><body>日本語</body></html>'.encode("shift_jis"),
            headers=(("Content-Type", "text/html"),),
        ),
        make_page("https://news.example/moved", requested_url="https://news.example/old"),
        make_page("https://news.example/gone", b"<html>not here</html>", status=404),
        make_page("https://news.example/cut", b"<html><body>" + b"a" * 500, truncated=True),
    ]
    with WarcWriter(tmp_path) as writer:
        refs = [writer.write(page) for page in pages]
    for page, ref in zip(pages, refs, strict=True):
        assert read_page(tmp_path, ref) == page
        assert read_page(tmp_path, (ref.file, ref.offset)) == page
    assert read_page(tmp_path, refs[1]).text == "<html><body><p>Café “quoted” €5</p></body></html>"
    assert read_page(tmp_path, refs[2]).encoding == "shift_jis"
    assert read_page(tmp_path, refs[3]).requested_url == "https://news.example/old"


def test_the_stored_http_block_matches_the_decoded_body(tmp_path: Path) -> None:
    # A Page whose headers still describe the compressed transfer: the stored block must not.
    body = b"<html><body>" + b"decoded text " * 100 + b"</body></html>"
    page = make_page(
        headers=(
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "97"),
            ("Transfer-Encoding", "chunked"),
        ),
        body=body,
    )
    with WarcWriter(tmp_path) as writer:
        ref = writer.write(page)
    [warc] = warc_files(tmp_path)
    response = next(r for r in records(warc) if r[0] == ref.offset)
    http = response[2].http_headers  # type: ignore[attr-defined]
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(body))
    assert http.get_header("X-Scraper-Original-Content-Encoding") == "gzip"
    assert response[3] == body  # warcio reads the payload as plain bytes, nothing to inflate
    # and the Page comes back exactly as the fetcher made it
    assert read_page(tmp_path, ref) == page


def test_a_304_is_stored_as_an_empty_response_and_never_as_a_revisit(tmp_path: Path) -> None:
    not_modified = make_page(body=b"", status=304, headers=(("ETag", '"v1"'),))
    with WarcWriter(tmp_path) as writer:
        first = writer.write(not_modified)
        second = writer.write(not_modified)
        assert writer.digests_written == ()
    [warc] = warc_files(tmp_path)
    types = {offset: kind for offset, kind, _, _ in records(warc)}
    assert types[first.offset] == types[second.offset] == "response"
    page = read_page(tmp_path, second)
    assert page.not_modified and page.status == 304 and page.body == b"" and page.etag == '"v1"'


# --- revisits -------------------------------------------------------------------------------------


def test_identical_payload_in_one_writer_becomes_a_revisit(tmp_path: Path) -> None:
    body = b"<html><body><p>Same story</p></body></html>"
    first = make_page("https://news.example/story", body, fetched_at="2024-05-01T10:00:00.000+00:00")
    again = make_page(
        "https://news.example/story?utm=x",
        body,
        fetched_at="2024-05-02T11:00:00.500+00:00",
        headers=(("Content-Type", "text/html; charset=utf-8"), ("Date", "Thu, 02 May 2024 11:00:00 GMT")),
    )
    with WarcWriter(tmp_path) as writer:
        ref1 = writer.write(first)
        ref2 = writer.write(again)
        written = writer.digests_written
    assert written == (
        StoredPayload(
            payload_digest(body), first.final_url, "2024-05-01T10:00:00Z", ref1.record_id, ref1.file, ref1.offset
        ),
    )
    [warc] = warc_files(tmp_path)
    revisit = next(r for r in records(warc) if r[0] == ref2.offset)
    assert revisit[1] == "revisit"
    headers = revisit[2].rec_headers  # type: ignore[attr-defined]
    assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert headers.get_header("WARC-Refers-To") == ref1.record_id
    assert headers.get_header("WARC-Refers-To-Target-URI") == first.final_url
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(body)
    assert body not in gzip.decompress(warc.read_bytes()).split(b"WARC-Type: revisit", 1)[1]
    # read back: the revisit's own URL, date and headers, the original's body
    assert read_page(tmp_path, ref2) == again
    assert [p.final_url for p in iter_pages(warc)] == [first.final_url, again.final_url]


def test_seen_digest_from_an_earlier_run_makes_a_revisit_that_read_page_resolves(tmp_path: Path) -> None:
    body = b"<html><body><p>Unchanged since yesterday</p></body></html>"
    yesterday = make_page("https://news.example/s", body, fetched_at="2024-05-01T10:00:00.000+00:00")
    today = make_page("https://news.example/s", body, fetched_at="2024-05-02T10:00:00.000+00:00")
    index: dict[str, StoredPayload] = {}
    with WarcWriter(tmp_path, on_payload=lambda p: index.__setitem__(p.digest, p)) as run1:
        ref1 = run1.write(yesterday)
    asked: list[str] = []

    def seen(digest: str) -> tuple[str, str, str] | None:
        asked.append(digest)
        hit = index.get(digest)
        return (hit.uri, hit.date, hit.record_id) if hit else None

    with WarcWriter(tmp_path, seen_digest=seen) as run2:
        ref2 = run2.write(today)
        fresh = run2.write(make_page("https://news.example/new", b"<html>new</html>"))
    assert asked == [payload_digest(body), payload_digest(b"<html>new</html>")]
    assert ref1.file != ref2.file  # every writer starts its own file
    kinds = {(f.name, off): kind for f in warc_files(tmp_path) for off, kind, _, _ in records(f)}
    assert kinds[(ref2.file, ref2.offset)] == "revisit"
    assert kinds[(fresh.file, fresh.offset)] == "response"
    # resolved by scanning the folder ...
    assert read_page(tmp_path, ref2) == today
    # ... or through the lookup an index provides, which is then the only way used
    looked_up: list[str] = []

    def lookup(digest: str) -> tuple[str, int] | None:
        looked_up.append(digest)
        hit = index.get(digest)
        return (hit.file, hit.offset) if hit else None

    reader = WarcReader(tmp_path, lookup=lookup)
    assert reader.read_page(ref2) == today
    assert looked_up == [payload_digest(body)]


def test_one_reader_resolves_revisits_in_a_file_that_is_still_growing(tmp_path: Path) -> None:
    reader = WarcReader(tmp_path)
    with WarcWriter(tmp_path) as writer:
        writer.write(make_page("https://news.example/a", b"<html>A</html>"))
        first = writer.write(make_page("https://news.example/a2", b"<html>A</html>"))
        assert reader.read_page(first).body == b"<html>A</html>"
        writer.write(make_page("https://news.example/b", b"<html>B</html>"))
        later = writer.write(make_page("https://news.example/b2", b"<html>B</html>"))
        assert reader.read_page(later).body == b"<html>B</html>"


def test_a_revisit_whose_original_is_gone_is_a_clear_error(tmp_path: Path) -> None:
    body = b"<html>once</html>"
    with WarcWriter(tmp_path) as run1:
        ref1 = run1.write(make_page(body=body))
    earlier = ("https://news.example/a", "2024-05-01T10:00:00Z", ref1.record_id)
    with WarcWriter(tmp_path, seen_digest=lambda digest: earlier) as run2:
        ref2 = run2.write(make_page(body=body))
    (tmp_path / ref1.file).unlink()
    with pytest.raises(ArchiveError, match="original record is not in"):
        read_page(tmp_path, ref2)


# --- rotation, file names, warcio's own tools -----------------------------------------------------


def test_rotation_by_size_and_every_file_passes_warcio_index_and_check(tmp_path: Path) -> None:
    pages = [
        make_page(f"https://news.example/{i}", f"<html><body>{os.urandom(2000).hex()}</body></html>".encode())
        for i in range(12)
    ]
    with WarcWriter(tmp_path, max_bytes=10_000, prefix="mj") as writer:
        refs = [writer.write(page) for page in pages]
        started = list(writer.files)
    files = warc_files(tmp_path)
    assert len(files) >= 3
    assert [f.name for f in files] == sorted(started)
    assert not list(tmp_path.glob("*" + OPEN_SUFFIX))
    for f in files:
        assert f.name.startswith("mj-") and f.name.endswith(f"-{os.getpid()}.warc.gz")
        kinds = [kind for _, kind, _, _ in records(f)]
        assert kinds[0] == "warcinfo" and kinds.count("warcinfo") == 1
        # a file is closed once it passes max_bytes: only its last write may cross the line
        assert f.stat().st_size - 10_000 < 5_000
        index = warcio_tool("index", "-f", "offset,warc-type,http:status", str(f))
        assert index.returncode == 0, index.stderr
        assert '"warc-type": "response", "http:status": "200"' in index.stdout
        check = warcio_tool("check", "-v", str(f))
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout and "failed" not in check.stdout
    for page, ref in zip(pages, refs, strict=True):
        assert read_page(tmp_path, ref) == page


def test_warcinfo_names_the_software_and_format(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, info={"operator": "Research desk"}) as writer:
        writer.write(make_page())
    [warc] = warc_files(tmp_path)
    _, kind, record, payload = records(warc)[0]
    assert kind == "warcinfo"
    assert record.rec_headers.get_header("WARC-Filename") == warc.name  # type: ignore[attr-defined]
    assert record.rec_headers.protocol == "WARC/1.1"  # type: ignore[attr-defined]
    assert b"software: scraper/" in payload and b"format: WARC File Format 1.1" in payload
    assert b"operator: Research desk" in payload


def test_a_new_writer_never_appends_and_a_writer_without_pages_leaves_no_file(tmp_path: Path) -> None:
    with WarcWriter(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []
    with WarcWriter(tmp_path) as one:
        ref1 = one.write(make_page())
    with WarcWriter(tmp_path) as two:
        ref2 = two.write(make_page())
    assert ref1.file != ref2.file
    with pytest.raises(ArchiveError, match="closed"):
        two.write(make_page())


def test_the_file_being_written_is_readable_under_its_final_name(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    ref = writer.write(make_page())
    assert (tmp_path / (ref.file + OPEN_SUFFIX)).exists() and not (tmp_path / ref.file).exists()
    assert read_page(tmp_path, ref).final_url == "https://news.example/a"
    writer.close()
    assert (tmp_path / ref.file).exists()
    assert read_page(tmp_path, ref).final_url == "https://news.example/a"


def test_concurrent_writes_from_threads_stay_well_formed(tmp_path: Path) -> None:
    refs: list[WarcRef] = []
    lock = threading.Lock()
    with WarcWriter(tmp_path, max_bytes=50_000) as writer:

        def work(n: int) -> None:
            for i in range(15):
                page = make_page(f"https://news.example/{n}/{i}", f"<html>{n}-{i}</html>".encode())
                ref = writer.write(page)
                with lock:
                    refs.append(ref)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len({(r.file, r.offset) for r in refs}) == 60
    reader = WarcReader(tmp_path)
    assert {reader.read_page(r).final_url for r in refs} == {
        f"https://news.example/{n}/{i}" for n in range(4) for i in range(15)
    }
    for f in warc_files(tmp_path):
        assert warcio_tool("check", str(f)).returncode == 0


# --- secrets --------------------------------------------------------------------------------------


def test_cookies_and_credentials_never_reach_the_file(tmp_path: Path) -> None:
    secrets = ["s3cr3t-cookie", "s3cr3t-bearer", "s3cr3t-proxy", "s3cr3t-set", "s3cr3t-key", "s3cr3t-pw"]
    page = make_page(
        "https://reader:s3cr3t-pw@news.example/paywalled",
        headers=(("Content-Type", "text/html"), ("Set-Cookie", "session=s3cr3t-set; HttpOnly")),
    )
    request_headers = {
        "User-Agent": "scraper/0.1",
        "Cookie": "session=s3cr3t-cookie",
        "Authorization": "Bearer s3cr3t-bearer",
        "Proxy-Authorization": "Basic s3cr3t-proxy",
        "X-Api-Key": "s3cr3t-key",
    }
    with WarcWriter(tmp_path) as writer:
        ref = writer.write(page, request_headers=request_headers)
        writer.write(make_page(body=b"<html>other</html>"), method="POST", request_headers=request_headers)
    raw = b"".join(gzip.decompress(f.read_bytes()) for f in warc_files(tmp_path))
    for secret in secrets:
        assert secret.encode() not in raw
    for name in ("Cookie", "Authorization", "Proxy-Authorization", "X-Api-Key", "Set-Cookie"):
        assert f"{name}: {REDACTED}".encode() in raw
    assert b"User-Agent: scraper/0.1" in raw  # ordinary headers are kept
    assert b"POST /a HTTP/1.1" in raw
    assert read_page(tmp_path, ref).final_url == f"https://reader:{REDACTED}@news.example/paywalled"


# --- crash safety ---------------------------------------------------------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from scraper.models import Page
    from scraper.warc import WarcWriter

    writer = WarcWriter(Path(sys.argv[1]))
    # Poorly compressible bodies, cut from one pool so that the child spends its time inside write().
    pool = random.Random(7).randbytes(1_000_000).hex().encode()
    i = 0
    while True:
        body = b"<html><body>%d " % i + pool[i * 997 % 1_000_000 :][:300_000] + b"</body></html>"
        url = "https://news.example/%d" % i
        ref = writer.write(Page(url, url, 200, (("Content-Type", "text/html"),), body, "", None,
                                "2024-05-01T10:00:00.000+00:00"))
        print(ref.file, ref.offset, i, flush=True)
        i += 1
    """
)


def test_a_writer_killed_mid_record_loses_only_that_record(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(warc_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout is not None
    done = [child.stdout.readline().split() for _ in range(3)]
    [open_file] = list(warc_dir.glob("*" + OPEN_SUFFIX))
    acknowledged = open_file.stat().st_size
    # Kill as soon as the next record has started reaching the disk: mid-record, the hard case.
    deadline = time.monotonic() + 30
    while open_file.stat().st_size == acknowledged and time.monotonic() < deadline:
        time.sleep(0.0005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    done += [line.split() for line in child.stdout.read().splitlines()]
    torn = open_file.stat().st_size

    recovered = recover_open_files(warc_dir)

    assert [p.name for p in recovered] == [open_file.name[: -len(OPEN_SUFFIX)]]
    final = recovered[0]
    assert final.stat().st_size < torn  # the torn record was cut off ...
    check = warcio_tool("check", str(final))
    assert check.returncode == 0, check.stdout + check.stderr  # ... leaving a valid file
    for name, offset, i in done:
        page = read_page(warc_dir, (name, int(offset)))
        assert page.final_url == f"https://news.example/{i}"
        assert page.body.startswith(f"<html><body>{i} ".encode())
    # every record acknowledged before the kill is there; at most the one in hand is lost
    assert len(list(iter_pages(final))) in (len(done), len(done) + 1)


def test_recovery_cuts_a_torn_tail_and_leaves_live_writers_alone(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        refs = [writer.write(make_page(f"https://news.example/{i}", b"<html>%d</html>" % i)) for i in range(4)]
    [closed] = warc_files(tmp_path)
    data = closed.read_bytes()
    closed.unlink()
    torn = tmp_path / (closed.name + OPEN_SUFFIX)
    torn.write_bytes(data[: refs[3].offset + 40])  # as if killed 40 bytes into the last response
    live = WarcWriter(tmp_path, recover=False)
    live_ref = live.write(make_page("https://news.example/live"))

    recovered = recover_open_files(tmp_path)

    assert recovered == [closed]
    assert closed.read_bytes() == data[: refs[3].offset]
    assert [p.final_url for p in iter_pages(closed)] == [f"https://news.example/{i}" for i in range(3)]
    assert (tmp_path / (live_ref.file + OPEN_SUFFIX)).exists()  # flock'ed by a live writer: untouched
    live.write(make_page("https://news.example/live2"))
    live.close()
    assert warcio_tool("check", str(tmp_path / live_ref.file)).returncode == 0


def test_a_failed_write_leaves_no_partial_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scraper.warc as warc_module

    writer = WarcWriter(tmp_path)
    ok = writer.write(make_page("https://news.example/ok"))

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    # The response record is already in the file when the request record fails.
    monkeypatch.setattr(warc_module, "_request_headers", broken)
    with pytest.raises(ArchiveError, match="No space left"):
        writer.write(make_page("https://news.example/lost"))
    monkeypatch.undo()
    after = writer.write(make_page("https://news.example/after"))
    writer.close()
    assert after.file != ok.file  # the damaged file was closed; writing went on in a new one
    first = tmp_path / ok.file
    assert [p.final_url for p in iter_pages(first)] == ["https://news.example/ok"]
    assert warcio_tool("check", str(first)).returncode == 0
    assert read_page(tmp_path, after).final_url == "https://news.example/after"


def test_complete_gzip_prefix_counts_whole_members_only() -> None:
    members = [gzip.compress(b"x" * n) for n in (10, 100_000, 5)]
    data = b"".join(members)
    assert complete_gzip_prefix(io.BytesIO(data)) == len(data)
    assert complete_gzip_prefix(io.BytesIO(data[:-3])) == len(members[0]) + len(members[1])
    assert complete_gzip_prefix(io.BytesIO(data[: len(members[0]) + 10])) == len(members[0])
    assert complete_gzip_prefix(io.BytesIO(b"not gzip")) == 0


# --- reading: errors and truncated files -----------------------------------------------------------


def test_read_page_errors_are_archive_errors(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        ref = writer.write(make_page())
    [warc] = warc_files(tmp_path)
    request_offset = next(off for off, kind, _, _ in records(warc) if kind == "request")
    with pytest.raises(ArchiveError, match="request record holds no page"):
        read_page(tmp_path, (ref.file, request_offset))
    with pytest.raises(ArchiveError, match="not found"):
        read_page(tmp_path, ("missing.warc.gz", 0))
    with pytest.raises(ArchiveError, match="not a WARC file name"):
        read_page(tmp_path, ("../" + ref.file, ref.offset))
    with pytest.raises(ArchiveError):
        read_page(tmp_path, (ref.file, ref.offset + 7))
    with pytest.raises(ArchiveError, match="no WARC record"):
        read_page(tmp_path, (ref.file, warc.stat().st_size))


@pytest.mark.parametrize("compressed", [True, False])
def test_iter_pages_reads_a_truncated_file_up_to_its_last_complete_record(tmp_path: Path, compressed: bool) -> None:
    with WarcWriter(tmp_path / "w") as writer:
        refs = [
            writer.write(make_page(f"https://news.example/{i}", f"<html>{i} {'z' * 3000}</html>".encode()))
            for i in range(5)
        ]
    [warc] = warc_files(tmp_path / "w")
    data = warc.read_bytes()
    expected = [f"https://news.example/{i}" for i in range(4)]
    if compressed:
        member = data[refs[4].offset :]
        cuts = [refs[4].offset + len(member) // 2, refs[4].offset + 30]
        cut_files = [data[:cut] for cut in cuts]
    else:
        plain = gzip.decompress(data)
        start = len(gzip.decompress(data[: refs[4].offset]))
        cut_files = [plain[: start + 400], plain[: start + 20]]
    for n, content in enumerate(cut_files):
        path = tmp_path / (f"cut{n}.warc.gz" if compressed else f"cut{n}.warc")
        path.write_bytes(content)
        assert [p.final_url for p in iter_pages(path)] == expected


def test_iter_pages_on_a_missing_or_empty_file_yields_nothing(tmp_path: Path) -> None:
    assert list(iter_pages(tmp_path / "nope.warc.gz")) == []
    (tmp_path / "empty.warc").write_bytes(b"")
    assert list(iter_pages(tmp_path / "empty.warc")) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000))
def test_iter_pages_never_raises_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    for name, content in (("raw.warc", data), ("gz.warc.gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(content)
        assert all(isinstance(page, Page) for page in iter_pages(path))


_VALID = b""


def _valid_warc() -> bytes:
    global _VALID
    if not _VALID:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False)
        for i in range(3):
            raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>%d</html>" % i
            writer.write_record(
                writer.create_warc_record(
                    f"https://news.example/{i}", "response", payload=io.BytesIO(raw), length=len(raw)
                )
            )
        _VALID = buffer.getvalue()
    return _VALID


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=8)), max_size=6),
    cut=st.integers(min_value=0),
    compress=st.booleans(),
)
def test_iter_pages_never_raises_on_damaged_warc_files(
    tmp_path: Path, edits: list[tuple[int, bytes]], cut: int, compress: bool
) -> None:
    data = bytearray(_valid_warc())
    for position, replacement in edits:
        at = position % len(data)
        data[at : at + len(replacement)] = replacement
    content = bytes(data[: cut % (len(data) + 1)])
    path = tmp_path / "damaged.warc"
    path.write_bytes(gzip.compress(content) if compress else content)
    assert all(isinstance(page, Page) for page in iter_pages(path))


# --- other crawlers' files ------------------------------------------------------------------------


def _chunked(data: bytes, size: int = 100) -> bytes:
    out = b""
    for i in range(0, len(data), size):
        piece = data[i : i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def _foreign_warc(
    path: Path, responses: list[tuple[str, bytes]], resources: tuple[tuple[str, str, bytes], ...] = ()
) -> None:
    """A WARC as another crawler writes it: raw HTTP messages, records in warcio's own default layout."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=path.suffix == ".gz")
        for uri, raw in responses:
            record = writer.create_warc_record(uri, "response", payload=io.BytesIO(raw), length=len(raw))
            writer.write_record(record)
        for uri, content_type, block in resources:
            writer.write_record(
                writer.create_warc_record(
                    uri, "resource", payload=io.BytesIO(block), length=len(block), warc_content_type=content_type
                )
            )


def test_iter_pages_reads_other_crawlers_records(tmp_path: Path) -> None:
    article = "<html><body><p>Ministers said …</p></body></html>".encode()
    gzipped = gzip.compress(article)
    responses = [
        # a browser-style capture: gzip content coding inside chunked transfer coding, kept raw
        (
            "https://news.example/chunked",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(gzipped),
        ),
        ("https://news.example/logo.png", b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG...."),
        ("https://news.example/missing", b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>404</html>"),
        ("https://news.example/no-type", b"HTTP/1.0 200 OK\r\n\r\n<!DOCTYPE html><html><p>hi</p></html>"),
        ("dns:news.example", b"1.2.3.4"),
        ("https://news.example/bad-status", b"HTTP/1.1 abc\r\nContent-Type: text/html\r\n\r\n<html></html>"),
    ]
    path = tmp_path / "other.warc.gz"
    _foreign_warc(path, responses, (("https://news.example/dom", "text/html", b"<html>dom</html>"),))
    pages = {p.final_url: p for p in iter_pages(path)}
    assert set(pages) == {"https://news.example/chunked", "https://news.example/no-type", "https://news.example/dom"}
    assert pages["https://news.example/chunked"].body == article
    assert pages["https://news.example/chunked"].text == article.decode()
    assert pages["https://news.example/dom"].status == 200
    with_errors = {p.final_url for p in iter_pages(path, only_ok=False)}
    assert "https://news.example/missing" in with_errors
    # refs point at records warcio can open again
    for ref, page in iter_page_refs(path):
        assert read_page(tmp_path, ref) == page


def test_a_gzip_bomb_inside_a_record_is_cut_at_max_body(tmp_path: Path) -> None:
    bomb = zlib.compress(b"<html>" + b"A" * 20_000_000, 9)
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: deflate\r\n\r\n" + bomb
    path = tmp_path / "bomb.warc"
    _foreign_warc(path, [("https://news.example/bomb", raw)])
    [page] = iter_pages(path, max_body=100_000)
    assert page.truncated and len(page.body) == 100_000


def test_iter_pages_reads_arc_files(tmp_path: Path) -> None:
    def arc_record(header: bytes, block: bytes) -> bytes:
        return header + b" %d\n" % len(block) + block + b"\n"

    version_block = b"1 0 Scraper tests\nURL IP-address Archive-date Content-type Archive-length\n"
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><p>from an ARC file</p></html>"
    data = arc_record(b"filedesc://test.arc 0.0.0.0 20240501100000 text/plain", version_block)
    data += b"\n" + arc_record(b"https://news.example/arc 1.2.3.4 20240501100000 text/html", http)
    for name, content in (("test.arc", data), ("test.arc.gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(content)
        [page] = iter_pages(path)
        assert page.final_url == "https://news.example/arc"
        assert page.text == "<html><p>from an ARC file</p></html>"
        assert page.fetched_at == "2024-05-01T10:00:00.000+00:00"
