"""The command line's error type: one line on stderr, exit status 1."""

import click


class CLIError(click.ClickException):
    """An error the user can fix, reported as ``emclust: error: <message>``."""

    exit_code = 1
