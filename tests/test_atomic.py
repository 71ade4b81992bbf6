"""Atomic file writes (emclust._atomic) and model files saved through them."""

import os
import stat
from pathlib import Path

import emclust
import numpy as np
import pytest
from emclust._atomic import write_atomic


def _leftovers(directory):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.startswith("."))


def test_writes_a_new_file_with_the_umask_mode(tmp_path):
    target = tmp_path / "out.txt"
    assert write_atomic(target, "héllo\n") == target
    assert target.read_bytes() == "héllo\n".encode()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert _leftovers(tmp_path) == []


def test_replaces_a_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "secret.json"
    target.write_text("old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real.name)
    write_atomic(link, "new")
    assert link.is_symlink(), "the link itself must stay"
    assert real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("missing.txt")
    write_atomic(link, "x")
    assert link.is_symlink() and (tmp_path / "missing.txt").read_text() == "x"


def test_a_250_character_name_works(tmp_path):
    target = tmp_path / ("m" * 245 + ".json")
    assert len(target.name) == 250
    write_atomic(target, "{}")
    assert target.read_text() == "{}"
    assert _leftovers(tmp_path) == []


def test_refuses_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(tmp_path, "x")
    assert info.value.filename == str(tmp_path)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_refuses_a_device_and_leaves_it_alone(tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    for target in ("/dev/null", link):
        with pytest.raises(OSError, match="character device, not a regular file") as e:
            write_atomic(target, "x")
        assert e.value.filename == str(target)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _leftovers(tmp_path) == []


def test_refuses_a_named_pipe(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="named pipe"):
        write_atomic(fifo, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    target.write_text("old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new" * 1000)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def record(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    write_atomic(tmp_path / "a.txt", "x")
    assert synced == [False, True]  # the file, then its directory


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).normal(size=(60, 2))
    return emclust.GaussianMixture(2, random_state=0).fit(X)


def test_save_goes_through_write_atomic(fitted, tmp_path):
    real = tmp_path / "model.json"
    real.write_text("{}")
    real.chmod(0o600)
    link = tmp_path / "current.json"
    link.symlink_to(real.name)
    emclust.save(fitted, link)
    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    loaded = emclust.load(link)
    np.testing.assert_array_equal(loaded.means_, fitted.means_)
    long_name = tmp_path / ("x" * 250)
    fitted.save(long_name)
    assert emclust.load(long_name).n_iter_ == fitted.n_iter_
    with pytest.raises(IsADirectoryError):
        fitted.save(tmp_path)
    with pytest.raises(OSError, match="not a regular file"):
        fitted.save("/dev/null")
