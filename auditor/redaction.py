"""Passwords kept out of every message, log line and traceback pg-auditor prints.

Apart from auditor.db so that printing an error or setting up logging does not import psycopg
(an audit of a saved snapshot never connects).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S+)", re.IGNORECASE)
_URI_USERINFO = re.compile(r"(\w+://[^:/@\s]*:)([^\s/?]*)(@)")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&\s]*)", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask passwords in DSNs, URIs and anything that echoes a known secret."""
    text = _KV_PASSWORD.sub(r"\1***", text)
    text = _URI_USERINFO.sub(r"\1***\3", text)
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """Applied to pg-auditor's log handler so --debug never prints a password."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True
