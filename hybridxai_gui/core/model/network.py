"""The hybrid CNN + BiLSTM + multi-head self-attention classifier.

A feature row `[B, F]` is read as a one-channel sequence of length F; a row of a C-channel series holds
its channels one after the other (`[B, C * T]`, channel-major) and is read as C channels of T steps. Flat
rows keep every other part of the product (scaling, SHAP, checkpoints) working on plain 2-D arrays. Two
Conv1d blocks
(Conv -> ReLU -> BatchNorm -> MaxPool 2) extract local patterns, a 2-layer BiLSTM reads the
sequence both ways, self-attention mixes positions, and the mean over time feeds a linear layer.

Pooling rule (documented, tested for F = 1 ... 150): a block pools by 2 only while the pooled
sequence stays at least 2 long. The seed design pooled unconditionally, which crashes at F = 2 or 3
and leaves a length-1 sequence (a 1x1 attention map that is always 1.0) for F = 4 ... 7.

Tables (ModelConfig.tokens, chosen on real tables: benchmarks/RECIPE_RESEARCH.md, "Tables"): the columns of a
table have no order and no common scale, so instead of reading the row's values as one channel, each column
becomes a token of `cnn_channels` numbers (ColumnTokens: its own learned map of its value; a text column's one-hot
parts together, which is a learned embedding of its values), and the same CNN -> BiLSTM -> attention reads the
sequence of column tokens, without pooling (neighbouring columns are not neighbours). Series never use tokens.
"""

from __future__ import annotations

from dataclasses import replace
from statistics import NormalDist

import torch
from torch import nn

from ..config import ModelConfig

MIN_POOLED_LENGTH = 2


def pool_size(length: int, max_steps: int = 0, n_blocks: int = 2) -> int:
    """MaxPool size of each conv block: 2, or with max_steps > 0 the smallest k >= 2 that leaves the
    sequence after n_blocks pools at most max_steps long (so the BiLSTM reads a bounded sequence)."""
    k = 2
    if max_steps > 0:
        while True:
            pooled = length
            for _ in range(n_blocks):
                pooled //= k
            if pooled <= max_steps or pooled < MIN_POOLED_LENGTH:
                break
            k += 1
    return k


def block_lengths(n_features: int, n_blocks: int = 2, max_steps: int = 0) -> list[tuple[int, int]]:
    """For each conv block: (output length, pool size or 0 when it does not pool) under the pool-while-≥2
    rule; a truthy pool size reads as "pooled"."""
    out = []
    length = n_features
    k = pool_size(n_features, max_steps, n_blocks)
    for _ in range(n_blocks):
        pool = length // k >= MIN_POOLED_LENGTH
        if pool:
            length //= k
        out.append((length, k if pool else 0))
    return out


def sequence_length(n_features: int, max_steps: int = 0) -> int:
    """Length L of the sequence the LSTM and attention see."""
    return block_lengths(n_features, max_steps=max_steps)[-1][0]


def position_spans(n_features: int, max_steps: int = 0) -> list[tuple[int, int]]:
    """For each of the L positions after the CNN: the [start, end) input features it stands for.

    MaxPool(k) with floor drops trailing features from the pooled grid; for labelling we attach
    them to the last position so that every input feature belongs to some position.
    """
    spans = [(i, i + 1) for i in range(n_features)]
    for _length, k in block_lengths(n_features, max_steps=max_steps):
        if k:
            merged = [(spans[k * i][0], spans[k * i + k - 1][1]) for i in range(len(spans) // k)]
            if len(spans) % k:
                merged[-1] = (merged[-1][0], spans[-1][1])
            spans = merged
    return spans


class ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel_size: int, pool: int):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel_size, padding="same")
        self.relu = nn.ReLU()
        self.norm = nn.BatchNorm1d(c_out)
        self.pool = nn.MaxPool1d(pool) if pool else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.norm(self.relu(self.conv(x))))


