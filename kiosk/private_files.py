"""The instance folder and its secrets: private from the start, and a warning when they are not.

The database holds PIN hashes (a 4-digit PIN falls to its scrypt hash in minutes) and the secret key
signs every session cookie, so both are guarded like secrets: the folder 0700, the files 0600.
Files are created under umask 0o077 and chmodded, so they are never readable by others even for a
moment; files that already exist are never changed behind the owner's back, only reported.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

FOLDER_MODE = 0o700
FILE_MODE = 0o600


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Everything created inside the block is readable by its owner only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_instance_folder(instance: Path) -> None:
    """Create the instance folder (0700) if it is missing; an existing one is left as it is."""
    if instance.exists():
        return
    with private_umask():
        instance.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
    os.chmod(instance, FOLDER_MODE)


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None (another database, or in memory)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def create_database_file(database_url: str) -> None:
    """Create an empty SQLite file (a valid empty database) as 0600 before SQLite would create it 0644.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow.
    """
    path = sqlite_file(database_url)
    if path is None or path.exists() or not path.parent.is_dir():
        return  # a missing folder is SQLite's to report, with the URL, when it opens the file
    with private_umask():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            return
    os.close(fd)
    os.chmod(path, FILE_MODE)


def too_open(instance: Path, database_url: str) -> list[tuple[Path, int, int]]:
    """(path, mode, wanted mode) of each private file or folder that others may read or write."""
    candidates = [(instance, FOLDER_MODE), (instance / "secret_key", FILE_MODE), (instance / "kiosk.toml", FILE_MODE)]
    database = sqlite_file(database_url)
    if database is not None:
        candidates += [(database, FILE_MODE), (Path(f"{database}-wal"), FILE_MODE),
                       (Path(f"{database}-shm"), FILE_MODE)]
    found = []
    for path, wanted in candidates:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append((path, mode, wanted))
    return found


def warnings(instance: Path, database_url: str) -> list[str]:
    """One plain sentence per file that is too open, saying which file and how to fix it."""
    return [f"warning: {path} can be read or changed by other users of this computer (mode {mode:04o}); "
            f"it holds {'secrets' if path.is_dir() else _what(path)}. Fix: chmod {wanted:o} {path}"
            for path, mode, wanted in too_open(instance, database_url)]


def _what(path: Path) -> str:
    if path.name == "secret_key":
        return "the key that signs every session cookie"
    if path.name == "kiosk.toml":
        return "the configuration, with the carrier API key"
    return "staff PIN hashes and sales"
