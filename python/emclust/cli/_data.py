"""Reading data files (CSV, .npy, Parquet) and writing result tables."""

from __future__ import annotations

import csv
import io
import math
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np

from ._errors import CLIError, OptionError
from ._output import write_file

# Fields read as missing values (case-insensitive), besides an empty field.
MISSING = frozenset({"", "na", "nan", "n/a", "null", "none", "-nan"})


@dataclass
class Dataset:
    """A data matrix read from a file.

    X holds the rows that are used (all rows, or those left after --drop-nan);
    ``kept`` marks them among the file's ``n_rows`` data rows (None: all).
    """

    X: np.ndarray
    names: list
    source: str
    n_rows: int
    kept: np.ndarray | None = None
    # X is a read-only memory map of a .npy file larger than the memory
    # budget: fits read it in row blocks and summaries are taken block by block.
    mapped: bool = False
    # What the reader decided on its own (a skipped index column), for the
    # command to report on standard error.
    notes: list = field(default_factory=list)
    # The columns have names of the file's own (a CSV header, Parquet), not
    # positions: a model fitted on them stores them and predict matches them.
    named: bool = False

    def describe(self):
        shape = f"{self.n_rows} rows x {self.X.shape[1]} columns"
        if self.kept is not None:
            shape += f" ({self.n_rows - self.X.shape[0]} rows with NaN dropped)"
        return f"{self.source}: {shape}"


def read_data(
    path,
    columns=None,
    *,
    drop_nan=False,
    header=None,
    missing="error",
    map_over=None,
    delimiter=None,
):
    """Read DATA for a command; every problem becomes a one-line CLIError.

    Parameters
    ----------
    path : str
        A .csv (or any other text table), .npy or .parquet file.
    columns : str, optional
        Comma-separated column names or 0-based indices.
    drop_nan : bool
        Drop rows with NaN or missing values instead of failing.
    missing : {"error", "drop", "keep"}
        What a NaN or missing cell does: fail, drop its row (as drop_nan), or
        stay in X as NaN, a missing value for the model to handle (an
        infinite value is still an error).
    header : bool, optional
        Whether a CSV file starts with a header line; None guesses it (a
        header is a first line with a field that is not a number).
    delimiter : str, optional
        The field separator of a text table; None sniffs it from the first
        lines (one of , tab ; | or white space).
    map_over : int, optional
        A float32 or float64 .npy file of more bytes than this (and no
        --columns) is memory-mapped instead of read: X is then a read-only
        view of the file, checked block by block, and must hold no NaN.
    """
    p = Path(path)
    if not p.exists():
        raise CLIError(f"no such file: {path}")
    if p.is_dir():
        raise CLIError(f"{path} is a directory, not a data file")
    suffix = p.suffix.lower()
    if suffix == ".json":
        raise CLIError(
            f"{path} looks like a model file; DATA must be CSV, .npy or Parquet"
        )
    notes, named = [], False
    if delimiter is not None and suffix in (".npy", ".parquet", ".pq"):
        raise CLIError(f"--delimiter applies to text tables, not to {p.suffix} files")
    if suffix == ".npy":
        mapped = _map_npy(p, columns, map_over)
        if mapped is not None:
            return mapped
        X, names = _read_npy(p, columns)
    elif suffix in (".parquet", ".pq"):
        X, names = _read_parquet(p, columns)
        named = True
    else:
        X, names, notes, named = _read_csv(p, columns, header, delimiter)
    n_rows = X.shape[0]
    if n_rows == 0:
        raise CLIError(f"{path} has no data rows")
    drop_nan = drop_nan or missing == "drop"
    if missing == "keep":
        infinite = np.flatnonzero(np.isinf(X).any(axis=1)) + 1
        if infinite.size:
            raise CLIError(
                f"{path}: infinite values in {infinite.size} row(s), first in data "
                f"row {infinite[0]}"
            )
        return Dataset(
            np.ascontiguousarray(X), names, str(path), n_rows, notes=notes, named=named
        )
    bad = ~np.isfinite(X).all(axis=1)
    kept = None
    if bad.any():
        rows = np.flatnonzero(bad) + 1
        if not drop_nan:
            shown = ", ".join(str(r) for r in rows[:10])
            more = f" and {rows.size - 10} more" if rows.size > 10 else ""
            raise CLIError(
                f"{path}: NaN, infinite or missing values in {rows.size} row(s): "
                f"data row {shown}{more} (counting from 1 after any header); "
                "fix them, pass --drop-nan to skip those rows, or --missing keep "
                "to fit them as missing values"
            )
        kept = ~bad
        X = X[kept]
        if X.shape[0] == 0:
            raise CLIError(f"{path}: every row has NaN or missing values")
    return Dataset(
        np.ascontiguousarray(X),
        names,
        str(path),
        n_rows,
        kept,
        notes=notes,
        named=named,
    )


