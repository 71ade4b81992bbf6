"""Progress display of long fits on stderr (tqdm)."""

from __future__ import annotations

import sys


def wanted(quiet, progress):
    """Show progress? --quiet wins, --progress forces it, else only when
    stderr is a terminal (so logs and pipes stay clean)."""
    if quiet:
        return False
    if progress:
        return True
    return sys.stderr.isatty()


class FitProgress:
    """Context manager whose value is an EM ``callback`` (or None when
    disabled): it shows the iteration, the initialisation and the mean
    log-likelihood per sample with its last change. The display appears only
    on fits that last longer than ``delay`` seconds."""

    def __init__(self, enabled, n_init=1, desc="EM", delay=0.5, every=False):
        self.enabled = enabled
        self.n_init = n_init
        self.desc = desc
        self.delay = delay
        self.every = every  # redraw after every iteration (forced display)
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            desc=self.desc,
            unit="iter",
            file=sys.stderr,
            leave=False,
            delay=self.delay,
            mininterval=0 if self.every else 0.1,
        )
        return self.update

    def update(self, init, n_iter, lower_bound, change):
        init_part = f"init {init + 1}/{self.n_init}  " if self.n_init > 1 else ""
        self.bar.set_postfix_str(
            f"{init_part}iter {n_iter}  log-lik/row {lower_bound:.6g}  change {change:.2e}",
            refresh=False,
        )
        self.bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


class OnlineProgress:
    """Context manager whose value is the ``callback(epoch, batch,
    lower_bound, change)`` of a fit with batch_size (or None when disabled):
    a bar over the batches of each epoch, with the epoch and the batch's mean
    log-likelihood (before its step) in its caption."""

    def __init__(self, enabled, n_batches, max_epochs, delay=0.5, every=False):
        self.enabled = enabled
        self.n_batches = n_batches
        self.max_epochs = max_epochs
        self.delay = delay
        self.every = every
        self.bar = None
        self.epoch = 0

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            desc="online EM",
            total=self.n_batches,
            unit="batch",
            file=sys.stderr,
            leave=False,
            delay=self.delay,
            mininterval=0 if self.every else 0.1,
        )
        return self.update

    def update(self, epoch, batch, lower_bound, change):
        if epoch != self.epoch:
            self.epoch = epoch
            if epoch > 1:
                self.bar.reset(total=self.n_batches)
            self.bar.set_description(f"epoch {epoch}/{self.max_epochs}", refresh=False)
        self.bar.set_postfix_str(f"log-lik/row {lower_bound:.6g}", refresh=False)
        self.bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


def over(items, enabled, desc, total=None):
    """Iterate ``items`` with a progress bar on stderr when enabled."""
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False)
