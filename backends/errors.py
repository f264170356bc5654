"""The one error type for user mistakes.

The command line shows a ``UserError`` as a single line and exits with status 2;
anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input from the user: an unknown name, a wrong shape, a bad value."""


class ShapeError(UserError, ValueError):
    """A batch whose shape does not fit the circuit."""
