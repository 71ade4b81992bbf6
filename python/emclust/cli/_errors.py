"""The command line's error types, each reported as one line on stderr."""

import click


class CLIError(click.ClickException):
    """An error the user can fix, reported as ``emclust: error: <message>``
    with exit status 1: unreadable data, a model file that does not fit."""

    exit_code = 1


class OptionError(click.UsageError):
    """A wrong command line that click's own parsing cannot see (an option's
    value out of its form, an option that does not apply to the model): exit
    status 2, as for every other command-line error."""

    exit_code = 2
