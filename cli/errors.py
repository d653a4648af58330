"""Exit codes a script can rely on, one per kind of failure."""
OK = 0
REFUSED = 1        # the server or the local check refused what was sent (the errors say why)
USAGE = 2          # wrong arguments or missing settings (click uses 2 as well)
CONFLICT = 3       # someone changed the plan meanwhile (push contribution without --rebase)
UNREACHABLE = 4    # the server could not be reached or kept failing; a push is queued when it can be
AUTH = 5           # no token, a bad token, or not allowed


class CliError(Exception):
    code = REFUSED

    def __init__(self, message, errors=None, code=None):
        super().__init__(message)
        self.errors = errors or {}
        if code is not None:
            self.code = code


class UsageError(CliError):
    code = USAGE


class Unreachable(CliError):
    code = UNREACHABLE


class Unknown(Unreachable):
    """A write that cannot safely be sent again got no answer that says whether it was done."""
