"""Typed domain errors. Services raise them; states turn them into messages people understand."""


class DomainError(Exception):
    """Base class: `str(error)` is a message fit to show the user."""


class NotFound(DomainError):
    """Missing, or not yours: the two are never told apart."""

    def __init__(self, what: str = "That item") -> None:
        super().__init__(f"{what} was not found.")


class Forbidden(DomainError):
    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)


class ValidationFailed(DomainError):
    """Bad input; `field` names the input when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    """The input clashes with what exists (a duplicate, a last owner, a used token)."""


class RateLimited(DomainError):
    pass


class LimitReached(DomainError):
    """A plan limit: the message says which limit and how to upgrade."""

    def __init__(self, message: str, *, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class ReadOnly(DomainError):
    def __init__(
        self,
        message: str = "This workspace is read-only until the overdue invoice is paid.",
    ) -> None:
        super().__init__(message)
