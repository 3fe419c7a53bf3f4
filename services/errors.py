"""Domain errors carry a message for people, in Chinese; one handler turns them into 4xx."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Refused(DomainError):
    """Someone signed in asks for what their role may not do."""
    status = 403


class Unauthenticated(DomainError):
    """A machine request whose signature does not check out."""
    status = 401


class IllegalTransition(DomainError):
    """The case is not in a state that allows this action."""
    status = 409


class TooManyTries(DomainError):
    """Too many wrong tries from this requester; counted in the database (services.attempts)."""
    status = 429


class CatalogError(Exception):
    """A catalog file is broken. Stops start-up; names the file and the field."""

    def __init__(self, path: str, field: str, problem: str, what: str = "事项目录文件"):
        super().__init__(f"{what} {path} 的字段 {field} 有误：{problem}")
        self.path = path
        self.field = field
