"""
What the formula's states share: the return a state starts from, and the errors of the
execution modules that fail a state rather than the run (a bad argument, a failed tool or
request), turned into a failed state by ``failing_on_errors``.

Pure Python with no Salt dunders: loaded by Salt as a utils module.
"""

import functools

from salt.exceptions import CommandExecutionError, SaltInvocationError

ERRORS = (CommandExecutionError, SaltInvocationError)


def ret(name, result=True):
    """A state's return before it has done anything."""
    return {"name": name, "result": result, "changes": {}, "comment": ""}


def failing_on_errors(state):
    """``state`` failing, with the error as its comment, where the execution module raises
    one of ``ERRORS``: nothing was changed then."""

    @functools.wraps(state)
    def checked(name, *args, **kwargs):
        try:
            return state(name, *args, **kwargs)
        except ERRORS as err:
            return dict(ret(name), result=False, comment=str(err))

    return checked
