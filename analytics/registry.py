"""The workspace registry: which workspaces exist, their names, and the secrets that open them.

One small JSON file beside the workspaces (`registry.json`), written whole and atomically (a temporary file then
`os.replace`), under a file lock so that two processes never lose each other's entry. Each entry:

    id          the workspace's file stem (`<id>.duckdb`), derived from the name's key (below), never typed
    name        the name as typed at creation; never changed afterwards (a variant typed later never overwrites it)
    key         the name folded for case, spaces and punctuation: two names with the same key are one workspace
    token       the random secret of the workspace's private link (`?w=<token>`); never derived from the name
    passphrase  the SHA-256 of a random passphrase shown once at creation (random, so a plain hash is enough)

Nothing here decides who may open what: analytics/access.py does, for both modes.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
import unicodedata
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

REGISTRY_FILE = "registry.json"
DEMO = "demo"  # store.DEMO_WORKSPACE: open to every session, never registered
# Passphrases are typed or dictated: no 0/o, 1/l/i. 20 characters of a 31-letter alphabet: about 99 bits.
_PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_lock = threading.Lock()


def name_key(name: str) -> str:
    """The name folded as people read it: Unicode-normalised (NFKC), case-folded, with every space and punctuation
    mark removed. "ACME Corp", "acme-corp" and "Acme  corp" give "acmecorp"; "Société Générale" and
    "Société  Générale" give "sociétégénérale"; accents and letters of any script are kept, so "Démo" is not "demo"."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def workspace_id(name: str) -> str:
    """The file stem of the workspace named `name`: a readable ASCII part and a hash of the name's key, so that
    two names with the same key share one file and two different keys never do. The demo is "demo"."""
    key = name_key(name)
    if key == DEMO:
        return DEMO
    readable = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    readable = re.sub(r"[^a-z0-9]+", "-", readable).strip("-")[:40].strip("-") or "workspace"
    return f"{readable}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def _root() -> Path:
    from analytics.store import workspace_root

    return workspace_root()


def _passphrase_digest(text: str) -> str:
    """The passphrase's hash, read as people type it: case, spaces and dashes do not count."""
    return hashlib.sha256(re.sub(r"[^a-z0-9]", "", text.lower()).encode("utf-8")).hexdigest()


@contextmanager
def _locked(root: Path):
    """This process's threads and other processes, one at a time (the registry is read, changed, rewritten)."""
    root.mkdir(parents=True, exist_ok=True)
    with _lock, open(root / (REGISTRY_FILE + ".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(root: Path) -> dict[str, dict]:
    try:
        return json.loads((root / REGISTRY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _write(root: Path, entries: dict[str, dict]) -> None:
    path = root / REGISTRY_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(tmp, 0o600)  # the tokens open the workspaces: readable by the server's user only
    os.replace(tmp, path)


def _adopt(root: Path, entries: dict[str, dict]) -> bool:
    """Register the workspace files made before the registry (or by the CLI): their old `.name` file, else their
    stem, is their name; each gets a token of its own. True when one was added."""
    added = False
    for path in sorted(root.glob("*.duckdb")):
        stem = path.stem
        if stem == DEMO or stem in entries:
            continue
        try:
            name = (root / f"{stem}.name").read_text(encoding="utf-8").strip() or stem
        except OSError:
            name = stem
        entries[stem] = _entry(stem, name)[0]
        added = True
    return added


def _entry(ws_id: str, name: str) -> tuple[dict, str, str]:
    token = secrets.token_urlsafe(18)
    passphrase = "-".join("".join(secrets.choice(_PASSPHRASE_ALPHABET) for _ in range(4)) for _ in range(5))
    entry = {"id": ws_id, "name": name, "key": name_key(name), "token": token, "passphrase": _passphrase_digest(passphrase),
             "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    return entry, token, passphrase


def entries() -> dict[str, dict]:
    """Every registered workspace by id (workspace files not yet registered are registered first)."""
    root = _root()
    current = _read(root)
    if root.exists() and any(p.stem not in current and p.stem != DEMO for p in root.glob("*.duckdb")):
        with _locked(root):
            current = _read(root)
            if _adopt(root, current):
                _write(root, current)
    return current


def find_key(name: str) -> str | None:
    """The id of the workspace whose name has the same key as `name` (the demo included), else None."""
    key = name_key(name)
    if key == DEMO:
        return DEMO
    return next((ws for ws, e in entries().items() if e["key"] == key), None)


def find_secret(secret: str) -> str | None:
    """The id of the workspace that `secret` opens: its link token or its passphrase (compared in constant time)."""
    secret = secret.strip()
    if not secret:
        return None
    digest = _passphrase_digest(secret)
    found = None
    for ws, e in entries().items():
        if secrets.compare_digest(e["token"], secret) or secrets.compare_digest(e["passphrase"], digest):
            found = ws
    return found


def token(ws_id: str) -> str | None:
    entry = entries().get(ws_id)
    return entry["token"] if entry else None


def name(ws_id: str) -> str | None:
    entry = entries().get(ws_id)
    return entry["name"] if entry else None


class NameTaken(Exception):
    """A workspace with the same name key exists (its id in .workspace)."""

    def __init__(self, workspace: str):
        super().__init__(workspace)
        self.workspace = workspace


def register(name: str, check=None) -> tuple[str, str, str]:
    """Register a new workspace named `name`: (id, link token, passphrase); the passphrase is not kept in clear.

    Raises NameTaken when a workspace with the same key exists (the demo included). `check()`, called under the
    registry's lock before anything is written, may raise to refuse (the server's limits)."""
    name = name.strip()
    root = _root()
    with _locked(root):
        current = _read(root)
        if _adopt(root, current):
            _write(root, current)
        key = name_key(name)
        if key == DEMO:
            raise NameTaken(DEMO)
        taken = next((ws for ws, e in current.items() if e["key"] == key), None)
        ws_id = workspace_id(name)
        if taken or ws_id in current:
            raise NameTaken(taken or ws_id)
        if check is not None:
            check()
        entry, link_token, passphrase = _entry(ws_id, name)
        current[ws_id] = entry
        _write(root, current)
    return ws_id, link_token, passphrase


def main(argv: list[str] | None = None) -> int:
    """`python -m analytics.registry [--base-url URL]`: the server's administrator lists every workspace with its
    private link (run on the server, where the workspaces folder is: whoever runs it can read the files anyway).
    A passphrase is not kept in clear, so it is not listed: the link is what the administrator hands over."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m analytics.registry", description=main.__doc__)
    parser.add_argument("--base-url", default="http://localhost:8501/", help="the app's address")
    args = parser.parse_args(argv)
    for ws, entry in sorted(entries().items(), key=lambda item: item[1]["name"].casefold()):
        print(f"{entry['name']}\t{ws}\t{args.base_url.split('?')[0]}?w={entry['token']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
