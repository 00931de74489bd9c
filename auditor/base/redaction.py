"""Passwords kept out of every message, log line and traceback pg-auditor prints.

Apart from auditor.catalog.db so that printing an error or setting up logging does not import psycopg
(an audit of a saved snapshot never connects).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote

_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S+)", re.IGNORECASE)
_URI_USERINFO = re.compile(r"(\w+://[^:/@\s]*:)([^\s/?]*)(@)")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&\s]*)", re.IGNORECASE)
# A password as written by hand in a URI: everything between the user's ':' and the last '@' before the
# query string, spaces, '/' and '@' included (libpq cannot parse it; its errors may echo it).
_URI_USERINFO_WIDE = re.compile(r"\w+://[^:/@\s]*:([^?]*)@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask passwords in DSNs, URIs and anything that echoes a known secret."""
    text = _KV_PASSWORD.sub(r"\1***", text)
    text = _URI_USERINFO.sub(r"\1***\3", text)
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def passwords_in(conninfo: str) -> list[str]:
    """The passwords these patterns find in a connection string, as written and unquoted: what redact()
    masks, found even where libpq cannot parse the string (its parse errors echo the offending token)."""
    found: list[str] = []
    for pattern in (_URI_USERINFO, _QUERY_PASSWORD):
        for m in pattern.finditer(conninfo):
            found += [m.group(2), unquote(m.group(2))]
    for m in _URI_USERINFO_WIDE.finditer(conninfo):
        found += [m.group(1), unquote(m.group(1))]
    for m in _KV_PASSWORD.finditer(conninfo):
        raw = m.group(2)
        found += [raw, re.sub(r"\\(.)", r"\1", raw.strip("'"))]
    return found


class RedactingFilter(logging.Filter):
    """Applied to pg-auditor's log handler so --debug never prints a password."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True
