"""`pg-auditor collect`: the catalogs read into a snapshot file, to audit elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli.app import app
from auditor.cli.console import (
    echo,
    handles_errors,
    log,
    output_file,
    setup_logging,
)
from auditor.cli.options import (
    Connection,
    ConnectionsOpt,
    DebugOpt,
    ExcludeSchemaOpt,
    NoQueryTextOpt,
    SchemaOpt,
    open_session,
    takes_connection,
)


def collect_snapshot(
    session: Any, schema: list[str] | None, exclude_schema: list[str] | None, settings: dict[str, Any] | None = None
) -> Any:
    """Read the catalogs, then close the connection whatever happened."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.catalog.collect import collect

    try:
        return collect(session, schema, exclude_schema, settings=settings)
    finally:
        session.conn.close()


@app.command()
@handles_errors
@takes_connection
def collect(
    connection: Connection,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Snapshot file, or a directory for snapshot.json; - for stdout.")
    ] = Path("snapshot.json"),
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    no_query_text: NoQueryTextOpt = False,
    connections: ConnectionsOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Read the catalogs into a snapshot file, to audit later with `audit --from-snapshot`."""
    from auditor.catalog import snapshot_file

    setup_logging(debug)
    path = output_file(output, "snapshot.json")
    session = open_session(connection)
    queries = session.queries
    settings: dict[str, Any] = {"workload_query_text": False} if no_query_text else {}
    if connections is not None:
        settings["collect_connections"] = connections
    snap = collect_snapshot(session, schema, exclude_schema, settings or None)
    log.debug("collected with %d queries, %d rows", session.queries - queries, session.rows)
    if path is None:
        import sys

        snapshot_file.write(snap, sys.stdout)
        sys.stdout.flush()
        return
    snapshot_file.save(snap, path)
    echo(str(path))
