"""Uploaded images: checked by content (not by name), re-encoded, stored under a random name."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

#: Pillow format -> (file extension, save options).
IMAGE_FORMATS = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
    "GIF": ("png", {}),  # first frame only, stored as PNG
}


class UploadError(ValueError):
    """An upload that cannot be stored; the message is for the user."""


def upload_root() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or str(
        Path(current_app.instance_path) / "uploads"
    )
    return Path(folder)


def read_image(storage: FileStorage, *, max_bytes: int) -> Image.Image:
    """Parse an uploaded file as an image, checking size and real content."""
    data = storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"The image is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise UploadError("The file is empty.")
    try:
        probe = Image.open(io.BytesIO(data))
        probe.verify()  # checks the structure; the image must be reopened after
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadError(
            "That file is not an image we can read (JPEG, PNG, WebP or GIF)."
        ) from None
    if image.format not in IMAGE_FORMATS:
        raise UploadError("Use a JPEG, PNG, WebP or GIF image.")
    return image


def save_image(storage: FileStorage, folder: str, *, max_bytes: int,
               max_size: tuple[int, int]) -> str:
    """Validate, strip metadata (EXIF, GPS), shrink to ``max_size`` and store.

    Returns the path relative to the upload root, e.g. ``covers/3f9c....jpg``.
    """
    image = read_image(storage, max_bytes=max_bytes)
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
    name = f"{secrets.token_hex(16)}.{ext}"
    target_dir = upload_root() / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    clean.save(target_dir / name, format="JPEG" if ext == "jpg" else ext.upper(), **options)
    return f"{folder}/{name}"


def delete_upload(relative: str | None) -> None:
    """Remove a stored upload (after the commit that stopped using it)."""
    if not relative:
        return
    path = (upload_root() / relative).resolve()
    if upload_root().resolve() in path.parents and path.exists():
        path.unlink()


def save_pdf(storage: FileStorage, folder: str, *, max_bytes: int) -> tuple[str, int]:
    """Store an uploaded PDF under a random name after checking that it is one (by its
    content: the ``%PDF-`` header and an end-of-file marker). Returns (path, size)."""
    data = storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"The document is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise UploadError("The file is empty.")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise UploadError("That file is not a PDF document.")
    name = f"{secrets.token_hex(16)}.pdf"
    target_dir = upload_root() / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / name).write_bytes(data)
    return f"{folder}/{name}", len(data)
