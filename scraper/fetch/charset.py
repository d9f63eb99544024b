"""Turning response bytes into text: BOM, declared charset (header, then <meta>), then utf-8, then cp1252."""

from __future__ import annotations

import codecs
import re

# WHATWG Encoding Standard: these labels all mean windows-1252 in a browser, and real pages
# labelled ISO-8859-1 routinely use cp1252's curly quotes and euro sign in 0x80-0x9F.
_AS_CP1252 = frozenset(
    {
        "ascii",
        "us-ascii",
        "ansi_x3.4-1968",
        "iso-8859-1",
        "iso8859-1",
        "iso_8859-1",
        "iso-ir-100",
        "l1",
        "latin1",
        "latin-1",
        "cp819",
        "ibm819",
        "csisolatin1",
        "windows-1252",
        "x-cp1252",
        "cp1252",
    }
)
# Labels Python does not know under the WHATWG spelling.
_ALIASES = {"x-sjis": "shift_jis", "x-gbk": "gbk", "x-mac-roman": "mac_roman", "unicode-1-1-utf-8": "utf-8"}
# Python text codecs that are no document charset: they transform text (idna, punycode, the
# escape codecs), always fail (undefined), or are refused by browsers as a script-smuggling vector
# (utf-7). A page labelled with one is read as if the label were unknown.
_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# <meta charset=...> and <meta http-equiv="Content-Type" content="...; charset=...">; both carry
# "charset=" inside a <meta> tag, so one pattern over the tag covers them.
_META_RE = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']""", re.IGNORECASE)
# The HTML prescan looks at the first 1024 bytes; pages with a long <head> preamble often declare
# later, so look a little further, as lenient parsers do.
_PRESCAN_BYTES = 4096


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _AS_CP1252:
        return "cp1252"
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # codecs.lookup also finds bytes-to-bytes codecs (hex, base64, zlib, rot13...): a server may
    # name one in Content-Type or <meta>, and bytes.decode() would then raise LookupError.
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    codec = info.name
    # utf-16 declared inside an 8-bit-readable document is a lie the WHATWG spec also ignores.
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return "utf-8"
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return codec


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, normalised."""
    if not content_type:
        return None
    match = _HEADER_CHARSET_RE.search(content_type)
    return normalize_label(match.group(1)) if match else None


def sniff_declared(body: bytes) -> str | None:
    """The charset an HTML <meta> or XML declaration names in the document's first bytes."""
    head = body[:_PRESCAN_BYTES]
    for pattern in (_XML_DECL_RE, _META_RE):
        match = pattern.search(head)
        if match:
            codec = normalize_label(match.group(1).decode("ascii", "replace"))
            if codec:
                return codec
    return None


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec). A BOM wins (as in browsers), then the header, then <meta>/<?xml?>,
    then strict utf-8, then cp1252. Never raises: undecodable bytes become U+FFFD."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    declared = header_charset(content_type) or sniff_declared(body)
    if declared:
        try:
            return body.decode(declared, "replace"), declared
        except (LookupError, ValueError):
            # normalize_label refuses the codecs known to fail; this keeps the promise never to
            # raise for any other one (UnicodeError is a ValueError): read as if undeclared.
            pass
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves 5 bytes undefined; "replace" keeps the rest of the page readable.
        return body.decode("cp1252", "replace"), "cp1252"
