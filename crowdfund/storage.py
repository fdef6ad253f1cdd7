"""Where uploaded files live: a small interface with two backends.

- ``local`` (the default): a folder (``UPLOAD_FOLDER``, else ``instance/uploads``). One
  machine, or a folder every web server mounts.
- ``database``: the ``stored_files`` table of the platform's database. Every web server
  reads what any of them stored, with nothing more to run: uploads are small (covers are
  re-encoded to at most 1600 x 900, documents capped at DOCUMENT_MAX_BYTES) and rare, and
  the database is already backed up. Served with long-lived cache headers (names are the
  content's hash), so a file is read from the database about once per browser and proxy.

Keys look like ``covers/<sha256>.jpg``: the same content always gets the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, dialect_insert, utcnow
from crowdfund.extensions import db


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> StoredFile | None: ...
    def delete(self, key: str) -> None: ...


CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "pdf": "application/pdf"}


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


class LocalStorage:
    """Files under ``root``; a key never leaves it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        path = (self.root / key).resolve()
        return path if self.root.resolve() in path.parents else None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path is None:
            raise ValueError(f"bad storage key {key!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # same key, same content
            temporary = path.with_suffix(path.suffix + ".part")
            temporary.write_bytes(data)
            temporary.replace(path)

    def get(self, key: str) -> StoredFile | None:
        path = self._path(key)
        try:
            return StoredFile(path.read_bytes(), content_type_of(key)) if path else None
        except OSError:  # missing, a folder, a name the file system refuses
            return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path is not None and path.exists():
            path.unlink()


class FileRow(db.Model):
    """An uploaded file kept in the database (``UPLOAD_STORAGE=database``)."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DatabaseStorage:
    """Files in ``stored_files``, written in the caller's transaction: an upload whose
    form is refused is rolled back with it, one that is saved commits with it."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # Same key, same content: one already there (or stored at the same instant) stays.
        db.session.execute(dialect_insert(db.session, FileRow).values(
            key=key, content_type=content_type, size=len(data), data=data,
            created_at=utcnow()).on_conflict_do_nothing(index_elements=["key"]))

    def get(self, key: str) -> StoredFile | None:
        row = db.session.get(FileRow, key)
        return StoredFile(bytes(row.data), row.content_type) if row else None

    def delete(self, key: str) -> None:
        """After the commit that stopped using it (as for a local file): commits."""
        db.session.execute(sa.delete(FileRow).where(FileRow.key == key))
        db.session.commit()


def upload_root() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or str(
        Path(current_app.instance_path) / "uploads")
    return Path(folder)


def storage() -> Storage:
    """The app's storage (``UPLOAD_STORAGE``: ``local`` or ``database``)."""
    kind = current_app.config["UPLOAD_STORAGE"]
    if kind == "database":
        return DatabaseStorage()
    return LocalStorage(upload_root())
