"""What a person sees at the terminal, tested as they see it: the CLI as a process on a pipe (a script,
a cron log), under a pseudo-terminal (a person), with NO_COLOR, -q and -v, `-o -` and pipes closed early."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import ROOT
from scratch import run_cli as cli
from scratch import scratch_database

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, org_id bigint NOT NULL);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers ON DELETE CASCADE);
"""

# SGR sequences that set a colour (foreground, background, bright, 256 and true colour); bold and dim are not colour
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
ANY_ESCAPE = "\x1b"


@pytest.fixture
def db(pg_server) -> Iterator[str]:
    """A database of its own (the CLI opens its own connection), dropped afterwards."""
    with scratch_database(pg_server, f"term_{uuid.uuid4().hex[:8]}", SCHEMA) as dsn:
        yield dsn


def audit(dsn: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return cli("audit", dsn, "--select", "IDX001", *args, env=env, cwd=cwd)


def in_a_terminal(*args: str, env: dict[str, str] | None = None, cols: int = 100) -> tuple[int, str]:
    """pg-auditor with stdin, stdout and stderr on a pseudo-terminal, as a person runs it: (exit code, screen)."""
    main, sub = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    full_env |= {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", *args], stdin=sub, stdout=sub, stderr=sub, env=full_env, close_fds=True
    )
    os.close(sub)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 120 s: " + b"".join(chunks).decode(errors="replace")[-2000:])
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", errors="replace")


def plain(screen: str) -> str:
    """The screen's text without escape sequences (colour, cursor moves, hyperlinks)."""
    screen = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\", "", screen)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "")


def test_on_a_pipe_the_summary_is_plain_text_and_stdout_the_paths(db, tmp_path):
    out = audit(db, "-o", str(tmp_path), "--fail-on", "low")
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [str(tmp_path / f"pg-auditor-report.{e}") for e in ("md", "html", "json")]
    assert ANY_ESCAPE not in out.stderr  # nothing coloured, no progress line, when not a terminal
    lines = out.stderr.splitlines()
    assert lines[0].startswith("audited term_") and lines[1] == "score 0/100 (indexes 0)"
    assert lines[2] == "findings: 1 medium"
    top = lines[lines.index("top findings:") + 1]
    assert re.fullmatch(r"  IDX001  medium    invoices_customer_id_fkey on public\.invoices  \S.*", top), top
    written = lines[lines.index("written:") + 1 :]
    assert written[0] == "  " + (tmp_path / "pg-auditor-report.html").resolve().as_uri()  # the HTML first, a link
    assert written[1:3] == [f"  {tmp_path / 'pg-auditor-report.md'}", f"  {tmp_path / 'pg-auditor-report.json'}"]
    assert lines[-1] == "exit 1: 1 finding at or above low"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--fail-on", "critical"), "exit 0: no finding at or above critical"),
        (("--fail-on", "low", "--exit-zero"), "exit 0: --exit-zero (1 finding at or above low)"),
        (("--fail-on", "never"), "exit 0: --fail-on never"),
    ],
)
def test_the_last_line_says_why_the_exit_code_is_what_it_is(db, tmp_path, args, said):
    out = audit(db, "-o", str(tmp_path), "-f", "json", *args)
    assert out.returncode == 0 and out.stderr.splitlines()[-1] == said, out.stderr


def test_quiet_says_nothing_but_the_paths_and_verbose_says_each_step(db, tmp_path):
    quiet = audit(db, "-o", str(tmp_path / "q"), "-f", "json", "-q", "--fail-on", "low")
    assert quiet.returncode == 1 and quiet.stderr == ""
    assert quiet.stdout.splitlines() == [str(tmp_path / "q" / "pg-auditor-report.json")]
    loud = audit(db, "-o", str(tmp_path / "v"), "-f", "json", "-v")
    steps = [ln for ln in loud.stderr.splitlines() if re.match(r"pg-auditor: \[ *\d+\.\ds\] ", ln)]
    said = [s.split("] ", 1)[1] for s in steps]
    assert said[0] == "connecting" and "reading the catalogs: tables" in said
    assert said[-2:] == ["running the rules and scoring", "writing json"]
    assert ANY_ESCAPE not in loud.stderr


def test_in_a_terminal_progress_colour_and_a_summary_without_the_bare_paths(db, tmp_path):
    code, screen = in_a_terminal("audit", db, "--select", "IDX001", "-o", str(tmp_path), "--fail-on", "low")
    assert code == 1, screen
    assert COLOUR.search(screen), "the severities are coloured on a terminal"
    text = plain(screen)
    assert "reading the catalogs" in text  # the live progress line, drawn then cleared
    assert "Traceback" not in text
    summary = text[text.index("audited term_") :]
    assert "IDX001  medium" in summary and summary.rstrip().endswith("exit 1: 1 finding at or above low")
    assert (tmp_path / "pg-auditor-report.html").resolve().as_uri() in summary
    # the summary lists the files: stdout does not print them bare as well
    assert f"\n{tmp_path / 'pg-auditor-report.md'}\n" not in "\n" + text
    lines = [ln for ln in summary.splitlines() if ln.startswith("  IDX001")]
    assert lines and all(len(ln) <= 100 for ln in lines)  # cut to the terminal's width


