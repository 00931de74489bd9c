"""Webhook notifications (Slack-compatible JSON): new findings at or above a threshold, or a failed run.

Configured in the config file:

    [tool.pg-auditor.runs.notify]
    webhook-env = "PG_AUDITOR_WEBHOOK"   # the URL, from the environment (preferred), or
    # webhook = "https://hooks.slack.com/services/..."
    min-severity = "high"                # new findings at or above this are sent
    on-failure = true                    # a run that could not produce a report is sent too

The URL is a secret (a Slack webhook URL is a bearer credential): it is never logged, never put
in a report or an error message. A failed delivery is a warning, never a failed audit.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from auditor.base.errors import ConfigError
from auditor.engine.config import Config
from auditor.rules.registry import SEVERITIES, SEVERITY_RANK

log = logging.getLogger("pg_auditor")

NOTIFY_KEYS = {"webhook", "webhook-env", "min-severity", "on-failure", "timeout"}
MAX_LINES = 15


@dataclass
class NotifySettings:
    url: str
    min_severity: str = "high"
    on_failure: bool = True
    timeout: float = 10.0

    def __repr__(self) -> str:  # never show the URL, even in a traceback's locals
        return f"NotifySettings(url=***, min_severity={self.min_severity!r}, on_failure={self.on_failure!r})"


def settings(cfg: Config) -> NotifySettings | None:
    raw = cfg.extra.get("notify")
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("notify must be a table (webhook or webhook-env, min-severity, on-failure)")
    unknown = set(raw) - NOTIFY_KEYS
    if unknown:
        raise ConfigError(f"notify: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(NOTIFY_KEYS))})")
    url = raw.get("webhook")
    if raw.get("webhook-env"):
        url = os.environ.get(str(raw["webhook-env"])) or url
        if not url:
            log.warning("notify: %s is not set; no notification will be sent", raw["webhook-env"])
            return None
    if not url:
        raise ConfigError("notify needs webhook or webhook-env")
    check_url(str(url))
    out = NotifySettings(url=str(url))
    if "min-severity" in raw:
        if raw["min-severity"] not in SEVERITIES:
            raise ConfigError(f"notify: min-severity must be one of {', '.join(SEVERITIES)}")
        out.min_severity = raw["min-severity"]
    if "on-failure" in raw:
        if not isinstance(raw["on-failure"], bool):
            raise ConfigError("notify: on-failure must be true or false")
        out.on_failure = raw["on-failure"]
    if "timeout" in raw:
        value = raw["timeout"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 300:
            raise ConfigError(f"notify: timeout must be a number of seconds between 0 and 300, not {value!r}")
        out.timeout = float(value)
    return out


def check_url(url: str) -> None:
    """The webhook as urllib will take it, checked before the audit. The messages never show the URL
    (a Slack webhook's path is its credential)."""
    from urllib.parse import urlsplit  # here: only a configured webhook needs it

    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ConfigError("notify: the webhook URL holds spaces or control characters (its text is not shown)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ConfigError("notify: the webhook URL cannot be parsed (its text is not shown)") from None
    if parts.scheme not in ("https", "http"):
        raise ConfigError("notify: the webhook must be an http(s) URL")
    if not parts.hostname:
        raise ConfigError("notify: the webhook URL names no host")


def secrets_of(cfg: Config) -> list[str]:
    """The webhook URL (and its path, which is the credential) for the redaction list."""
    try:
        s = settings(cfg)
    except ConfigError:  # a webhook that does not pass the checks is still a secret
        raw = cfg.extra.get("notify")
        return [str(raw["webhook"])] if isinstance(raw, dict) and raw.get("webhook") else []
    return [s.url] if s else []


def report_message(report: Any, target: str, min_severity: str) -> dict[str, Any] | None:
    """The Slack payload for new findings at or above min_severity; None when there are none.

    Without a comparison every finding counts as new (the first night, or no --compare-to).
    """
    rank = SEVERITY_RANK[min_severity]
    new = [f for f in report.active if f.rank >= rank and f.state != "known"]
    if not new:
        return None
    score = report.overall if report.overall is not None else "n/a"
    delta = ((report.extras.get("changes") or {}).get("score_deltas") or {}).get("overall")
    shown = f"{score}" + (f" ({delta:+d})" if isinstance(delta, int) and delta else "")
    head = f"pg-auditor: {len(new)} new finding(s) at or above {min_severity} on {target}; score {shown}/100"
    lines = [f"• {f.severity} {f.code} {f.obj.display}: {f.message}" for f in new[:MAX_LINES]]
    if len(new) > MAX_LINES:
        lines.append(f"…and {len(new) - MAX_LINES} more in the report")
    return {"text": "\n".join([head, *lines]), "username": "pg-auditor"}


def failure_message(target: str, error: str) -> dict[str, Any]:
    return {"text": f"pg-auditor: the run on {target} failed: {error}", "username": "pg-auditor"}


def post(s: NotifySettings, payload: dict[str, Any]) -> bool:
    """POST the JSON; True on a 2xx. Errors are logged without the URL."""
    import urllib.error  # here: an audit without a webhook has no use for urllib (nor http, email, ssl)
    import urllib.request

    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(s.url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=s.timeout) as resp:
            ok = 200 <= resp.status < 300
            if not ok:
                log.warning("notify: the webhook answered HTTP %d", resp.status)
            return ok
    except urllib.error.HTTPError as exc:
        log.warning("notify: the webhook answered HTTP %d", exc.code)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        log.warning("notify: cannot reach the webhook: %s", _safe(str(reason), s.url) or type(reason).__name__)
    except Exception as exc:  # urllib's ValueErrors (InvalidURL...) quote the URL: a delivery is never fatal
        log.warning("notify: cannot send to the webhook: %s", type(exc).__name__)
    return False


def _safe(text: str, url: str) -> str:
    """A delivery error's text, or nothing when it shows any part of the URL beyond the host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    secret = [url, parts.path, parts.query] + [p for p in parts.path.split("/") if len(p) >= 4]
    return "" if any(x and x in text for x in secret) else text


def on_report(cfg: Config, report: Any, target: str) -> bool:
    s = settings(cfg)
    if s is None:
        return False
    payload = report_message(report, target, s.min_severity)
    return post(s, payload) if payload else False


def on_failure(cfg: Config, target: str, error: str) -> bool:
    try:
        s = settings(cfg)
    except ConfigError:
        return False
    if s is None or not s.on_failure:
        return False
    return post(s, failure_message(target, error))
