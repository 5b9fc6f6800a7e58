"""Grad-CAM on the last CNN block of the hybrid model.

heatmap = ReLU(Σ_k mean_t(∂ logit_c / ∂A_k) · A_k) on the block's output A (B, K, L), then
upsampled linearly to the series length T (the row's F values are C channels × T steps; T = F for a
table or a single series). Equal to captum's `LayerGradCam(..., relu_attributions=True)` on the same
layer (tested to 1e-6).

The map is over time: the first convolution mixes the channels, so Grad-CAM gives every channel the
same weight at a step (`per_feature()` repeats the map over the channels) and cannot rank channels.

Why the gradient comes from `torch.autograd.grad` on the captured activation rather than from
`backward()` plus a tensor hook: it touches no parameter's `.grad`, so explaining a model never
disturbs a training run that shares it. The forward hook is registered in `try` and removed in
`finally`, even when the forward pass raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .groups import per_feature_from_time, token_positions

NO_EVIDENCE = "no positive evidence for this class"


@dataclass
class GradCamResult:
    raw: np.ndarray  # (B, L) ReLU'd map on the layer's positions, unnormalised
    heatmap: np.ndarray  # (B, T) upsampled to the series length, normalised to [0, 1] where max > 0
    target: np.ndarray  # (B,) class index explained per row
    predicted: np.ndarray  # (B,) argmax of the logits
    logits: np.ndarray  # (B, C)
    no_evidence: np.ndarray  # (B,) bool: all-zero map (nothing in the layer speaks for the class)
    class_names: list[str] | None = None
    n_channels: int = 1  # the row holds n_channels × T values, channel-major

    def per_feature(self) -> np.ndarray:
        """(B, F) one value per input feature: the time map repeated over the channels."""
        return per_feature_from_time(self.heatmap, self.n_channels)

    def message(self, i: int = 0) -> str:
        name = self.class_names[self.target[i]] if self.class_names else str(self.target[i])
        return f"Grad-CAM for class {name}: {NO_EVIDENCE}" if self.no_evidence[i] else f"Grad-CAM for class {name}"


class GradCAM:
    """`GradCAM(model, layer=None).attribute(x, target=None)`; layer defaults to model.gradcam_layer."""

    def __init__(self, model: nn.Module, layer: nn.Module | None = None, class_names: Sequence[str] | None = None):
        self.model = model
        # An ensemble (model.EnsembleNet): the ReLU'd map of every member on its own layer, averaged; the class
        # explained is the ensemble's (its averaged logits).
        members = getattr(model, "members", None)
        self.layers = [m.gradcam_layer for m in members] if layer is None and members is not None else [
            layer if layer is not None else model.gradcam_layer]
        self.layer = self.layers[0]
        self.class_names = list(class_names) if class_names is not None else None

    def attribute(self, x, target: int | Sequence[int] | np.ndarray | None = None) -> GradCamResult:
        """x: (B, F) or (F,) scaled rows. target: None = predicted class, an int, or one per row."""
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if x.ndim == 1:
            x = x[None, :]
        n_rows, n_features = x.shape
        captured: dict[int, torch.Tensor] = {}

        def hook_for(index: int):
            def hook(_module, _inputs, output):
                captured[index] = output
            return hook

        was_training = self.model.training
        handles = [layer.register_forward_hook(hook_for(i)) for i, layer in enumerate(self.layers)]
        try:
            self.model.eval()
            with torch.enable_grad():
                x_in = x.clone().requires_grad_(True)  # keeps the graph alive even with frozen weights
                out = self.model(x_in)
                logits = out[0] if isinstance(out, tuple) else out  # (B, C)
                if target is None:
                    tgt = logits.argmax(dim=1)
                else:
                    tgt = torch.as_tensor(np.broadcast_to(np.asarray(target, dtype=np.int64), (n_rows,)).copy())
                    if (tgt < 0).any() or (tgt >= logits.shape[1]).any():
                        raise ValueError(f"Grad-CAM target {target} outside 0..{logits.shape[1] - 1}")
                maps = [captured[i] for i in range(len(self.layers))]  # each (B, K, L)
                score = logits.gather(1, tgt[:, None]).sum()
                grads = torch.autograd.grad(score, maps)  # each (B, K, L)
            cams = [torch.relu((g.mean(dim=2, keepdim=True) * A.detach()).sum(dim=1)) for g, A in zip(grads, maps)]
            # The ensemble's logit is the members' mean, so its gradient is 1/N of each member's: the sum of these
            # maps is the mean of the members' own Grad-CAM maps (ReLU commutes with a positive scale).
            cam = torch.stack(cams).sum(dim=0)  # (B, L)
        finally:
            for handle in handles:
                handle.remove()
            self.model.train(was_training)

        n_channels = int(getattr(self.model, "n_channels", 1))
        length = int(getattr(self.model, "length", n_features // n_channels))  # T
        spans = getattr(self.model, "token_spans", None)
        if spans is not None:  # column tokens: each column's value on each of its features
            up = cam[:, torch.as_tensor(token_positions(spans))]  # (B, F)
        else:
            up = F.interpolate(cam[:, None, :], size=length, mode="linear", align_corners=False)[:, 0]  # (B, T)
        peak = up.amax(dim=1, keepdim=True)  # (B, 1)
        no_evidence = (cam.amax(dim=1) <= 0)
        heat = torch.where(peak > 0, up / torch.where(peak > 0, peak, torch.ones_like(peak)), torch.zeros_like(up))
        return GradCamResult(
            raw=cam.double().numpy(), heatmap=heat.double().numpy(), target=tgt.numpy().astype(np.int64),
            predicted=logits.detach().argmax(dim=1).numpy(), logits=logits.detach().double().numpy(),
            no_evidence=no_evidence.numpy(), class_names=self.class_names, n_channels=n_channels)
