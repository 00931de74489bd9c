"""`pg-auditor doctor`: what this role can read, and the GRANTs for the rest."""

from __future__ import annotations

from auditor.cli.app import app
from auditor.cli.console import (
    _SECRETS,
    echo,
    handles_errors,
    setup_logging,
)
from auditor.cli.options import (
    Connection,
    DebugOpt,
    open_session,
    takes_connection,
)


@app.command()
@handles_errors
@takes_connection
def doctor(
    connection: Connection,
    debug: DebugOpt = False,
) -> None:
    """Show what this role can read, the GRANTs for the rest, and which libpq files and variables applied."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.catalog.doctor import diagnose, format_diagnosis

    setup_logging(debug)
    session = open_session(connection)
    try:
        diagnosis = diagnose(session, connection.target(), prompted=connection.prompt)
    finally:
        session.conn.close()
    from auditor.base.redaction import redact

    echo(redact(format_diagnosis(diagnosis), _SECRETS))
