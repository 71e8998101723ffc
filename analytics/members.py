"""Team mode: who may open which workspace, and how much of it.

A company runs one cockpit for all its managers. In team mode (`COCKPIT_MODE=team`, or `mode = "team"` in the
`[cockpit]` section of `.streamlit/secrets.toml`) everyone signs in with Streamlit's built-in OIDC sign-in
(`st.login`), and a workspace opens only to its members. Who is a member is kept in a small registry beside the
workspaces (`members.json` in $COCKPIT_WORKSPACES), written by an admin on the server:

    python -m analytics members add --workspace W --email E [--rep NAME]

A member given a rep is limited to that rep's individual review (a sales rep reading their own figures); without a
rep, a member sees every page of the workspace (a manager).

This module decides; it does not draw. The page-side hook is `ui/team.py`; the module that decides which
workspaces a session may see (`analytics/access.py`) asks `workspaces_for(email)` here in team mode.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analytics import store

CONSULTANT = "consultant"  # the default: one user, or a consultant hosting clients (no sign-in)
TEAM = "team"
MODES = (CONSULTANT, TEAM)
REGISTRY = "members.json"

# One @, something on each side, no spaces: enough to catch a typo without rejecting real addresses.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ModeError(ValueError):
    """The configured mode is not one we know: the app refuses to start open rather than guess."""


@dataclass(frozen=True)
class Member:
    workspace: str      # the workspace's slug (its file stem)
    email: str          # normalised: trimmed, case-folded
    rep: str | None = None  # limited to this rep's individual review; None: the whole workspace

    @property
    def limited(self) -> bool:
        return self.rep is not None


def mode(configured: str | None = None) -> str:
    """The access mode: $COCKPIT_MODE, else `configured` (the secrets' [cockpit] mode), else consultant.
    An unknown value raises ModeError: a typo in "team" must not leave a team server open to everyone."""
    value = (os.environ.get("COCKPIT_MODE") or configured or CONSULTANT).strip().lower()
    if value not in MODES:
        raise ModeError(f"unknown COCKPIT_MODE {value!r}: use {' or '.join(MODES)}")
    return value


def normalize_email(email: str) -> str:
    """The address as the registry keeps it (trimmed, case-folded); ValueError when it is not an address."""
    text = (email or "").strip().casefold()
    if not _EMAIL.match(text):
        raise ValueError(f"not an e-mail address: {email!r}")
    return text


def registry_path(root: Path | None = None) -> Path:
    return (root or store.workspace_root()) / REGISTRY


def _read(path: Path) -> dict:
    """{workspace slug: {email: {"rep": name or null}}}; an absent registry is an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data.get("workspaces", {})


@contextmanager
def _editing(root: Path | None = None):
    """The registry, read and written back under an exclusive lock (two admins adding members at once keep both);
    written to a temporary file then renamed, so a reader never sees half a file."""
    path = registry_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(REGISTRY + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        workspaces = _read(path)
        yield workspaces
        tmp = path.with_name(REGISTRY + ".tmp")
        tmp.write_text(json.dumps({"version": 1, "workspaces": workspaces}, ensure_ascii=False, indent=1,
                                  sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def add(workspace: str, email: str, rep: str | None = None, root: Path | None = None) -> Member:
    """Make `email` a member of the workspace (slug), limited to `rep`'s individual review when given; adding
    an existing member again changes their limit."""
    member = Member(workspace, normalize_email(email), (rep or "").strip() or None)
    with _editing(root) as workspaces:
        workspaces.setdefault(workspace, {})[member.email] = {"rep": member.rep}
    return member


def remove(workspace: str, email: str, root: Path | None = None) -> bool:
    """Take `email` out of the workspace's members; False when it was not one."""
    address = normalize_email(email)
    with _editing(root) as workspaces:
        found = workspaces.get(workspace, {}).pop(address, None) is not None
        if workspace in workspaces and not workspaces[workspace]:
            del workspaces[workspace]
    return found


def members(workspace: str, root: Path | None = None) -> list[Member]:
    """The workspace's members, by address."""
    entries = _read(registry_path(root)).get(workspace, {})
    return [Member(workspace, email, entry.get("rep")) for email, entry in sorted(entries.items())]


def workspaces(root: Path | None = None) -> list[str]:
    """The workspaces that have members."""
    return sorted(_read(registry_path(root)))


def workspaces_for(email: str | None, root: Path | None = None) -> list[Member]:
    """The memberships of a signed-in address, by workspace: what a team-mode session may open (nothing for an
    address that is missing or not an address)."""
    try:
        address = normalize_email(email or "")
    except ValueError:
        return []
    registry = _read(registry_path(root))
    return [Member(ws, address, entries[address].get("rep"))
            for ws, entries in sorted(registry.items()) if address in entries]


def membership(email: str | None, workspace: str, root: Path | None = None) -> Member | None:
    """The address's membership of that workspace, or None: the one question a team-mode page asks."""
    return next((m for m in workspaces_for(email, root) if m.workspace == workspace), None)