class InceptionModule(nn.Module):
    """Multi-scale convolution (InceptionTime's module): a 1x1 bottleneck, then kernels k, 2k+1 and 4k+1 side by
    side and a max-pool branch, concatenated to c_out channels; the caller adds ReLU and BatchNorm."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int):
        super().__init__()
        branch = max(1, c_out // 4)
        self.bottleneck = nn.Conv1d(c_in, branch, 1) if c_in > 1 else nn.Identity()
        width = branch if c_in > 1 else c_in
        self.convs = nn.ModuleList([nn.Conv1d(width, branch, k, padding="same")
                                    for k in (kernel_size, 2 * kernel_size + 1, 4 * kernel_size + 1)])
        self.max_branch = nn.Sequential(nn.MaxPool1d(3, stride=1, padding=1), nn.Conv1d(c_in, c_out - 3 * branch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bottleneck(x)  # (B, branch, T)
        return torch.cat([conv(b) for conv in self.convs] + [self.max_branch(x)], dim=1)  # (B, c_out, T)


class ResidualInception(nn.Module):
    """Two inception modules (c_in -> c_mid -> c_out), the input added back through a 1x1 convolution before the
    last ReLU (InceptionTime's residual block, at full resolution)."""

    def __init__(self, c_in: int, c_mid: int, c_out: int, kernel_size: int):
        super().__init__()
        self.first = InceptionModule(c_in, c_mid, kernel_size)
        self.norm1 = nn.BatchNorm1d(c_mid)
        self.second = InceptionModule(c_mid, c_out, kernel_size)
        self.norm2 = nn.BatchNorm1d(c_out)
        self.shortcut = nn.Sequential(nn.Conv1d(c_in, c_out, 1), nn.BatchNorm1d(c_out))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.norm1(self.first(x)))  # (B, c_mid, T)
        h = self.norm2(self.second(h))  # (B, c_out, T)
        return self.relu(h + self.shortcut(x))  # (B, c_out, T)


class LatePool(nn.Module):
    """The two blocks' max-pools applied after both convolutions (front_end 'late' / 'inception'): the same
    positions as pooling inside each block, but the convolutions see the series at full resolution."""

    def __init__(self, pools: tuple[int, int]):
        super().__init__()
        self.pools = nn.Sequential(*[nn.MaxPool1d(k) for k in pools if k])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pools(x)