def _select(spec, names, source):
    """Column indices from a --columns value."""
    if spec is None:
        return None
    indices = []
    for token in (t.strip() for t in spec.split(",")):
        if not token:
            raise CLIError(f"--columns has an empty entry: {spec!r}")
        if token in names:
            indices.append(names.index(token))
            continue
        try:
            i = int(token)
        except ValueError:
            raise CLIError(
                f"no column {token!r} in {source} (columns: {', '.join(names)})"
            ) from None
        if not 0 <= i < len(names):
            raise CLIError(
                f"column index {i} is out of range: {source} has {len(names)} columns "
                "(indices count from 0)"
            )
        indices.append(i)
    return indices


def _map_npy(path, columns, map_over):
    """The Dataset of a memory-mapped .npy file, or None to read it whole."""
    if map_over is None or columns is not None or path.stat().st_size <= map_over:
        return None
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError):
        return None  # _read_npy says what is wrong
    if (
        a.ndim != 2
        or a.dtype not in (np.float32, np.float64)
        or not a.flags.c_contiguous
        or a.shape[0] == 0
    ):
        return None
    bad = _nonfinite_rows(a)
    if bad.size:
        raise CLIError(
            f"{path}: NaN or infinite values in {bad.size} row(s), first in data row "
            f"{bad[0] + 1}; a memory-mapped file (larger than --memory-budget) must "
            "be complete: fix those rows, or raise --memory-budget to read it whole"
        )
    names = [str(i) for i in range(a.shape[1])]
    return Dataset(a, names, str(path), a.shape[0], mapped=True)


