"""Grad-CAM on the last CNN block of the hybrid model.

heatmap = ReLU(Σ_k mean_t(∂ logit_c / ∂A_k) · A_k) on the block's output A (B, K, L), then
upsampled linearly to the input length F. Equal to captum's
`LayerGradCam(..., relu_attributions=True)` on the same layer (tested to 1e-6).

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

NO_EVIDENCE = "no positive evidence for this class"


@dataclass
class GradCamResult:
    raw: np.ndarray  # (B, L) ReLU'd map on the layer's positions, unnormalised
    heatmap: np.ndarray  # (B, F) upsampled to the input length, normalised to [0, 1] where max > 0
    target: np.ndarray  # (B,) class index explained per row
    predicted: np.ndarray  # (B,) argmax of the logits
    logits: np.ndarray  # (B, C)
    no_evidence: np.ndarray  # (B,) bool: all-zero map (nothing in the layer speaks for the class)
    class_names: list[str] | None = None

    def message(self, i: int = 0) -> str:
        name = self.class_names[self.target[i]] if self.class_names else str(self.target[i])
        return f"Grad-CAM for class {name}: {NO_EVIDENCE}" if self.no_evidence[i] else f"Grad-CAM for class {name}"


class GradCAM:
    """`GradCAM(model, layer=None).attribute(x, target=None)`; layer defaults to model.gradcam_layer."""

    def __init__(self, model: nn.Module, layer: nn.Module | None = None, class_names: Sequence[str] | None = None):
        self.model = model
        self.layer = layer if layer is not None else model.gradcam_layer
        self.class_names = list(class_names) if class_names is not None else None

    def attribute(self, x, target: int | Sequence[int] | np.ndarray | None = None) -> GradCamResult:
        """x: (B, F) or (F,) scaled rows. target: None = predicted class, an int, or one per row."""
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if x.ndim == 1:
            x = x[None, :]
        n_rows, n_features = x.shape
        captured: dict[str, torch.Tensor] = {}

        def hook(_module, _inputs, output):
            captured["A"] = output

        was_training = self.model.training
        handle = self.layer.register_forward_hook(hook)
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
                A = captured["A"]  # (B, K, L)
                score = logits.gather(1, tgt[:, None]).sum()
                (grad,) = torch.autograd.grad(score, A)  # (B, K, L)
            weights = grad.mean(dim=2, keepdim=True)  # (B, K, 1)
            cam = torch.relu((weights * A.detach()).sum(dim=1))  # (B, L)
        finally:
            handle.remove()
            self.model.train(was_training)

        up = F.interpolate(cam[:, None, :], size=n_features, mode="linear", align_corners=False)[:, 0]  # (B, F)
        peak = up.amax(dim=1, keepdim=True)  # (B, 1)
        no_evidence = (cam.amax(dim=1) <= 0)
        heat = torch.where(peak > 0, up / torch.where(peak > 0, peak, torch.ones_like(peak)), torch.zeros_like(up))
        return GradCamResult(
            raw=cam.double().numpy(), heatmap=heat.double().numpy(), target=tgt.numpy().astype(np.int64),
            predicted=logits.detach().argmax(dim=1).numpy(), logits=logits.detach().double().numpy(),
            no_evidence=no_evidence.numpy(), class_names=self.class_names)