class ColumnTokens(nn.Module):
    """A table's row (B, F) as one token per column (B, d, G): feature i of column j adds its own learned map of
    its value to the column's learned bias, so a numeric column becomes x · w_j + b_j and a text column's one-hot
    parts a learned embedding of its values. Numbers can be read richer (Gorishniy et al., 2022, "On embeddings
    for numerical features"): periodic: `k` sines and cosines of learned frequencies, mapped by the column's own
    linear layer and a ReLU ("PLR"), in place of the linear map; bins: beside the linear map, a piecewise-linear
    encoding over `k` bins whose edges are the training rows' quantiles ("PLE", fitted once by fit_edges and kept
    in the model file), so a skewed column is read in its own ranks. Text parts stay linear."""

    def __init__(self, sizes: tuple[int, ...], d: int, kind: str = "linear", k: int = 8, sigma: float = 1.0):
        super().__init__()
        sizes = [int(s) for s in sizes]
        owner = [j for j, size in enumerate(sizes) for _ in range(size)]  # the column of each feature
        numeric = [i for i, j in enumerate(owner) if sizes[j] == 1 and kind in ("periodic", "bins")]
        linear = [i for i, j in enumerate(owner) if kind != "periodic" or sizes[j] != 1]
        # Index buffers are rebuilt from the config (never read from a file), in plain Python: a network built on
        # the meta device (checkpoint_limits) has no values to count.
        self.register_buffer("owner", torch.tensor(owner, dtype=torch.long), persistent=False)
        self.register_buffer("numeric", torch.tensor(numeric, dtype=torch.long), persistent=False)
        self.register_buffer("linear", torch.tensor(linear, dtype=torch.long), persistent=False)
        self.n_columns, self.d, self.kind = len(sizes), d, kind
        bound = d ** -0.5
        self.weight = nn.Parameter(torch.empty(len(linear), d).uniform_(-bound, bound))  # (F_lin, d)
        self.bias = nn.Parameter(torch.empty(len(sizes), d).uniform_(-bound, bound))  # (G, d)
        if numeric and kind == "periodic":
            self.frequencies = nn.Parameter(torch.empty(len(numeric), k).normal_(0.0, sigma))  # (F_p, k)
            self.periodic_weight = nn.Parameter(
                torch.empty(len(numeric), 2 * k, d).uniform_(-(2 * k) ** -0.5, (2 * k) ** -0.5))  # (F_p, 2k, d)
        if numeric and kind == "bins":
            # standard-normal quantiles until fit_edges sees the training rows (the rows are z-scored)
            normal = NormalDist()
            edges = [[normal.inv_cdf(0.02 + 0.96 * t / k) for t in range(k + 1)]] * len(numeric)
            self.register_buffer("edges", torch.tensor(edges))  # (F_p, k + 1), saved with the weights
            self.bin_weight = nn.Parameter(torch.empty(len(numeric), k, d).uniform_(-k ** -0.5, k ** -0.5))
        starts = [sum(sizes[:j]) for j in range(len(sizes))]
        self.spans = [(a, a + size) for a, size in zip(starts, sizes)]  # [start, end) features of each column

    @torch.no_grad()
    def fit_edges(self, X: torch.Tensor) -> None:
        """bins: the edges of each number's bins at its training rows' quantiles (ties spread by a hair, so a
        column of few values keeps bins of positive width)."""
        if self.kind != "bins" or not len(self.numeric) or len(X) < 2:
            return
        k = self.edges.shape[1] - 1
        q = torch.quantile(X[:, self.numeric].float(), torch.linspace(0, 1, k + 1, device=X.device), dim=0).T
        step = 1e-3 * (q[:, -1:] - q[:, :1]).clamp_min(1e-3)  # (F_p, 1)
        for t in range(1, k + 1):
            q[:, t] = torch.maximum(q[:, t], q[:, t - 1] + step[:, 0])
        self.edges.copy_(q)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        tokens = self.bias.expand(B, -1, -1).clone()  # (B, G, d)
        if len(self.linear):
            part = x[:, self.linear, None] * self.weight  # (B, F_lin, d)
            tokens = tokens.index_add(1, self.owner[self.linear], part)
        if len(self.numeric) and self.kind == "periodic":
            angles = 2 * torch.pi * x[:, self.numeric, None] * self.frequencies  # (B, F_p, k)
            features = torch.cat([torch.sin(angles), torch.cos(angles)], dim=2)  # (B, F_p, 2k)
            part = torch.relu(torch.einsum("bfk,fkd->bfd", features, self.periodic_weight))  # (B, F_p, d)
            tokens = tokens.index_add(1, self.owner[self.numeric], part)
        elif len(self.numeric):
            left, right = self.edges[:, :-1], self.edges[:, 1:]  # (F_p, k)
            fill = ((x[:, self.numeric, None] - left) / (right - left)).clamp(0.0, 1.0)  # (B, F_p, k): PLE
            part = torch.einsum("bfk,fkd->bfd", fill, self.bin_weight)  # (B, F_p, d)
            tokens = tokens.index_add(1, self.owner[self.numeric], part)
        return tokens.transpose(1, 2)  # (B, d, G)


