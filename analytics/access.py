"""Who may open which workspace: the one place both modes go through.

The mode comes from the configuration (`COCKPIT_MODE`, default "consultant"):

- consultant (one person hosting several clients): a browser session sees the demo and the workspaces it created
  or opened with their private link (`?w=<token>`) or their passphrase, and nothing else: no other workspace's
  name, no other workspace's figures. Typing an existing name does not open it.
- team (a company's managers, signed in through Streamlit's OIDC sign-in): a signed-in person sees the workspaces
  they are a member of; the membership rules live in analytics/members.py, which this module asks.

The session's state is passed in as a `Visitor` (what this browser session was given), so the rule is a pure
function, tested without Streamlit. Limits on the number of workspaces and the disk they take are the server's
(`COCKPIT_MAX_WORKSPACES`, `COCKPIT_MAX_DISK_MB`) and are checked before a workspace is created.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from analytics import registry, store

MODES = ("consultant", "team")
DEFAULT_MAX_WORKSPACES = 200
DEFAULT_MAX_DISK_MB = 20_000
NAME_MAX = 60


def mode(configured: str | None = None) -> str:
    """The access mode set in the configuration: $COCKPIT_MODE, else `configured` (secrets.toml's [cockpit] mode),
    else consultant. One reading for both modules (analytics/members.py): an unknown value raises, so a typo in
    "team" never leaves a team server open to everyone."""
    from analytics import members

    return members.mode(configured)


@dataclass(frozen=True)
class Visitor:
    """What one browser session was given: the workspaces it created or opened with their secret (consultant mode),
    the signed-in e-mail (team mode)."""

    granted: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None
    mode: str | None = None  # the mode the app read (secrets included); None: read it from the environment


def may_open(visitor: Visitor, workspace: str, access_mode: str | None = None) -> bool:
    """Whether this session may open `workspace` (and so see its name and figures)."""
    access_mode = access_mode or visitor.mode or mode()
    if access_mode == "team":
        from analytics import members  # the team mode's memberships (another module, same rule: ask, never list)

        return members.membership(visitor.email, workspace) is not None
    if workspace == store.DEMO_WORKSPACE:
        return True
    return workspace in visitor.granted and workspace in registry.entries()


def visible(visitor: Visitor, access_mode: str | None = None) -> list[str]:
    """The workspaces this session may list: the demo first, then the others by name. Never the folder's listing."""
    access_mode = access_mode or visitor.mode or mode()
    if access_mode == "team":
        from analytics import members

        candidates = [m.workspace for m in members.workspaces_for(visitor.email)]
    else:
        candidates = visitor.granted
    others = [w for w in candidates if w != store.DEMO_WORKSPACE and may_open(visitor, w, access_mode)]
    demo = [store.DEMO_WORKSPACE] if may_open(visitor, store.DEMO_WORKSPACE, access_mode) else []
    return demo + sorted(others, key=lambda w: display_name(w).casefold())


def display_name(workspace: str) -> str:
    """The name typed when the workspace was created (the demo is "demo"). Show it only for a workspace the session
    may open; it is user text: escape it before any markdown."""
    if workspace == store.DEMO_WORKSPACE:
        return store.DEMO_WORKSPACE
    return registry.name(workspace) or workspace


_TOKEN_IN_TEXT = re.compile(r"[?&]w=([A-Za-z0-9_-]+)")


def open_secret(text: str) -> str | None:
    """The workspace a pasted private link, link token or passphrase opens, else None (no hint of which part was
    wrong: a wrong secret says nothing about the workspaces that exist)."""
    text = (text or "").strip()
    if not text or len(text) > 2000:
        return None
    if "w=" in text:
        query = parse_qs(urlparse(text).query).get("w") or _TOKEN_IN_TEXT.findall(text)
        text = query[0] if query else text
    return registry.find_secret(text)


class Refused(Exception):
    """A workspace not created: `key` is the interface string saying why, `params` its values."""

    def __init__(self, key: str, params: dict | None = None):
        super().__init__(key)
        self.key = key
        self.params = params or {}


@dataclass(frozen=True)
class Created:
    workspace: str
    token: str
    passphrase: str


def limits() -> tuple[int, int]:
    """(maximum workspaces, maximum disk in MB) on this server, from COCKPIT_MAX_WORKSPACES and
    COCKPIT_MAX_DISK_MB."""
    def number(var: str, default: int) -> int:
        try:
            return max(0, int(os.environ.get(var) or default))
        except ValueError:
            return default
    return number("COCKPIT_MAX_WORKSPACES", DEFAULT_MAX_WORKSPACES), number("COCKPIT_MAX_DISK_MB", DEFAULT_MAX_DISK_MB)


def disk_used_mb() -> float:
    """What the workspaces folder takes on disk, in MB (every file in it: workspaces, their WAL, the registry)."""
    root = store.workspace_root()
    if not root.exists():
        return 0.0
    return sum(p.stat().st_size for p in root.iterdir() if p.is_file()) / 1_000_000


def disk_refusal(key: str = "access.limit_disk") -> Refused | None:
    """The refusal to give when the workspaces folder takes the server's maximum of disk, else None (checked before
    a workspace is created and before an import)."""
    max_disk = limits()[1]
    return Refused(key, {"limit": max_disk}) if disk_used_mb() >= max_disk else None


def check_limits() -> None:
    """Raise Refused when the server holds its maximum of workspaces or of disk."""
    max_workspaces = limits()[0]
    if len(registry.entries()) >= max_workspaces:
        raise Refused("access.limit_workspaces", {"limit": max_workspaces})
    if refused := disk_refusal():
        raise refused


def create(name: str) -> Created:
    """Create the workspace `name` in consultant mode: its file, its private link token and passphrase.

    Refused (nothing written) when the name is empty or too long, when a workspace with the same name key exists
    (said without opening it: it opens with its link or passphrase only), or at the server's limits."""
    name = " ".join((name or "").split())
    if not registry.name_key(name):
        raise Refused("access.name_empty")
    if len(name) > NAME_MAX:
        raise Refused("access.name_too_long", {"limit": NAME_MAX})
    try:
        workspace, token, passphrase = registry.register(name, check=check_limits)
    except registry.NameTaken:
        raise Refused("access.name_taken", {"name": name}) from None
    store.open_workspace(workspace)
    return Created(workspace, token, passphrase)


def link(base_url: str | None, workspace: str) -> str | None:
    """The private link of a workspace: the app's address (any page) with `?w=<token>` (None for the demo)."""
    token = registry.token(workspace)
    if not token:
        return None
    base = (base_url or "").split("?")[0].split("#")[0]
    return f"{base}?w={token}"
