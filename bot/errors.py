"""The one error type whose message is shown to users as it is."""


class WhodecidesError(Exception):
    """An error with a short, user-facing message (no stack trace is ever shown)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(WhodecidesError):
    """The input was not a question we can work with (blank, say): show usage help."""
