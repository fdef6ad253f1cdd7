"""Domain errors shared by services; views turn them into messages or HTTP codes."""


class DomainError(Exception):
    """A rule of the platform refused the request; the message is for the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the error belongs to, when there is one.
        self.field = field


class NotAllowed(DomainError):
    """The current user may not do this."""

    status_code = 403
