"""Runs ``emclust`` command lines for tests/test_fuzz_cli.py, each in its own
forked process with a timeout, without paying Python's and scikit-learn's
import once per case.

Protocol: one JSON object per line on stdin, {"argv": [...], "cwd": dir,
"stdout": path, "stderr": path, "timeout": seconds}; one JSON object per
line on stdout, {"status": exit status or null, "timed_out": bool,
"signal": number or null}. The server itself imports emclust's command
line once and never fits anything (so no thread pool exists when it forks).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
import traceback

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # no BLAS threads across fork

from emclust.cli import main

# Status of a child whose command line raised out of main(): a traceback.
ESCAPED = 99


def _child(case):
    os.chdir(case["cwd"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    os.dup2(os.open(case["stdout"], flags, 0o644), 1)
    os.dup2(os.open(case["stderr"], flags, 0o644), 2)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False))
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    try:
        status = main(case["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status if isinstance(status, int) else 0)
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(ESCAPED)


def _run(case):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _child(case)
        finally:
            os._exit(ESCAPED)
    deadline = time.monotonic() + case.get("timeout", 60)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"status": None, "timed_out": True, "signal": None}
        time.sleep(0.005)
    if os.WIFSIGNALED(status):
        return {"status": None, "timed_out": False, "signal": os.WTERMSIG(status)}
    return {"status": os.WEXITSTATUS(status), "timed_out": False, "signal": None}


def serve():
    for line in sys.stdin:
        reply = _run(json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
