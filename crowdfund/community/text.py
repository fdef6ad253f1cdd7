"""What people type for other people to read (comments, reports), cleaned the same way."""

from __future__ import annotations

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def clean_text(text: str | None) -> str:
    """Plain text as typed, minus control characters. It is never trusted as HTML: the
    templates escape it (a ``<script>`` shows as text)."""
    return (text or "").replace("\r\n", "\n").translate(_CONTROL).strip()
