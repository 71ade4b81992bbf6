"""Fuzzing the command line (issue 12): malformed CSV and .npy files (binary
garbage, non-UTF-8, ragged rows, huge and non-numeric cells, empty files),
bad flag values and unwritable outputs. Each command line runs in its own
process with a timeout (tests/_cli_server.py forks one per case), and ends
in one of two ways:

- exit status 0, with every output it was asked for complete;
- a non-zero status, one line on stderr ("emclust...: error: ..."), no
  traceback, and no output file left behind (outputs are atomic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import emclust
import numpy as np
import pytest
from _fuzz import count, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

CASE_TIMEOUT = 120


class Server:
    """The forking runner of tests/_cli_server.py, one per module."""

    def __init__(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
        )
        env["PYTHONWARNINGS"] = "ignore"  # warnings are not what is fuzzed here
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_cli_server.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, argv, cwd):
        cwd = Path(cwd)
        case = {
            "argv": [str(a) for a in argv],
            "cwd": str(cwd),
            "stdout": str(cwd / "_stdout"),
            "stderr": str(cwd / "_stderr"),
            "timeout": CASE_TIMEOUT,
        }
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the CLI test server died"
        reply = json.loads(line)
        reply["stdout"] = (cwd / "_stdout").read_bytes()
        reply["stderr"] = (cwd / "_stderr").read_text(errors="replace")
        return reply

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    X = np.random.default_rng(0).normal(size=(50, 2))
    return (
        emclust.GaussianMixture(2, random_state=0)
        .fit(X)
        .save(tmp_path_factory.mktemp("model") / "m.json")
    )


def check(reply, outputs, target):
    """The rule every command line is held to."""
    count(target)
    stderr = reply["stderr"]
    assert not reply["timed_out"], "hang"
    assert reply["signal"] is None, f"killed by signal {reply['signal']}"
    assert "Traceback" not in stderr, stderr
    # The command line's catch-all: an exception no check anticipated.
    assert "unexpected" not in stderr, stderr
    if reply["status"] == 0:
        return True
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("emclust") and "error" in lines[0], stderr
    for path in outputs:
        assert not Path(path).exists(), f"{path} left behind by a failed run"
    return False


# --- malformed data files ---------------------------------------------------------

CELLS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1e308",
            "1e-400",
            "9" * 400,
            "nan",
            "NaN",
            "inf",
            "-inf",
            "",
            "NA",
            "abc",
            "0x1p3",
            "1_000",
            " 1 ",
            '"1"',
            "١٢",
            "1,5",
            "true",
            "0",
            "1",
        ]
    ),
)


@st.composite
def csv_bytes(draw):
    sep = draw(st.sampled_from([",", ",", ";", "\t"]))
    n_cols = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.lists(CELLS, min_size=max(1, n_cols - 1), max_size=n_cols + 1),
            min_size=0,
            max_size=12,
        )
    )
    lines = []
    if draw(st.booleans()):
        lines.append(sep.join(f"c{j}" for j in range(n_cols)))
    lines += [sep.join(r) for r in rows]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    data = newline.join(lines).encode()
    if draw(st.booleans()):
        data += newline.encode()
    mutation = draw(st.sampled_from([None, None, "bom", "latin1", "nul", "cut"]))
    if mutation == "bom":
        data = b"\xef\xbb\xbf" + data
    elif mutation == "latin1" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + b"\xe9\xff" + data[at:]
    elif mutation == "nul" and data:
        data = data.replace(b",", b"\x00", 1)
    elif mutation == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    return data


@st.composite
def npy_bytes(draw):
    import io

    kind = draw(
        st.sampled_from(
            [
                "good",
                "1d",
                "3d",
                "empty",
                "complex",
                "object",
                "bool",
                "int",
                "truncated",
                "garbage-header",
                "datetime",
                "structured",
            ]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    a = rng.normal(size=(20, 2)) * 10.0 ** draw(st.integers(-300, 300))
    if kind == "1d":
        a = a[:, 0]
    elif kind == "3d":
        a = a.reshape(5, 4, 2)
    elif kind == "empty":
        a = a[:0]
    elif kind == "complex":
        a = a + 1j
    elif kind == "object":
        a = a.astype(object)
    elif kind == "bool":
        a = a > 0
    elif kind == "int":
        with np.errstate(all="ignore"):
            a = np.nan_to_num(a * 1e6).clip(-(2**62), 2**62).astype(np.int64)
    elif kind == "datetime":
        a = np.arange(40).astype("datetime64[s]").reshape(20, 2)
    elif kind == "structured":
        a = np.zeros(20, dtype=[("x", "f8"), ("y", "f8")])
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    data = buf.getvalue()
    if kind == "truncated":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "garbage-header":
        data = data[:10] + draw(st.binary(min_size=1, max_size=40)) + data[50:]
    return data


DATA = st.one_of(
    csv_bytes().map(lambda b: ("data.csv", b)),
    npy_bytes().map(lambda b: ("data.npy", b)),
    st.binary(max_size=300).map(lambda b: ("data.csv", b)),
    st.sampled_from([b"", b"a,b\n", b"\n\n\n", b"1\n", b"x\n1\n"]).map(
        lambda b: ("data.csv", b)
    ),
)

COMMANDS = st.sampled_from(
    [
        ["fit", "{data}", "-k", "2", "-q", "-o", "out.json", "--labels", "labels.csv"],
        ["fit", "{data}", "-k", "1", "--model", "kmeans", "-q", "-o", "out.json"],
        [
            "fit",
            "{data}",
            "-k",
            "2",
            "--model",
            "bernoulli",
            "-q",
            "--labels",
            "labels.csv",
        ],
        ["fit", "{data}", "-k", "2", "--model", "kmedians", "-q", "--json"],
        ["fit", "{data}", "-k", "2", "--missing", "keep", "-q", "-o", "out.json"],
        ["fit", "{data}", "-k", "2", "--drop-nan", "-q", "--labels", "labels.csv"],
        ["predict", "{model}", "{data}", "-o", "labels.csv"],
        ["predict", "{model}", "{data}", "--missing", "drop"],
        ["select", "{data}", "-k", "1..2", "-q"],
    ]
)


@fuzz_settings(40)
@given(DATA, COMMANDS)
def test_malformed_data(server, model_file, tmp_path_factory, data, command):
    name, content = data
    cwd = tmp_path_factory.mktemp("cli")
    (cwd / name).write_bytes(content)
    argv = [a.format(data=name, model=model_file) for a in command]
    outputs = [cwd / a for a in argv if a in ("out.json", "labels.csv")]
    reply = server.run(argv, cwd)
    if check(reply, outputs, f"CLI: malformed data ({command[0]})"):
        for path in outputs:  # complete outputs
            if path.suffix == ".json":
                emclust.load(path)
            else:
                assert path.read_bytes().endswith(b"\n")


# --- bad flags ----------------------------------------------------------------------

BAD_NUMBERS = st.sampled_from(
    [
        "0",
        "-1",
        "inf",
        "-inf",
        "nan",
        "1e400",
        "2147483648",
        "9" * 30,
        "abc",
        "",
        "1.5",
        "0x10",
        " 2",
    ]
)
FLAGS = st.sampled_from(
    [
        ("fit", "-k"),
        ("fit", "--n-init"),
        ("fit", "--max-iter"),
        ("fit", "--tol"),
        ("fit", "--reg-covar"),
        ("fit", "--threads"),
        ("fit", "--seed"),
        ("fit", "--columns"),
        ("select", "-k"),
        ("predict", "--threads"),
        ("predict", "--columns"),
        ("bench", "-n"),
        ("bench", "-d"),
        ("bench", "-k"),
        ("bench", "--threads"),
    ]
)


@fuzz_settings(30)
@given(FLAGS, BAD_NUMBERS)
def test_bad_flag_values(server, model_file, tmp_path_factory, flag, value):
    command, option = flag
    cwd = tmp_path_factory.mktemp("flags")
    np.savetxt(
        cwd / "data.csv", np.random.default_rng(0).normal(size=(30, 2)), delimiter=","
    )
    if command == "fit":
        argv = ["fit", "data.csv", "-k", "2", "-q", "-o", "out.json", option, value]
        if option == "-k":
            argv = ["fit", "data.csv", "-q", "-o", "out.json", "-k", value]
    elif command == "select":
        argv = ["select", "data.csv", "-q", "-k", value]
    elif command == "predict":
        argv = [
            "predict",
            str(model_file),
            "data.csv",
            "-o",
            "labels.csv",
            option,
            value,
        ]
    else:
        # bench with tiny sizes, so that a value that is accepted runs quickly.
        sizes = {"-n": "200", "-d": "2", "-k": "2", "--threads": "1"}
        sizes[option] = value
        argv = ["bench", "--repeats", "1", "--no-reference", "--no-sklearn", "-q"]
        for k, v in sizes.items():
            argv += [k, v]
    outputs = [cwd / a for a in argv if a in ("out.json", "labels.csv")]
    check(server.run(argv, cwd), outputs, f"CLI: bad flag values ({command})")


# --- unwritable outputs --------------------------------------------------------------


UNWRITABLE = [
    ("-o", "missing-dir/out.json"),
    ("-o", "."),
    ("-o", "/dev/full"),
    ("--labels", "/dev/full"),
    ("--labels", "missing-dir/labels.csv"),
    ("--labels", "."),
]


@pytest.mark.parametrize("option, target", UNWRITABLE)
def test_unwritable_outputs(server, tmp_path, option, target):
    np.savetxt(
        tmp_path / "data.csv",
        np.random.default_rng(0).normal(size=(30, 2)),
        delimiter=",",
    )
    argv = ["fit", "data.csv", "-k", "2", "-q", option, target]
    reply = server.run(argv, tmp_path)
    assert not check(reply, [tmp_path / "missing-dir"], "CLI: unwritable outputs")
    assert reply["status"] != 0


def test_predict_to_a_full_disk_on_stdout(model_file, tmp_path):
    """Labels to standard output on a full disk: a non-zero exit, not 0 with
    the labels lost (a real process: its standard output is /dev/full)."""
    count("CLI: unwritable outputs")
    np.savetxt(
        tmp_path / "data.csv",
        np.random.default_rng(0).normal(size=(3000, 2)),
        delimiter=",",
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(emclust.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-m", "emclust", "predict", str(model_file), "data.csv"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=CASE_TIMEOUT,
        )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
