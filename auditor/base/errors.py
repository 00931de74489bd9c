"""The errors pg-auditor reports as one line on stderr with exit code 2."""

from __future__ import annotations


class AuditorError(Exception):
    """A failure the user can act on; its text is already safe to print (no secrets)."""

    exit_code = 2


class ConnectError(AuditorError):
    """The database could not be reached or refused us."""


class ConnectionLost(AuditorError):
    """The connection died mid-audit; no report may be presented as whole."""


class ConfigError(AuditorError):
    """A broken or unknown setting in the config file or on the command line."""


class SnapshotError(AuditorError):
    """A snapshot file that cannot be read or is of an unknown version."""


class OutputError(AuditorError):
    """The report cannot be written where -o says (read-only, full, a file in the way, no permission)."""
