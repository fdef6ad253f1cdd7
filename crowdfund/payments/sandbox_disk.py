"""The local Stripe sandbox's state kept in a file of ours (``--state-file``), so that a
restarted ``make run`` still knows the customers, saved cards, PaymentIntents and refunds
its database points to, and replays the idempotent answers it gave.

The file is written whole and atomically (a temporary file, then a rename), at most once
per :data:`SAVE_DELAY` after write requests, and at shutdown; it is read at start. The test
suite's sandbox has no state file: it stays in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle  # noqa: S403 - our own file, in our instance folder, written by this module
from pathlib import Path

from aiohttp import web

log = logging.getLogger("crowdfund.sandbox")

#: Seconds between a write request and the save that includes it (writes in between join).
SAVE_DELAY = 0.3
#: What the file holds: {"version", "store": localstripe's objects, "responses": {key:
#: (fingerprint, status, body, content type)}}. Another version is not read.
VERSION = 1
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What unpickling a damaged file or one from another localstripe can raise.
_UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError,
               ValueError, KeyError, IndexError)


class StateFile:
    """localstripe's store and the remembered idempotent answers, in ``path``.

    ``responses`` maps an idempotency key to an object with ``fingerprint``, ``status``,
    ``body``, ``content_type``; ``make_response`` builds one from those four.
    """

    def __init__(self, path: str | os.PathLike, store: dict, responses: dict,
                 make_response) -> None:
        self.path = Path(path)
        self.store, self.responses, self.make_response = store, responses, make_response
        self._pending: asyncio.TimerHandle | None = None

    def load(self) -> int:
        """Read the file, if there is one; returns how many objects it held."""
        try:
            data = pickle.loads(self.path.read_bytes())  # noqa: S301 - see the import
        except FileNotFoundError:
            return 0
        except _UNREADABLE as error:
            log.warning("sandbox: %s cannot be read (%s); starting empty", self.path, error)
            return 0
        if not isinstance(data, dict) or data.get("version") != VERSION:
            log.warning("sandbox: %s is of another version; starting empty", self.path)
            return 0
        self.store.clear()
        dict.update(self.store, data["store"])  # as stored: no save per item
        self.responses.clear()
        self.responses.update({key: self.make_response(*kept)
                               for key, kept in data["responses"].items()})
        return len(self.store)

    def save(self) -> None:
        """Write everything now, atomically."""
        self._pending = None
        body = pickle.dumps({
            "version": VERSION, "store": dict(self.store),
            "responses": {key: (r.fingerprint, r.status, r.body, r.content_type)
                          for key, r in self.responses.items()},
        }, protocol=pickle.HIGHEST_PROTOCOL)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def save_soon(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(SAVE_DELAY, self.save)

    def middleware(self):
        """Saves (soon) after each write request, whether it succeeded or not."""
        @web.middleware
        async def save_after_writes(request: web.Request, handler):
            try:
                return await handler(request)
            finally:
                if request.method in _WRITES:
                    self.save_soon()

        return save_after_writes

    async def on_shutdown(self, app: web.Application) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self.save()
