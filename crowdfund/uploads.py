"""Uploads: checked by content (not by name), images re-encoded without their metadata,
stored through ``crowdfund.storage`` under a name made from their content (so they can be
cached for ever), and deleted only when nothing uses them any more."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from crowdfund.i18n import _
from crowdfund.storage import CONTENT_TYPES, storage

#: Pillow format -> (file extension, save options).
IMAGE_FORMATS = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
    "GIF": ("png", {}),  # first frame only, stored as PNG
}


class UploadError(ValueError):
    """An upload that cannot be stored; the message is for the user, in their language."""


# Who may still use a stored file (campaign covers, offering documents...): registered by
# the features that keep keys (``campaigns.subscribers``, ``equity.subscribers``). Two
# uploads of the same content share one key, so a file is deleted only when none does.
_USERS: dict[str, Callable[[str], bool]] = {}


def referenced_by(name: str, check: Callable[[str], bool]) -> None:
    """Register ``check(key) -> bool``: does ``name`` (a feature) still use ``key``?"""
    _USERS[name] = check


def _key(folder: str, data: bytes, ext: str) -> str:
    return f"{folder}/{hashlib.sha256(data).hexdigest()[:40]}.{ext}"


def read_image(upload: FileStorage, *, max_bytes: int) -> Image.Image:
    """Parse an uploaded file as an image, checking size and real content."""
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_("The image is larger than %(num)s MB.", num=max_bytes // (1024 * 1024)))
    if not data:
        raise UploadError(_("The file is empty."))
    try:
        probe = Image.open(io.BytesIO(data))
        probe.verify()  # checks the structure; the image must be reopened after
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadError(
            _("That file is not an image we can read (JPEG, PNG, WebP or GIF).")) from None
    if image.format not in IMAGE_FORMATS:
        raise UploadError(_("Use a JPEG, PNG, WebP or GIF image."))
    return image


def save_image(upload: FileStorage, folder: str, *, max_bytes: int,
               max_size: tuple[int, int], min_size: tuple[int, int] | None = None,
               aspect: tuple[float, float] | None = None) -> str:
    """Validate (at least ``min_size``, width / height within ``aspect``), strip metadata
    (EXIF, GPS), shrink to ``max_size`` and store.

    Returns its key, e.g. ``covers/3f9c....jpg`` (the content's hash).
    """
    image = read_image(upload, max_bytes=max_bytes)
    _require_shape(image.size, min_size, aspect)
    ext, options = IMAGE_FORMATS[image.format]
    if image.format == "GIF":
        image.seek(0)
    if ext == "jpg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.thumbnail(max_size)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette())
    out = io.BytesIO()
    clean.save(out, format="JPEG" if ext == "jpg" else ext.upper(), **options)
    data = out.getvalue()
    key = _key(folder, data, ext)
    storage().put(key, data, CONTENT_TYPES[ext])
    return key


def _require_shape(size: tuple[int, int], min_size: tuple[int, int] | None,
                   aspect: tuple[float, float] | None) -> None:
    width, height = size
    if min_size and (width < min_size[0] or height < min_size[1]):
        raise UploadError(_("The image is %(width)s x %(height)s pixels: use one of at least "
                            "%(min_width)s x %(min_height)s.", width=width, height=height,
                            min_width=min_size[0], min_height=min_size[1]))
    if aspect and not aspect[0] - 0.005 <= width / height <= aspect[1] + 0.005:
        raise UploadError(_("The image is %(width)s x %(height)s pixels: use a landscape "
                            "image, between 4:3 and 2.4:1 (16:9 is ideal).", width=width,
                            height=height))


def delete_upload(key: str | None) -> None:
    """Remove a stored upload after the commit that stopped using it, unless something
    else uses the same content (or no feature could tell: then it is kept)."""
    if not key or not _USERS or any(check(key) for check in _USERS.values()):
        return
    storage().delete(key)


def save_pdf(upload: FileStorage, folder: str, *, max_bytes: int) -> tuple[str, int]:
    """Store an uploaded PDF after checking that it is one (by its content: the ``%PDF-``
    header and an end-of-file marker). Returns (key, size)."""
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_("The document is larger than %(num)s MB.",
                            num=max_bytes // (1024 * 1024)))
    if not data:
        raise UploadError(_("The file is empty."))
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise UploadError(_("That file is not a PDF document."))
    key = _key(folder, data, "pdf")
    storage().put(key, data, CONTENT_TYPES["pdf"])
    return key, len(data)


# --- an upload kept across a form's failed attempts ---------------------------------------

#: How long a file chosen in a form that failed stays usable without choosing it again.
PENDING_MAX_AGE = 24 * 3600


def _pending_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="pending-upload")


def pending_token(key: str, owner_id: int) -> str:
    """A signed note of a stored file chosen by ``owner_id``, to keep in a form's hidden
    field when another field fails: the person does not choose the file again, and nobody
    can name somebody else's file (or another folder's) through the field."""
    return _pending_signer().dumps([key, owner_id])


def pending_key(token: str | None, owner_id: int, folder: str) -> str | None:
    """The key a ``pending_token`` names, if it is this owner's, under ``folder``, recent
    and still stored; otherwise None."""
    if not token:
        return None
    try:
        key, owner = _pending_signer().loads(token, max_age=PENDING_MAX_AGE)
    except (BadData, TypeError, ValueError):
        return None
    if owner != owner_id or not isinstance(key, str) or not key.startswith(f"{folder}/"):
        return None
    return key if storage().get(key) is not None else None
