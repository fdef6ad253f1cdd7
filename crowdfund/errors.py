"""Domain errors shared by services; views turn them into messages or HTTP codes."""


class DomainError(Exception):
    """A rule of the platform refused the request; the message is for the user."""

    status_code = 400

    def __init__(self, message, *, field: str | None = None) -> None:
        super().__init__(message)
        #: The text, or a lazily translated one (``crowdfund.i18n._l``): read through
        #: ``message``, in the reader's language at the moment it is shown.
        self._message = message
        #: The form field the error belongs to, when there is one.
        self.field = field

    @property
    def message(self) -> str:
        """The message in the current reader's language."""
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class NotAllowed(DomainError):
    """The current user may not do this."""

    status_code = 403
