"""Polite, resilient HTTP fetching: one shared client, robots.txt, per-host limits, retries, size caps."""

from .charset import decode
from .client import Fetcher, RequestRecord, looks_binary
from .limits import host_key, parse_retry_after

__all__ = ["Fetcher", "RequestRecord", "decode", "host_key", "looks_binary", "parse_retry_after"]