def test_no_color_in_a_terminal_means_no_colour(db, tmp_path):
    code, screen = in_a_terminal(
        "audit", db, "--select", "IDX001", "-o", str(tmp_path), "--fail-on", "low", env={"NO_COLOR": "1"}
    )
    assert code == 1, screen
    assert not COLOUR.search(screen), COLOUR.findall(screen)
    assert "exit 1: 1 finding at or above low" in plain(screen)


def test_dash_o_streams_one_format_to_stdout(db, tmp_path):
    from validate import validate_report_json, validate_sarif

    out = audit(db, "-o", "-", "--fail-on", "low", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    validate_report_json(json.loads(out.stdout))  # JSON by default, nothing else on stdout
    assert "exit 1: 1 finding at or above low" in out.stderr and "written:" not in out.stderr
    sarif = audit(db, "-o", "-", "-f", "sarif", "-q")
    assert sarif.returncode == 0 and sarif.stderr == ""
    validate_sarif(json.loads(sarif.stdout))
    md = audit(db, "-o", "-", "-f", "md", "-q", cwd=tmp_path)
    assert md.stdout.startswith("# pg-auditor report")
    assert list(tmp_path.iterdir()) == []  # no file, no directory named "-"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-o", "-", "-f", "md", "-f", "html"), "pg-auditor: -o - streams one format to stdout; 2 given (md, html): "),
        (("-o", "-", "-f", "md,json"), "pg-auditor: -o - streams one format to stdout; 2 given (md, json): "),
    ],
)
def test_dash_o_with_two_formats_is_one_line_and_exit_2(args, message, tmp_path):
    out = cli("audit", "host=/nonexistent dbname=x", *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(message) and out.stderr.count("\n") == 1, out.stderr
    migration = tmp_path / "m.sql"
    migration.write_text("ALTER TABLE t ADD COLUMN c int;\n")
    review = cli("check-migration", str(migration), "host=/nonexistent dbname=x", "-o", "-", "-f", "md", "-f", "json")
    assert review.returncode == 2 and review.stdout == "", review.stderr
    assert review.stderr == "pg-auditor: -o - streams one format to stdout; 2 given (md, json): give one -f\n"


@pytest.mark.parametrize("command", ["audit", "render", "demo", "check-migration"])
def test_an_existing_file_as_o_is_one_line_and_exit_2_before_any_work(tmp_path, command):
    in_the_way = tmp_path / "report.txt"
    in_the_way.write_text("keep me\n")
    migration = tmp_path / "m.sql"
    migration.write_text("ALTER TABLE t ADD COLUMN c int;\n")
    first = {
        "audit": ["host=/nonexistent dbname=x"],
        "render": [str(tmp_path / "r.json")],
        "demo": [],
        "check-migration": [str(migration), "host=/nonexistent dbname=x"],
    }[command]
    out = cli(command, *first, "-o", str(in_the_way))
    assert out.returncode == 2, out.stderr
    assert out.stderr == (
        f"pg-auditor: -o {in_the_way}: a file is in the way; -o names a directory for the reports (or - for stdout)\n"
    )
    assert in_the_way.read_text() == "keep me\n"


def test_render_streams_a_saved_report(db, tmp_path):
    assert audit(db, "-o", str(tmp_path), "-f", "json", "-q").returncode == 0
    out = cli("render", str(tmp_path / "pg-auditor-report.json"), "-o", "-", "-f", "md")
    assert out.returncode == 0 and out.stdout.startswith("# pg-auditor report") and out.stderr == ""


def closed_pipe_run(*args: str) -> subprocess.CompletedProcess:
    """pg-auditor writing to a pipe whose reader is already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "auditor", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_stream_whose_reader_left_ends_quietly(db):
    out = closed_pipe_run("audit", db, "--select", "IDX001", "-o", "-", "-q")
    assert out.returncode == 141 and out.stderr == b"", out.stderr


def test_rules_piped_to_head_prints_no_error():
    out = subprocess.run(
        f'{sys.executable} -m auditor rules | head -1; echo "status ${{PIPESTATUS[0]}}" >&2',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert len(out.stdout.splitlines()) == 1 and out.stdout.startswith("CON001")
    status = out.stderr.strip().splitlines()
    assert status in (["status 0"], ["status 141"]), out.stderr  # the whole list fit the pipe, or the reader left


def test_collect_and_baseline_take_a_directory_or_a_dash_as_well(db, tmp_path):
    """-o means the same everywhere: a directory (the file gets its usual name in it), or - for stdout."""
    out_dir = tmp_path / "ticket"
    out_dir.mkdir()
    snap = cli("collect", db, "-o", str(out_dir))
    assert snap.returncode == 0 and snap.stdout.strip() == str(out_dir / "snapshot.json"), snap.stderr
    streamed = cli("collect", db, "-o", "-")
    assert streamed.returncode == 0 and streamed.stderr == ""
    assert (
        json.loads(streamed.stdout)["server"]["database"]
        == json.loads((out_dir / "snapshot.json").read_text())["server"]["database"]
    )
    base = cli("baseline", db, "--select", "IDX001", "-o", str(out_dir))
    assert base.returncode == 0 and base.stdout.strip() == str(out_dir / "pg-auditor-baseline.json")
    piped = cli("baseline", db, "--select", "IDX001", "-o", "-")
    doc = json.loads(piped.stdout)
    assert [e["code"] for e in doc["entries"]] == ["IDX001"] and piped.stderr == "baseline of 1 findings\n"
    written = json.loads((out_dir / "pg-auditor-baseline.json").read_text())
    assert doc["entries"] == written["entries"] and doc.keys() == written.keys()  # the same, times aside