def _nonfinite_rows(X, step=1 << 16):
    """Indices of the rows with a NaN or infinite entry, block by block (no
    (n_rows, n_columns) temporary)."""
    found = []
    for a in range(0, X.shape[0], step):
        part = X[a : a + step]
        if not np.isfinite(part.sum(dtype=np.float64)):
            found.append(a + np.flatnonzero(~np.isfinite(part).all(axis=1)))
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _read_npy(path, columns):
    try:
        with open(path, "rb") as f:
            magic = f.read(len(np.lib.format.MAGIC_PREFIX))
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror or exc}") from None
    if magic != np.lib.format.MAGIC_PREFIX:
        # np.load would take it for a pickle and say so.
        raise CLIError(
            f"cannot read {path}: not a .npy file (it does not start with numpy's "
            "magic string)"
        )
    try:
        a = np.load(path, allow_pickle=False)
    except (
        ValueError,
        OSError,
        SyntaxError,
        tokenize.TokenError,
        TypeError,
        EOFError,
    ) as exc:
        if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
            # A valid .npy file whose array holds Python objects.
            raise CLIError(
                f"{path} holds Python objects (a pickled array); a numeric array "
                "is needed"
            ) from None
        # numpy parses the header as a Python literal: a damaged header raises
        # whatever numpy, the tokenizer or ast.literal_eval raise, and which
        # one depends on the Python release (3.11.2 raises ValueError for a
        # null byte, later releases SyntaxError).
        raise CLIError(
            f"cannot read {path}: not a valid .npy file ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(a, np.ndarray):
        raise CLIError(f"{path} is not a single .npy array")
    if a.dtype.kind in "mM":
        raise CLIError(
            f"{path} holds dates or times ({a.dtype}), not numbers; "
            "a numeric array is needed"
        )
    if a.dtype.kind not in "biuf":
        raise CLIError(f"{path} holds {a.dtype} values; a numeric array is needed")
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise CLIError(
            f"{path} holds a {a.ndim}-D array; a 2-D (rows x columns) one is needed"
        )
    names = [str(i) for i in range(a.shape[1])]
    idx = _select(columns, names, str(path))
    if idx is not None:
        a, names = a[:, idx], [names[i] for i in idx]
    return a.astype(np.float64) if a.dtype.kind != "f" else a, names


def _read_parquet(path, columns):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CLIError(
            f"reading Parquet ({path}) needs pyarrow: pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise CLIError(f"cannot read {path}: {exc}") from None
    names = list(table.column_names)
    idx = _select(columns, names, str(path))
    if idx is not None:
        names = [names[i] for i in idx]
    cols = []
    for name in names:
        col = table.column(name)
        if _is_temporal(col.type):
            # NumPy would turn dates into epoch counts without a word.
            raise CLIError(
                f"column {name!r} of {path} holds dates or times ({col.type}), not "
                "numbers; choose numeric columns with --columns"
            )
        try:
            cols.append(col.to_numpy(zero_copy_only=False).astype(np.float64))
        except (TypeError, ValueError):
            raise CLIError(
                f"column {name!r} of {path} is not numeric ({col.type}); "
                "choose numeric columns with --columns"
            ) from None
    return np.column_stack(cols) if cols else np.empty((0, 0)), names


def _is_temporal(arrow_type):
    import pyarrow.types as pt

    return pt.is_temporal(arrow_type)


def _is_number(field):
    try:
        float(field)
    except ValueError:
        return field.strip().lower() in MISSING
    return True


def _read_csv(path, columns, header, delimiter=None):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise CLIError(f"cannot read {path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror}") from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise CLIError(f"{path} is empty")
    if delimiter is None:
        delimiter = sniff_delimiter(lines)
    elif delimiter == "\\t":
        delimiter = "\t"
    elif len(delimiter) != 1 or delimiter in '\n\r"':
        raise OptionError(
            f"--delimiter must be one character (or \\t for a tab); got {delimiter!r}"
        )
    fields = _split(first, delimiter)
    if header is None:
        header = not all(_is_number(v) for v in fields)
    if header and sum(1 for line in lines if line.strip()) == 1:
        raise CLIError(f"{path} has a header line but no data rows")
    ncols = len(fields)
    names = [v.strip() for v in fields] if header else [str(i) for i in range(ncols)]
    notes = []
    skip_index = header and ncols > 1 and names[0] == "" and columns is None
    idx = _select(columns, names, str(path))
    use = idx if idx is not None else list(range(int(skip_index), ncols))
    try:
        # Fast path (C parser); any irregularity falls back to the careful
        # parser below, which says exactly what is wrong.
        # Reading every column makes it check that all rows have as many.
        X = np.loadtxt(
            io.StringIO(text),
            delimiter=delimiter,
            skiprows=int(header),
            ndmin=2,
            dtype=np.float64,
        )
        if X.shape[0] and X.shape[1] != ncols:
            raise ValueError("a row's field count differs from the first line's")
        X = X[:, use]
    except ValueError:
        X = _parse_rows(lines, delimiter, header, ncols, use, names, path)
    if X.shape[0] == 0:
        X = np.empty((0, len(use)))
    if skip_index:
        # pandas' to_csv writes the row index as a first column with an empty
        # name: it numbers the rows and is no feature.
        notes.append(
            f"{path}: skipped the first column, which has no name (a row index "
            "as pandas writes it); choose columns with --columns to keep it"
        )
    return X, [names[i] for i in use], notes, bool(header)


# Separators tried, most common first; white space when none fits.
_DELIMITERS = (",", "\t", ";", "|")


def sniff_delimiter(lines, n_lines=20):
    """The separator that splits the first lines into one and the same
    number of fields (more than one); the most fields wins, then the order of
    _DELIMITERS. A ";" file with decimal commas ("1,5;2,0") splits evenly on
    ";" only, so it is read right."""
    sample = [line for line in lines if line.strip()][:n_lines]
    best, best_count = None, 1
    for d in _DELIMITERS:
        if d not in sample[0]:
            continue
        counts = {len(_split(line, d)) for line in sample}
        if len(counts) == 1 and (count := counts.pop()) > best_count:
            best, best_count = d, count
    if best is None:
        # No consistent separator: the first one present, as before, so that
        # the parser names the line whose field count differs.
        best = next((d for d in _DELIMITERS if d in sample[0]), None)
    return best


def _split(line, delimiter):
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def _parse_rows(lines, delimiter, header, ncols, use, names, path):
    rows = []
    skip = header
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if skip:
            skip = False
            continue
        fields = _split(line, delimiter)
        if len(fields) != ncols:
            raise CLIError(
                f"{path}, line {lineno}: {len(fields)} fields where the first line has {ncols}"
            )
        row = []
        for j in use:
            v = fields[j].strip()
            try:
                row.append(float(v))
            except ValueError:
                if v.lower() in MISSING:
                    row.append(math.nan)
                    continue
                raise CLIError(
                    f"column {names[j]!r} of {path} is not numeric (line {lineno} has "
                    f"{v!r}){_likely_cause(v, delimiter)}"
                ) from None
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(use))


def _likely_cause(value, delimiter):
    if re.fullmatch(r"[+-]?\d+,\d*", value):
        return (
            "; it looks like a decimal comma: emclust reads '.' as the decimal "
            "mark, so convert the file, or if its fields are separated by ';' "
            "pass --delimiter ';'"
        )
    if delimiter is None and any(c in value for c in ",;|\t"):
        return "; the fields may be separated by another character: pass --delimiter"
    return "; choose numeric columns with --columns, or pass --delimiter"


def write_table(path, columns, values, kept=None):
    """Write a CSV table with a header line, one line per data row.

    values : ndarray of shape (n_used, n_columns); with ``kept`` (one bool
    per row of the input file) the dropped rows get empty fields, so the
    output has one line per input row. path "-" is standard output.
    """
    values = np.asarray(values)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    cells = [[_format(v) for v in row] for row in values.tolist()]
    if kept is not None:
        full = [[""] * len(columns) for _ in range(kept.size)]
        for i, row in zip(np.flatnonzero(kept), cells):
            full[i] = row
        cells = full
    text = ",".join(columns) + "\n" + "".join(",".join(r) + "\n" for r in cells)
    if str(path) == "-":
        click.echo(text, nl=False)  # main checks that standard output took it all
        return
    write_file(path, text, "table")


def _format(v):
    return repr(v) if isinstance(v, float) else str(v)
