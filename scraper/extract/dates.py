"""Turn the date strings found in pages into ISO 8601, keeping the UTC offset when one is given."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser

# An unknown zone name ("ET") leaves the date naive, which we handle; dateutil's warning about it
# would only reach a cron mail.
warnings.filterwarnings("ignore", category=dateparser.UnknownTimezoneWarning)

# Years outside this range are almost always parse accidents (ids, phone numbers).
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_EPOCH_RE = re.compile(r"^\d{10}(?:\d{3})?$")
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# "2024-05-03 15:47:42 +0200", "2024-05-03T15:47:42.389Z": ISO-like text the fast path can read
# once the separator and offset are tidied.
_OFFSET_FIX_RE = re.compile(r"([+-]\d{2})(\d{2})$")
_TZ_ABBREV = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200, "MEZ": 3600, "MESZ": 7200,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "IST": 19800, "JST": 32400, "KST": 32400, "AEST": 36000, "AEDT": 39600,
}  # fmt: skip
_DATE_IN_TEXT_RE = re.compile(
    r"\b(\d{1,2}(?:st|nd|rd|th)?\.?\s+[A-Za-zäéû]{3,10}\.?,?\s+\d{4}"  # 02 October 2013, 3. Mai 2024
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"  # October 2, 2013
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"  # 2013-10-02 10:00
    r"|\d{1,2}[./]\d{1,2}[./]\d{4})"  # 02.10.2013
    r"(?:,?\s+(?:at\s+|um\s+)?\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,4})?)?"
)
_MONTHS_DE = {
    "januar": "January", "februar": "February", "märz": "March", "maerz": "March", "april": "April",
    "mai": "May", "juni": "June", "juli": "July", "august": "August", "september": "September",
    "oktober": "October", "november": "November", "dezember": "December",
}  # fmt: skip


def _check_year(value: datetime) -> datetime | None:
    return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None


def parse_date(raw: object) -> datetime | None:
    """A datetime from an attribute or text value; None when it does not read as a date."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(int(raw))
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if not value or len(value) > 80:
        return None
    if _EPOCH_RE.match(value):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        try:
            return _check_year(datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if _ISO_RE.match(value):
        candidate = value.replace(" ", "T", 1) if len(value) > 10 and value[10] == " " else value
        candidate = _OFFSET_FIX_RE.sub(r"\1:\2", candidate.replace(" ", "")) if "T" in candidate else candidate
        try:
            return _check_year(datetime.fromisoformat(candidate.replace("Z", "+00:00")))
        except ValueError:
            pass
    lowered = value.lower()
    for german, english in _MONTHS_DE.items():
        if german in lowered:
            value = re.sub(german, english, value, flags=re.IGNORECASE)
            break
    try:
        parsed = dateparser.parse(value, fuzzy=False, tzinfos=_TZ_ABBREV, dayfirst=not _ISO_RE.match(value))
    except (ValueError, OverflowError, TypeError, LookupError, dateparser.ParserError):
        return None
    return _check_year(parsed)


def find_date_in_text(text: str) -> datetime | None:
    """The first date-looking run inside free text such as a byline ("By X | 02 October 2013")."""
    match = _DATE_IN_TEXT_RE.search(text)
    if not match:
        return None
    return parse_date(match.group(0).replace(" at ", " ").replace(" um ", " "))


def to_iso(value: datetime | None) -> str | None:
    """ISO 8601; whole seconds; an offset only when the source gave one."""
    if value is None:
        return None
    value = value.replace(microsecond=0)
    if value.tzinfo is not None and value.utcoffset() is None:
        value = value.replace(tzinfo=None)
    return value.isoformat()


def has_time(value: datetime) -> bool:
    return (value.hour, value.minute, value.second) != (0, 0, 0) or value.tzinfo is not None


def same_instant(a: datetime, b: datetime) -> bool:
    """True when both name the same minute (naive values compared as wall-clock times)."""
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs(a - b) < timedelta(minutes=1)
