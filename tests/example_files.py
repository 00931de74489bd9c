"""Reading the recipes under examples/, for the tests that check them."""

from __future__ import annotations

import re

from paths import ROOT

EXAMPLES = ROOT / "examples"


def cron_entry() -> tuple[dict[str, str], str]:
    """The variables and the command of the cron.d example, with cron's `\\%` turned back into `%`."""
    env, command = {}, ""
    for line in (EXAMPLES / "cron" / "pg-auditor.cron").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            key, _, value = line.partition("=")
            env[key] = value
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7 and fields[5] == "auditor", "cron.d lines are: 5 schedule fields, user, command"
        command = fields[6].replace("\\%", "%")
    return env, command
