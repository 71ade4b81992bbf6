"""The ``emclust`` command line: fit, predict, select, bench and demo.

Results go to standard output (or to the files named with -o), so they can
be piped; progress and warnings go to standard error. Every error is one
line on standard error, ``emclust: error: ...``, with exit status 1 (2 for a
wrong command line, 130 when interrupted).
"""

from __future__ import annotations

import click
import numpy as np

from .. import __version__
from ._errors import CLIError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="emclust", message="%(prog)s %(version)s")
def cli():
    """Clustering with the EM algorithm from the command line.

    \b
    emclust demo                                  # Old Faithful, two Gaussians
    emclust fit data.csv -k 3 -o model.json --labels labels.csv --plot fit.png
    emclust predict model.json new.csv -o labels.csv
    emclust select data.csv -k 1..8 --covariance-type all
    emclust bench -n 100000 -d 16 -k 8
    """


def main(argv=None):
    """Entry point of the console script and of ``python -m emclust``."""
    try:
        status = cli.main(args=argv, prog_name="emclust", standalone_mode=False)
    except _NoArgsIsHelp as exc:
        click.echo(exc.ctx.get_help(), err=True)
        return 2
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "emclust"
        _error(f"{exc.format_message()} (see '{command} --help')", prefix=command)
        return exc.exit_code
    except click.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except click.exceptions.Abort:
        _error("aborted")
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except FileNotFoundError as exc:
        _error(f"no such file: {exc.filename}")
        return 1
    except OSError as exc:
        _error(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
        return 1
    except (ValueError, TypeError, np.linalg.LinAlgError, MemoryError) as exc:
        _error(str(exc) or type(exc).__name__)
        return 1
    return status if isinstance(status, int) else 0


# click >= 8.2 raises this for a bare ``emclust``; older versions print the help.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _error(message, prefix="emclust"):
    message = " ".join(str(message).split())  # one line, whatever the source
    click.echo(f"{prefix}: error: {message}", err=True)


from . import bench, fit, select  # noqa: E402  (the commands register on cli)

__all__ = ["CLIError", "bench", "cli", "fit", "main", "select"]
