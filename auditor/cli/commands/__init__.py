"""One module per command; importing them registers them on the app, in --help order."""

from auditor.cli.commands import audit, baseline, render, collect, rules, history, demo, doctor, migration  # noqa: F401, I001
