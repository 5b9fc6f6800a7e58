"""Training on several processes or GPUs with PyTorch's own engine: torch.distributed + DistributedDataParallel.

`hybridxai train … --nproc N` starts N local workers through torchrun (`torch.distributed.run`); the same
command run under `torchrun --nnodes … --nproc-per-node …` spans machines. Each worker reads and splits the
data identically (same seed), draws the same shuffle and the same augmentation noise, and trains on its
slice of every global batch; gradients are averaged by DDP. Each worker's loss is scaled so that the average
is the loss of the whole global batch, and BatchNorm's statistics are those of the whole global batch
(`DistributedBatchNorm1d`: torch's SyncBatchNorm only runs on GPUs), so the same seed gives the same model
whatever N, up to the order of floating-point sums, where the maths allows: dropout draws its masks per
worker (the `default` preset's dropout 0.1 gives a statistically equivalent, not identical, model), and
class weights are exact because each worker knows the whole batch's labels. Rank 0 alone writes files.

Backends: gloo on CPUs (and Windows), NCCL on CUDA GPUs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ..errors import HybridXAIError, setting


@dataclass(frozen=True)
class World:
    """Where this process stands among the workers of one training run."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


SINGLE = World()


ENV_VARS = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
RENDEZVOUS_SECONDS = 60.0  # how long a worker started without torchrun waits for the others (HYBRIDXAI_RENDEZVOUS_SECONDS)
_RUN_SECONDS = 30 * 60  # torch's own timeout for the store once every worker has joined


def _env_error(problem: str) -> HybridXAIError:
    shown = ", ".join(f"{k}={os.environ[k]!r:.40}" for k in ENV_VARS if k in os.environ) or "none of them"
    return HybridXAIError(
        f"The environment's distributed-training variables ({shown}) {problem}. They may be left from another run: "
        f"unset WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT to train in one process, or start the "
        f"workers with torchrun or {setting('nproc')}.")


def _integer(name: str, default: int | None) -> int | None:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return int(text)
    except ValueError:
        raise _env_error(f"set {name} to {text!r:.40}, which is not a whole number") from None


def launched_world() -> World:
    """The world torchrun (or another launcher) set in the environment; a single process when none. Values that
    cannot describe a world (not numbers, a rank outside it, no rendezvous address) are a HybridXAIError naming
    the variables, never a silent single process or torch's own error."""
    size = _integer("WORLD_SIZE", 1)
    rank = _integer("RANK", 0)
    local = _integer("LOCAL_RANK", rank)
    if size < 1:
        raise _env_error(f"set WORLD_SIZE to {size}; it counts the workers, at least 1")
    if not 0 <= rank < size:
        raise _env_error(f"give RANK {rank}, which is not one of the WORLD_SIZE {size} workers (0 to {size - 1})")
    if not 0 <= local < size:
        raise _env_error(f"give LOCAL_RANK {local}, which is not one of the WORLD_SIZE {size} workers")
    if size == 1:
        return SINGLE
    if not os.environ.get("MASTER_ADDR", "").strip():
        raise _env_error("set WORLD_SIZE but no MASTER_ADDR: the workers have no address to meet at")
    port = _integer("MASTER_PORT", None)
    if port is None or not 1 <= port <= 65_535:
        raise _env_error("set WORLD_SIZE but no MASTER_PORT from 1 to 65535: the workers have no port to meet at")
    return World(rank, size, local)


def rendezvous_seconds() -> float:
    text = os.environ.get("HYBRIDXAI_RENDEZVOUS_SECONDS")
    try:
        seconds = float(text) if text else RENDEZVOUS_SECONDS
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e6:
        raise HybridXAIError(f"HYBRIDXAI_RENDEZVOUS_SECONDS is {text!r:.40}: give the seconds a worker waits for the "
                             "others, e.g. 60.")
    return seconds


