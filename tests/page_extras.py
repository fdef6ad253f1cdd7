"""Helpers of the campaign page's extras' tests: a picture in the uploads storage."""

from __future__ import annotations

import io

from PIL import Image

from crowdfund.storage import CONTENT_TYPES, storage


def png(size=(800, 600), colour=(200, 90, 40), fmt="PNG") -> io.BytesIO:
    """An image file as a browser would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    buffer.seek(0)
    return buffer


def stored_test_image() -> str:
    """A reward picture put in the app's storage (in an app context); returns its key."""
    key = "rewards/browser-test.png"
    storage().put(key, png().getvalue(), CONTENT_TYPES["png"])
    return key
