"""Configuration: [tool.pg-auditor] in pyproject.toml or pg-auditor.toml; the command line wins.

Unknown keys, rule codes, severities or thresholds are errors (exit 2), so a typo never silently
turns a rule off. Keys are written in one style, kebab-case (`fail-on`, `large-table-rows`), as the
command line's options are; a key written with underscores is the same key (`large-table-rows`), and
one key given in both spellings is an error. Every threshold is checked: its type, its range (no
negative counts, shares between 0 and 1), sizes in PostgreSQL's units (`50MB`) for the `*-bytes`
keys and durations (`5min`, `2h`, `7d`) for the `*-seconds`, `*-hours` and `*-days` keys.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.base.durations import duration_ms
from auditor.base.errors import ConfigError
from auditor.base.thresholds import THRESHOLDS
from auditor.base.units import size_bytes
from auditor.rules import load_all
from auditor.rules.registry import AREAS, SEVERITIES, Rule

KNOWN_KEYS = {
    "select",
    "ignore",
    "fail-on",
    "severity",
    "thresholds",
    "ignore-objects",
    "tenant-columns",
    "app-roles",
    "history",
    "notify",
    "allow-partial",
    "references",
}
# Top-level conveniences for the two settings every multi-tenant audit needs; they are thresholds.
LIST_SETTINGS = {"tenant-columns": "tenant_columns", "app-roles": "app_roles"}


@dataclass
class ObjectIgnore:
    rule: str  # a code or a prefix (IDX, IDX00)
    object: str  # glob over the finding's object display, e.g. public.legacy_*
    reason: str


@dataclass
class Config:
    select: list[str] = field(default_factory=list)  # codes or prefixes; empty means all
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "high"
    allow_partial: bool = False  # a run whose sections were not all read may exit 0/1 (default: exit 2)
    severity: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    ignore_objects: list[ObjectIgnore] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # sections owned by other modules (history, notify, ...)
    source: str | None = None

    def selects(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)

    def severity_for(self, rule: Rule, hit_severity: str | None = None) -> str:
        return self.severity.get(rule.code) or hit_severity or rule.severity

    def suppression(self, finding: Any) -> str | None:
        if not self.ignore_objects:
            return None
        targets = object_names(finding.obj)
        for entry in self.ignore_objects:
            if finding.code.startswith(entry.rule) and any(fnmatch.fnmatchcase(t, entry.object) for t in targets):
                return f"config: {entry.reason}"
        return None

    def thresholds_for_run(self) -> dict[str, Any]:
        return {key: t.default for key, t in THRESHOLDS.items()} | self.thresholds


def object_names(obj: Any) -> list[str]:
    """The names an ignore glob is matched against: raw (unquoted) schema.table and schema.table.part,
    the bare name, and the display form, so `public.legacy_*` covers a table and everything on it."""
    names = [obj.display]
    table = obj.table or (obj.name if obj.kind in ("table", "partitioned table", "view") else None)
    if obj.schema and table:
        names.append(f"{obj.schema}.{table}")
        if obj.name and obj.name != table:
            names.append(f"{obj.schema}.{table}.{obj.name}")
    elif obj.schema and obj.name:
        names.append(f"{obj.schema}.{obj.name}")
    if obj.name:
        names.append(obj.name)
    return names


def split_codes(values: str | list[str]) -> list[str]:
    """The one parser of rule codes for every path that selects or suppresses (--select, --ignore, the
    config's lists and ignore-objects, COMMENT tags): separated by commas or spaces, upper-cased."""
    items = [values] if isinstance(values, str) else values
    return [c.upper() for v in items for c in re.split(r"[,\s]+", v) if c]


def is_code(code: str) -> bool:
    """The one validation: a rule code, or a prefix of at least the area's three letters (IDX, IDX00)."""
    rules = load_all()
    return code in rules or (code[:3] in AREAS and any(r.startswith(code) for r in rules))


def _codes(values: Any, where: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where} must be a list of rule codes or prefixes")
    out = []
    for v in values:
        codes = split_codes(v)
        if not codes:
            raise ConfigError(f"{where}: empty rule code")
        for code in codes:
            if not is_code(code):
                raise ConfigError(f"{where}: unknown rule code or prefix {code!r}")
            out.append(code)
    return out


def _severity(value: Any, where: str) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return value


def canon(key: Any) -> str:
    """A key in the one style the files are written in: kebab-case."""
    return str(key).replace("_", "-")


def canonical(data: dict[str, Any], where: str) -> dict[str, Any]:
    """A table's keys in kebab-case (its values as they are); one key spelt two ways is an error."""
    out: dict[str, Any] = {}
    said: dict[str, str] = {}
    for key, value in data.items():
        k = canon(key)
        if k in out:
            raise ConfigError(f"{where}: {said[k]!r} and {key!r} are the same key: give it once")
        out[k], said[k] = value, str(key)
    return out


def from_mapping(data: dict[str, Any], source: str) -> Config:
    data = canonical(data, source)
    for section in ("history", "notify"):
        if isinstance(data.get(section), dict):
            data[section] = canonical(data[section], f"{source}: {section}")
    if "targets" in data:
        raise ConfigError(
            f"{source}: targets is not a config key: list the databases in a targets file, given with --targets"
        )
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    cfg = Config(source=source)
    if "select" in data:
        cfg.select = _codes(data["select"], f"{source}: select")
    if "ignore" in data:
        cfg.ignore = _codes(data["ignore"], f"{source}: ignore")
    if "fail-on" in data:
        cfg.fail_on = _fail_on(data["fail-on"], source)
    if "allow-partial" in data:
        if not isinstance(data["allow-partial"], bool):
            raise ConfigError(f"{source}: allow-partial must be true or false")
        cfg.allow_partial = data["allow-partial"]
    rules = load_all()
    severities = data.get("severity") or {}
    if not isinstance(severities, dict):
        raise ConfigError(f"{source}: severity must be a table of CODE = severity")
    for code, sev in severities.items():
        if code.upper() not in rules:
            raise ConfigError(f"{source}: severity: unknown rule code {code!r}")
        cfg.severity[code.upper()] = _severity(sev, f"{source}: severity.{code}")
    thresholds = data.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        raise ConfigError(f"{source}: thresholds must be a table of KEY = VALUE")
    canonical(thresholds, f"{source}: thresholds")  # one key twice is an error
    for key, value in thresholds.items():
        cfg.thresholds[key.replace("-", "_")] = check_threshold(key, value, source)
    for key, name in LIST_SETTINGS.items():
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{source}: {key} must be a non-empty list of names")
            cfg.thresholds[name] = value
    if "references" in data:
        # references the application enforces itself: "table.column" = "table(column)" (analysis.references)
        cfg.thresholds["references"] = check_threshold("references", data["references"], f"{source}: references")
    entries = data.get("ignore-objects") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: ignore-objects must be an array of tables ([[tool.pg-auditor.ignore-objects]])")
    for i, entry in enumerate(entries):
        where = f"{source}: ignore-objects[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"rule", "object", "reason"}:
            raise ConfigError(f"{where} takes rule, object and reason")
        if not str(entry.get("reason", "")).strip():
            raise ConfigError(f"{where} needs a reason")
        if not entry.get("object"):
            raise ConfigError(f"{where} needs an object glob")
        rule = _codes([entry.get("rule", "")], where)[0]
        cfg.ignore_objects.append(ObjectIgnore(rule, str(entry["object"]), str(entry["reason"]).strip()))
    cfg.extra = {k: data[k] for k in ("history", "notify") if k in data}
    return cfg


def _fail_on(value: Any, source: str) -> str:
    if value not in (*SEVERITIES, "never"):
        raise ConfigError(f"{source}: fail-on must be one of {', '.join(SEVERITIES)}, never; not {value!r}")
    return value


def check_threshold(key: str, value: Any, source: str) -> Any:
    load_all()
    name = key.replace("-", "_")
    if name not in THRESHOLDS:
        raise ConfigError(f"{source}: unknown threshold {key!r} (see `pg-auditor rules --thresholds`)")
    default = THRESHOLDS[name].default
    if isinstance(value, str) and isinstance(default, int | float) and not isinstance(default, bool):
        value = in_units(name, value, f"{source}: threshold {key!r}")
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif isinstance(default, dict):
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{source}: threshold {key!r} must be like {example(name)}, not {value!r}")
    if isinstance(default, int | float) and not isinstance(default, bool):
        value = in_range(name, value, f"{source}: threshold {key!r}")
    problem = THRESHOLDS[name].check(value) if THRESHOLDS[name].check else None
    if problem:
        raise ConfigError(f"{source}: threshold {key!r}: {problem}")
    return value


# Duration thresholds: the key's unit, in milliseconds.
TIME_UNITS_MS = {"_seconds": 1000, "_hours": 3_600_000, "_days": 86_400_000}


def in_units(name: str, text: str, where: str) -> Any:
    """A size (`*_bytes`: 50MB) or a duration (`*_seconds`, `*_hours`, `*_days`: 5min, 2h, 7d) as the
    number the key counts in; anything else written as text is no number."""
    if name.endswith("_bytes"):
        n = size_bytes(text)
        if n is None:
            raise ConfigError(
                f"{where} must be a size like 50MB (B, kB, MB, GB, TB) or a number of bytes, not {text!r}"
            )
        return n
    unit = next((ms for suffix, ms in TIME_UNITS_MS.items() if name.endswith(suffix)), None)
    if unit is not None:
        ms = duration_ms(text) if text.strip().lower() != "off" and not text.strip().isdigit() else None
        if ms is None:
            raise ConfigError(f"{where} must be a duration like 5min, 2h or 7d, or a number, not {text!r}")
        value = ms / unit
        return int(value) if value == int(value) else value
    return text  # no unit to read: the type check says what the key takes


def in_range(name: str, value: int | float, where: str) -> int | float:
    """A number within what the key can mean: shares and fractions 0-1, percents 0-100, a ratio of
    sizes at least 1, counts whole, nothing negative."""
    default = THRESHOLDS[name].default
    if name.endswith(("_share", "_fraction")) or name == "cache_hit_ratio":
        low, high, what = 0, 1, "a share between 0 and 1"
    elif name.endswith("_percent"):
        low, high, what = 0, 100, "a percent between 0 and 100"
    elif name.endswith("_ratio"):
        low, high, what = 1, None, "a ratio of at least 1"
    else:
        low, high, what = 0, None, "at least 0"
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{where} must be {what}, not {value!r}")
    if isinstance(default, int) and not name.endswith(tuple(TIME_UNITS_MS)):
        if value != int(value):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return int(value)
    return value


def example(name: str) -> str:
    """A threshold's default as one would write it in the file (sizes with their unit)."""
    from auditor.base.units import format_size

    default = THRESHOLDS[name].default
    if name.endswith("_bytes") and isinstance(default, int):
        return f'"{format_size(default)}"'
    return toml_value(default)


def toml_value(value: Any) -> str:
    """A value as TOML writes it, to copy into the config file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def find_config(start: Path) -> Path | None:
    """pg-auditor.toml, else a pyproject.toml with [tool.pg-auditor], in start or its parents."""
    for folder in (start, *start.parents):
        own = folder / "pg-auditor.toml"
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                text = py.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            try:
                if "pg-auditor" in tomllib.loads(text).get("tool", {}):
                    return py
            except tomllib.TOMLDecodeError:
                if "tool.pg-auditor" in text:  # ours, and broken: load() reports it
                    return py
    return None


def load(path: Path | None, search_from: Path | None = None) -> Config:
    """Read the config file given, or the one found from the working directory; none is fine."""
    if path is None:
        path = find_config(search_from or Path.cwd())
        if path is None:
            return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if path.name == "pyproject.toml" or "tool" in data:
        data = data.get("tool", {}).get("pg-auditor", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.pg-auditor] must be a table")
    return from_mapping(data, str(path.name))


def apply_cli(
    cfg: Config,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fail_on: str | None = None,
    thresholds: list[str] | None = None,
    allow_partial: bool = False,
) -> Config:
    """Command-line values beat the file's."""
    if allow_partial:
        cfg.allow_partial = True
    if select:
        cfg.select = _codes(select, "--select")
    if ignore:
        cfg.ignore = _codes(ignore, "--ignore")
    if fail_on:
        cfg.fail_on = _fail_on(fail_on, "--fail-on")
    for item in thresholds or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set takes KEY=VALUE, not {item!r}")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        cfg.thresholds[key.strip().replace("-", "_")] = check_threshold(key.strip(), value, "--set")
    return cfg
