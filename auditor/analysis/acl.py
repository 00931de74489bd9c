"""The one reader of PostgreSQL access-control lists (`relacl`, `proacl`, ... as aclitem text).

An item is `grantee=privileges/grantor`: the grantee is empty for PUBLIC and double-quoted when its
name needs it (`""` inside stands for `"`, and a quoted name may hold `=` or `/`); a `*` after a
letter marks the grant option. A NULL list means the owner's default privileges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

PRIVILEGE_NAMES = {
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
    "D": "TRUNCATE",
    "x": "REFERENCES",
    "t": "TRIGGER",
    "m": "MAINTAIN",
    "X": "EXECUTE",
    "U": "USAGE",
    "C": "CREATE",
    "c": "CONNECT",
    "T": "TEMPORARY",
    "s": "SET",
    "A": "ALTER SYSTEM",
}


@dataclass(frozen=True, slots=True)
class AclItem:
    grantee: str  # "" for PUBLIC
    privileges: str  # letters, grant-option marks removed
    grantor: str


def _name(text: str, start: int) -> tuple[str, int]:
    """A role name at text[start:], quoted or not, and the index just after it."""
    if text[start : start + 1] != '"':
        end = start
        while end < len(text) and text[end] not in "=/":
            end += 1
        return text[start:end], end
    out, i = [], start + 1
    while i < len(text):
        if text[i] == '"':
            if text[i + 1 : i + 2] == '"':
                out.append('"')
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    return "".join(out), i


def parse_item(text: str) -> AclItem:
    grantee, i = _name(text, 0)
    rest = text[i + 1 :] if text[i : i + 1] == "=" else ""
    letters, _, grantor_text = rest.partition("/")
    grantor, _ = _name(grantor_text, 0) if grantor_text else ("", 0)
    return AclItem(grantee, letters.replace("*", ""), grantor)


def parse(acl: list[str] | None) -> list[AclItem]:
    return [parse_item(item) for item in acl or []]


def letters_by_grantee(acl: list[str] | None) -> dict[str, str]:
    """{grantee, or 'public': privilege letters}; an empty dict for a NULL list (the owner's defaults)."""
    out: dict[str, str] = {}
    for item in parse(acl):
        name = item.grantee or "public"
        out[name] = out.get(name, "") + item.privileges
    return out


TABLE_PRIVILEGES = "rawdDxtm"  # the letters a table's ACL can hold


def table_privileges(acl: list[str] | None, owner: str) -> dict[str, set[str]]:
    """{grantee, or 'PUBLIC': privilege names} of a table; a NULL list (the owner's defaults) and an owner
    holding every table privilege both read as {owner: {'ALL'}}."""
    if acl is None:
        return {owner: {"ALL"}}
    out: dict[str, set[str]] = defaultdict(set)
    for item in parse(acl):
        out[item.grantee or "PUBLIC"] |= {PRIVILEGE_NAMES[ch] for ch in item.privileges if ch in TABLE_PRIVILEGES}
    for grantee, privs in out.items():
        if grantee == owner and len(privs) >= 7:
            out[grantee] = {"ALL"}
    return dict(out)
