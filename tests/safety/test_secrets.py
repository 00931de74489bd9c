"""Nothing leaked (issue 18, items 1-3): a password with a space, a '/' or an '@', or given through
`-d URI`, appears in no output, report, history row or webhook payload; a webhook URL urllib would
reject is refused before the audit, without being shown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from safety.helpers import audit, history_rows

from scratch import run_cli


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[str]]]:
    """A local Slack-style webhook that keeps every payload it receives."""
    received: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX", received
    finally:
        server.shutdown()
        server.server_close()


def notify_config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "pg-auditor.toml"
    cfg.write_text(f'[notify]\nwebhook = "{url}"\nmin-severity = "low"\n', encoding="utf-8")
    return cfg


def everything_said(run, tmp_path: Path, hist: Path, received: list[str]) -> str:
    """stdout, stderr, every file written, every history row, `pg-auditor history`, every webhook payload."""
    rows = json.dumps(history_rows(hist)) if hist.exists() else ""
    said = [run.stdout, run.stderr, rows, *received]
    if hist.exists():
        listing = run_cli("history", "--history", str(hist))
        said += [listing.stdout, listing.stderr]
    out_files = [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file()]
    return "\n".join(said + out_files)


@pytest.mark.parametrize(
    ("password", "fragments"),
    [
        ("Sp ace-secret-1", ["Sp ace", "ace-secret"]),
        ("Slash/secret-2", ["Slash", "secret-2"]),
        ("At@secret-3", ["At@", "secret-3"]),
    ],
)
def test_a_badly_written_uri_password_is_never_shown(safety_db, webhook, tmp_path, password, fragments):
    url, received = webhook
    hist = tmp_path / "history.sqlite"
    cfg = notify_config(tmp_path, url)
    run = audit(safety_db.uri(password), "-o", str(tmp_path / "out"), "--history", str(hist), "--config", str(cfg))
    assert run.returncode == 2
    said = everything_said(run, tmp_path, hist, received)
    assert received, "the failure is announced"
    assert [r["status"] for r in history_rows(hist)] == ["failed"]
    for fragment in fragments:
        assert fragment not in said, (fragment, said)


def test_d_uri_is_expanded_as_psql_does_and_its_password_never_shown(safety_db, webhook, tmp_path):
    url, received = webhook
    password = "Dash-d-secret-9"
    safety_db.set_password(password)
    try:
        hist = tmp_path / "history.sqlite"
        out = tmp_path / "out"
        cfg = notify_config(tmp_path, url)
        run = audit("-d", safety_db.uri(password), "-o", str(out), "--history", str(hist), "--config", str(cfg))
    finally:
        safety_db.set_password(safety_db.password)
    assert run.returncode in (0, 1), run.stderr
    doc = json.loads((out / "pg-auditor-report.json").read_text(encoding="utf-8"))
    assert doc["database"]["name"] == safety_db.dbname and doc["database"]["role"] == safety_db.role
    assert received  # the findings were announced
    said = everything_said(run, tmp_path, hist, received)
    assert password not in said
    assert history_rows(hist)[0]["target"] == f"{safety_db.host}:{safety_db.port}/{safety_db.dbname}"


@pytest.mark.parametrize("option", ["-h", "--service"])
def test_a_connection_string_given_to_a_name_option_is_refused_unshown(safety_db, tmp_path, option):
    hist = tmp_path / "history.sqlite"
    run = audit(option, safety_db.uri("Host-opt-secret"), "-o", str(tmp_path / "out"), "--history", str(hist))
    assert run.returncode == 2
    assert "not a connection string" in run.stderr
    said = everything_said(run, tmp_path, hist, [])
    assert "Host-opt-secret" not in said


@pytest.mark.parametrize(
    "bad_url",
    [
        "https://hooks.example.invalid/services/T000/B000/Cred ential",  # a space: urllib's InvalidURL quotes the path
        "https://hooks.example.invalid:port/services/T000/B000/Credential",  # a port that is no number
    ],
)
def test_a_webhook_url_urllib_rejects_is_refused_before_the_audit_unshown(safety_db, tmp_path, bad_url):
    cfg = notify_config(tmp_path, bad_url)
    hist = tmp_path / "history.sqlite"
    run = audit(safety_db.dsn, "-o", str(tmp_path / "out"), "--config", str(cfg), "--history", str(hist))
    assert run.returncode == 2
    assert run.stderr.startswith("pg-auditor: notify: the webhook URL"), run.stderr
    assert "internal error" not in run.stderr
    assert "Credential" not in run.stderr and "Cred ential" not in run.stderr and "services" not in run.stderr
    assert not (tmp_path / "out").exists()  # nothing audited, nothing written
    assert not hist.exists() or history_rows(hist) == []
