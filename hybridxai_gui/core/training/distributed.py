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
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ..errors import HybridXAIError


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


def launched_world() -> World:
    """The world torchrun (or another launcher) set in the environment; a single process when none."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        return SINGLE
    return World(rank, size, local) if size > 1 else SINGLE


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
    dist.init_process_group(backend_for(device))


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


__all__ = ["World", "SINGLE", "launched_world", "init", "shutdown", "device_for", "shard", "all_sum", "barrier",
           "DistributedBatchNorm1d", "synchronise_batch_norm", "backend_for"]
