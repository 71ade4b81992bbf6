"""The ``emclust`` command line: fit, predict, select, bench and demo.

Results go to standard output (or to the files named with -o), so they can
be piped; progress and warnings go to standard error. Every error is one
line on standard error, ``emclust: error: ...``, with exit status 1 (2 for a
wrong command line, 130 when interrupted).
"""

from __future__ import annotations

import errno
import os
import sys

import click
import numpy as np

from .. import __version__
from . import _output
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
    stdout = _output.checked_stdout()
    saved = sys.stdout
    if stdout is not None:
        sys.stdout = stdout
    try:
        status = _run(argv)
        if stdout is not None:
            try:
                stdout.flush()
            except OSError as exc:
                status = _error(_write_failure(exc))
        return status
    finally:
        sys.stdout = saved


def _write_failure(exc):
    return f"cannot write to standard output: {exc.strerror or exc}"


def _run(argv):
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
        return _error(exc.format_message(), status=exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C into Abort (from KeyboardInterrupt): still 130.
        if isinstance(exc.__context__, KeyboardInterrupt):
            return _error("interrupted", status=130)
        return _error("aborted")
    except KeyboardInterrupt:
        return _error("interrupted", status=130)
    except FileNotFoundError as exc:
        return _error(f"no such file: {exc.filename}")
    except OSError as exc:
        if exc.filename:
            return _error(f"{exc.filename}: {exc.strerror or exc}")
        if isinstance(sys.stdout, _output.CheckedStdout) and exc.errno in _WRITE_ERRORS:
            return _error(_write_failure(exc))
        return _error(str(exc))
    except (ValueError, TypeError, np.linalg.LinAlgError, MemoryError) as exc:
        return _error(str(exc) or type(exc).__name__)
    except (RecursionError, OverflowError) as exc:
        return _error(f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        # Never a traceback for the user; EMCLUST_TRACEBACK=1 shows it.
        if os.environ.get("EMCLUST_TRACEBACK"):
            raise
        return _error(
            f"unexpected {type(exc).__name__}: {exc} (EMCLUST_TRACEBACK=1 shows where)"
        )
    return status if isinstance(status, int) else 0


# What a failed write to standard output raises (EDQUOT is not on every system).
_WRITE_ERRORS = tuple(
    getattr(errno, name)
    for name in ("ENOSPC", "EPIPE", "EBADF", "EIO", "EDQUOT", "EFBIG")
    if hasattr(errno, name)
)

# click >= 8.2 raises this for a bare ``emclust``; older versions print the help.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _error(message, prefix="emclust", status=1):
    message = " ".join(str(message).split())  # one line, whatever the source
    click.echo(f"{prefix}: error: {message}", err=True)
    return status


from . import bench, classify, fit, select  # noqa: E402  (the commands register on cli)

__all__ = ["CLIError", "bench", "classify", "cli", "fit", "main", "select"]