@contextmanager
def _native_log_silenced() -> Iterator[None]:
    """File descriptor 2 pointed at the null device for a while: what native code writes there is dropped (the
    failure itself comes back as an exception, which the caller words)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _rendezvous(world: World):
    """The store the workers meet at, joined within rendezvous_seconds(): the first worker serves it at
    MASTER_ADDR:MASTER_PORT and waits for the others, the others connect to it. Stale or wrong variables end
    here with a message naming them, instead of torch's half-hour wait."""
    from datetime import timedelta

    seconds = rendezvous_seconds()
    try:
        with _native_log_silenced():  # torch's C++ store logs every retry with a stack trace on stderr
            store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world.size,
                                  world.rank == 0, timeout=timedelta(seconds=seconds), wait_for_workers=True)
    except (RuntimeError, OSError, ValueError) as exc:
        what = " ".join(str(exc).split())[:160]
        raise _env_error(f"did not bring the {world.size} workers together within {seconds:g} s "
                         f"(HYBRIDXAI_RENDEZVOUS_SECONDS; torch: {what})") from None
    store.set_timeout(timedelta(seconds=_RUN_SECONDS))
    return store


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" and dist.is_nccl_available() else "gloo"


def init(world: World, device: torch.device) -> None:
    """Join the process group (once per process)."""
    if not world.distributed or dist.is_initialized():
        return
    if not dist.is_available():
        raise HybridXAIError("This PyTorch build has no torch.distributed: train with one process.")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if os.environ.get("TORCHELASTIC_RUN_ID"):  # torchrun's agent met every worker before starting them
        dist.init_process_group(backend_for(device))
    else:
        dist.init_process_group(backend_for(device), store=_rendezvous(world), rank=world.rank,
                                world_size=world.size)


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def device_for(world: World, device: torch.device) -> torch.device:
    """One GPU per local worker; CPU workers share the CPU."""
    if world.distributed and device.type == "cuda":
        return torch.device("cuda", world.local_rank % max(1, torch.cuda.device_count()))
    return device


def shard(indices: torch.Tensor, world: World) -> torch.Tensor:
    """This worker's rows of a global batch: every size-th row from its rank (balanced to within one)."""
    return indices[world.rank::world.size] if world.distributed else indices


def all_sum(values: torch.Tensor, world: World) -> torch.Tensor:
    """Sum a tensor over the workers (a no-op for one process)."""
    if world.distributed:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


class DistributedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d whose training statistics are those of the whole global batch across the workers.

    The per-channel sums, sums of squares and counts are added over the workers with a differentiable
    all-reduce, so the forward pass and the gradients equal one process seeing the whole batch. Evaluation
    mode and a single process behave exactly as BatchNorm1d.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        channels = x.shape[1]
        dims = [0] + list(range(2, x.dim()))  # (B, C, L): statistics per channel
        count = torch.tensor([float(x.numel() // channels)], device=x.device, dtype=x.dtype)
        local = torch.cat([x.sum(dim=dims), (x * x).sum(dim=dims), count])  # (2C + 1,)
        total = all_reduce(local)
        n = total[-1]
        mean = total[:channels] / n
        var = (total[channels:2 * channels] / n - mean * mean).clamp_min(0.0)
        if self.track_running_stats:
            with torch.no_grad():
                momentum = 0.1 if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
                unbiased = var.detach() * n / torch.clamp(n - 1, min=1.0)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
                self.num_batches_tracked.add_(1)
        shape = [1, channels] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


def synchronise_batch_norm(module: nn.Module) -> nn.Module:
    """Every BatchNorm1d of `module` as a DistributedBatchNorm1d (same parameters and buffers, same names)."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm1d:
            replacement = DistributedBatchNorm1d(child.num_features, child.eps, child.momentum, child.affine,
                                                 child.track_running_stats, device=child.weight.device)
            replacement.load_state_dict(child.state_dict())
            setattr(module, name, replacement)
        else:
            synchronise_batch_norm(child)
    return module


def available_cpus() -> int:
    """CPU cores this process may run on (its affinity where the system says, else every core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


__all__ = ["World", "SINGLE", "ENV_VARS", "available_cpus", "rendezvous_seconds", "launched_world", "init",
           "shutdown", "device_for", "shard", "all_sum", "barrier", "DistributedBatchNorm1d", "synchronise_batch_norm",
           "backend_for"]