class HybridCNNLSTMAttention(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        c = config.cnn_channels
        self.n_channels = config.n_channels
        self.length = config.n_features // config.n_channels  # T: time steps per channel
        self.columns = None  # tables with tokens: the column tokens (ColumnTokens)
        if config.tokens != "none":
            sizes = config.column_sizes or (1,) * config.n_features
            self.columns = ColumnTokens(sizes, c, kind=config.tokens)
        steps = self.length if self.columns is None else self.columns.n_columns  # what the convolutions read
        (_, pool1), (_, pool2) = block_lengths(steps, max_steps=config.max_lstm_steps)
        if self.columns is not None:
            pool1 = pool2 = 0  # neighbouring columns are no neighbours: every column keeps its own position
        c_in = (config.n_channels if self.columns is None else c) + (1 if config.position_channel else 0)
        front = config.front_end
        if front == "pooled":  # the reference design: each block pools
            self.block1 = ConvBlock(c_in, c, config.kernel_size, pool1)
            self.block2 = ConvBlock(c, 2 * c, config.kernel_size, pool2)  # Grad-CAM target layer
            self.late_pool = nn.Identity()
        elif front == "late":
            self.block1 = ConvBlock(c_in, c, config.kernel_size, 0)
            self.block2 = ConvBlock(c, 2 * c, config.kernel_size, 0)
            self.late_pool = LatePool((pool1, pool2))
        else:  # inception: one residual pair of multi-scale modules at full resolution
            self.block1 = nn.Identity()
            self.block2 = ResidualInception(c_in, c, 2 * c, config.kernel_size)
            self.late_pool = LatePool((pool1, pool2))
        self.seq_len = sequence_length(self.length, config.max_lstm_steps) if self.columns is None else steps
        self.lstm = nn.LSTM(
            input_size=2 * c,
            hidden_size=config.lstm_hidden,
            num_layers=config.lstm_layers,
            batch_first=True,
            bidirectional=True,
            dropout=config.dropout if config.lstm_layers > 1 else 0.0,
        )
        d = 2 * config.lstm_hidden
        # batch_first=True: without it the batch axis is taken as time and rows attend to each other.
        self.attention = nn.MultiheadAttention(d, config.num_heads, batch_first=True)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(d + (2 * c if config.global_pool else 0), config.n_classes)

    @property
    def gradcam_layer(self) -> nn.Module:
        """The last CNN block, whose output Grad-CAM weighs."""
        return self.block2

    @property
    def token_spans(self) -> list[tuple[int, int]] | None:
        """With column tokens: the [start, end) input features each position of the convolutions stands for (one
        column each); None when the positions are the row's values (pooled: position_spans)."""
        return None if self.columns is None else list(self.columns.spans)

    def forward(self, x: torch.Tensor, per_head: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, F) with F = channels × T -> logits (B, C) and attention (B, L, L), or (B, H, L, L) with
        per_head=True."""
        if self.columns is None:
            h = x.reshape(x.shape[0], self.n_channels, self.length)  # (B, channels, T)
        else:
            h = self.columns(x)  # (B, c, G): one token per column
        if self.config.position_channel:
            ramp = torch.linspace(-1.0, 1.0, h.shape[2], device=x.device, dtype=x.dtype)
            h = torch.cat([h, ramp.expand(x.shape[0], 1, -1)], dim=1)  # (B, channels + 1, T)
        h = self.block1(h)  # (B, c, L1)
        conv = self.block2(h)  # (B, 2c, L) pooled in the blocks, or (B, 2c, T) with a late pool
        h = self.late_pool(conv).permute(0, 2, 1)  # (B, L, 2c)
        h, _ = self.lstm(h)  # (B, L, 2H)
        a, weights = self.attention(h, h, h, need_weights=True, average_attn_weights=not per_head)
        # a: (B, L, 2H); weights: (B, L, L) or (B, heads, L, L)
        context = a.mean(dim=1)  # (B, 2H)
        if self.config.global_pool:  # the convolutions' features averaged over every step, beside attention
            context = torch.cat([context, conv.mean(dim=2)], dim=1)  # (B, 2H + 2c)
        logits = self.fc(self.dropout(context))  # (B, C)
        return logits, weights


class EnsembleNet(nn.Module):
    """`config.ensemble` networks of one configuration; the ensemble's logits and attention maps are the
    members' averages. Explanations treat it as one model: SHAP of the averaged output is the average of the
    members' SHAP values (it is linear in the output), and Grad-CAM and attention are averaged over members."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        member = replace(config, ensemble=1)
        self.members = nn.ModuleList([HybridCNNLSTMAttention(member) for _ in range(config.ensemble)])
        first = self.members[0]
        self.n_channels, self.length, self.seq_len = first.n_channels, first.length, first.seq_len
        self.token_spans = first.token_spans

    @property
    def gradcam_layer(self) -> nn.Module:  # Grad-CAM averages over the members' own layers (explain/gradcam.py)
        return self.members[0].gradcam_layer

    def forward(self, x: torch.Tensor, per_head: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, F): the averaged logits (B, C) and attention. x (members, B, F) (training, each member on its own
        batch): every member's logits (members, B, C) and None."""
        if x.dim() == 3:
            return torch.stack([m(xm)[0] for m, xm in zip(self.members, x)]), None
        outputs = [m(x, per_head) for m in self.members]
        logits = torch.stack([o[0] for o in outputs]).mean(dim=0)  # (B, C)
        weights = torch.stack([o[1] for o in outputs]).mean(dim=0)  # (B, L, L) or (B, H, L, L)
        return logits, weights


def build_model(config: ModelConfig) -> nn.Module:
    """The network a configuration describes: one HybridCNNLSTMAttention, or an EnsembleNet of several. An `auto`
    ensemble (0) must be made concrete first (config.resolve_ensemble: it depends on the data)."""
    if config.ensemble < 1:
        raise ValueError("ensemble = 0 (auto) must be resolved against the data before a network is built")
    return EnsembleNet(config) if config.ensemble > 1 else HybridCNNLSTMAttention(config)
