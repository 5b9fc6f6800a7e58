"""Starting N local training workers with torchrun (`python -m torch.distributed.run`) for `train --nproc N`.

The workers run the same `hybridxai train` command; torchrun sets their ranks, and rank 0 prints and writes
the files. What the user sees stays one command's output: rank 0's lines, our own one-line errors and
notes, and the exit code of the first worker that failed (2 for bad input); torchrun's own banners and
failure reports are left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

OWN_LINES = re.compile(r"^(error|note|warning|internal error|hybridxai):")
EXIT_CODE = re.compile(r"exitcode\s*:\s*(-?\d+)")


def run_workers(nproc: int, command: list[str]) -> int:
    """Run `hybridxai <command>` in `nproc` local worker processes; the exit code of the run."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # torchrun's default, said here so it does not print a banner
    env.setdefault("USE_LIBUV", "0")  # Windows: torch >= 2.4's TCPStore needs it
    argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "hybridxai_gui.cli", *without_nproc(command)]
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
    codes: list[int] = []
    for line in process.stderr:
        if OWN_LINES.match(line):
            sys.stderr.write(line)
        found = EXIT_CODE.search(line)
        if found:
            codes.append(int(found.group(1)))
    process.wait()
    if process.returncode == 0:
        return 0
    return next((c for c in codes if c > 0), process.returncode or 1)


def without_nproc(command: list[str]) -> list[str]:
    """The command without its --nproc option: the workers take their number from torchrun (whose own
    parser would also read `--nproc` as an abbreviation of its --nproc-per-node)."""
    out, skip = [], False
    for token in command:
        if skip:
            skip = False
        elif token == "--nproc":
            skip = True
        elif not token.startswith("--nproc="):
            out.append(token)
    return out
