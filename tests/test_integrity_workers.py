"""Issue 22 §12, §13: distributed-training variables left in the environment (or wrong) are refused naming
them, the rendezvous of workers started without torchrun waits a bounded time, and `--nproc` is capped at the
machine's cores."""

from __future__ import annotations

import socket

import pytest
import torch

from hybridxai_gui.cli import main
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.training import distributed
from hybridxai_gui.core.training.distributed import World, launched_world

VARIABLES = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID",
             "HYBRIDXAI_RENDEZVOUS_SECONDS")


@pytest.fixture
def env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))

    return set_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("values, message", [
    ({"WORLD_SIZE": "abc"}, "WORLD_SIZE to 'abc', which is not a whole number"),
    ({"WORLD_SIZE": "0"}, "WORLD_SIZE to 0"),
    ({"RANK": "1"}, "RANK 1, which is not one of the WORLD_SIZE 1 workers"),
    ({"WORLD_SIZE": "2", "RANK": "2", "MASTER_ADDR": "x", "MASTER_PORT": "1"}, "RANK 2"),
    ({"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "-1", "MASTER_ADDR": "x", "MASTER_PORT": "1"}, "LOCAL_RANK -1"),
    ({"WORLD_SIZE": "2", "RANK": "0"}, "no MASTER_ADDR"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1"}, "no MASTER_PORT"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "70000"}, "no MASTER_PORT"),
])
def test_variables_that_describe_no_world_are_refused_naming_them(env, values, message):
    env(**values)
    with pytest.raises(HybridXAIError) as caught:
        launched_world()
    text = str(caught.value)
    assert message in text and "unset WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT" in text, text


def test_a_valid_world_and_no_variables_are_read_as_before(env):
    assert launched_world() == World()
    env(WORLD_SIZE=1, RANK=0)
    assert launched_world() == World()
    env(WORLD_SIZE=4, RANK=3, LOCAL_RANK=1, MASTER_ADDR="127.0.0.1", MASTER_PORT=29500)
    assert launched_world() == World(3, 4, 1)


@pytest.mark.parametrize("rank", [0, 1])
def test_a_rendezvous_without_the_other_workers_ends_within_its_bound(env, rank):
    """Rank 0 serves the store and nobody joins; rank 1 finds nobody serving it: each ends with a message
    naming the variables after HYBRIDXAI_RENDEZVOUS_SECONDS, not after torch's half hour."""
    env(WORLD_SIZE=2, RANK=rank, MASTER_ADDR="127.0.0.1", MASTER_PORT=_free_port(), HYBRIDXAI_RENDEZVOUS_SECONDS=1)
    with pytest.raises(HybridXAIError, match=r"did not bring the 2 workers together within 1 s.*MASTER_PORT"):
        distributed.init(launched_world(), torch.device("cpu"))
    assert not torch.distributed.is_initialized()


def test_train_with_a_stale_rank_says_so_and_trains_nothing(env, tmp_path, capsys):
    from helpers import write_wine_csv

    env(RANK=1)
    csv = write_wine_csv(tmp_path)
    assert main(["train", str(csv), "--epochs", "1", "--quiet", "--out", str(tmp_path / "m.pth")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "RANK 1" in err, err  # said, although this process's RANK is not 0
    assert not (tmp_path / "m.pth").exists()


def test_more_workers_than_cores_are_refused(env, tmp_path, capsys, monkeypatch):
    from hybridxai_gui import launch

    from helpers import write_wine_csv

    started = []
    monkeypatch.setattr(launch, "run_workers", lambda n, command: started.append(n) or 0)
    csv = write_wine_csv(tmp_path)
    assert main(["train", str(csv), "--nproc", "10000", "--out", str(tmp_path / "m.pth")]) == 2
    err = capsys.readouterr().err
    assert "--nproc 10000" in err and "or fewer" in err and started == [], err
