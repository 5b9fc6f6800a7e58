"""The model's shapes and pooling rule for every feature count, and batch independence."""

import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.model.network import HybridCNNLSTMAttention, block_lengths, position_spans, sequence_length


@pytest.mark.parametrize("n_features, expected_len", [(1, 1), (2, 2), (3, 3), (4, 2), (5, 2), (7, 3),
                                                      (8, 2), (13, 3), (150, 37)])
def test_sequence_length_rule(n_features, expected_len):
    assert sequence_length(n_features) == expected_len
    # Never pooled below 2 (the seed design left 1 for F = 4..7 and crashed for F = 2, 3).
    for length, pooled in block_lengths(n_features):
        if pooled:
            assert length >= 2


@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5, 13, 150])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("position_channel", [False, True])
def test_forward_shapes_every_feature_count(n_features, n_classes, position_channel):
    torch.manual_seed(0)
    config = ModelConfig(n_features=n_features, n_classes=n_classes, position_channel=position_channel)
    model = HybridCNNLSTMAttention(config).eval()
    x = torch.randn(6, n_features)
    logits, attn = model(x)
    L = sequence_length(n_features)
    assert logits.shape == (6, n_classes)
    assert attn.shape == (6, L, L)
    assert torch.allclose(attn.sum(-1), torch.ones(6, L), atol=1e-5)
    _, per_head = model(x, per_head=True)
    assert per_head.shape == (6, 4, L, L)
    assert torch.allclose(per_head.mean(1), attn, atol=1e-6)
    # Training mode with a batch works too (BatchNorm, dropout) and backpropagates.
    model.train()
    loss = model(x)[0].sum()
    loss.backward()


def test_attention_map_is_not_trivial_for_four_features():
    # The seed's 4-feature configuration gave a 1x1 map that is always 1.0.
    model = HybridCNNLSTMAttention(ModelConfig(n_features=4, n_classes=4)).eval()
    _, attn = model(torch.randn(3, 4))
    assert attn.shape[-1] >= 2


def test_rows_do_not_attend_to_batch_neighbours():
    torch.manual_seed(1)
    model = HybridCNNLSTMAttention(ModelConfig(n_features=13, n_classes=3)).eval()
    x = torch.randn(8, 13)
    with torch.no_grad():
        alone = model(x[:1])[0]
        together = model(x)[0][:1]
        shuffled = model(torch.cat([x[5:], x[:5]]))[0][3:4]
    assert torch.allclose(alone, together, atol=1e-5)
    assert torch.allclose(alone, shuffled, atol=1e-5)


@pytest.mark.parametrize("n_features", [1, 4, 5, 13, 150])
def test_position_spans_cover_all_features(n_features):
    spans = position_spans(n_features)
    assert len(spans) == sequence_length(n_features)
    assert spans[0][0] == 0 and spans[-1][1] == n_features
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert a1 == b0 and a0 < a1


def test_kernel_size_keeps_length_and_heads_validated():
    model = HybridCNNLSTMAttention(ModelConfig(n_features=20, n_classes=2, kernel_size=8)).eval()
    assert model(torch.randn(2, 20))[1].shape == (2, 5, 5)
    with pytest.raises(HybridXAIError, match="heads"):
        HybridCNNLSTMAttention(ModelConfig(n_features=20, n_classes=2, num_heads=5))


@pytest.mark.parametrize("n_features", [1, 2, 24, 150])
def test_position_channel_feeds_each_feature_its_position(n_features):
    model = HybridCNNLSTMAttention(ModelConfig(n_features=n_features, n_classes=3, position_channel=True)).eval()
    assert model.block1.conv.in_channels == 2
    seen = []
    handle = model.block1.conv.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    x = torch.randn(5, n_features)
    with torch.no_grad():
        model(x)
    handle.remove()
    (inputs,) = seen
    assert inputs.shape == (5, 2, n_features)
    torch.testing.assert_close(inputs[:, 0], x)  # the row itself, untouched
    expected = torch.linspace(-1, 1, n_features) if n_features > 1 else torch.tensor([-1.0])
    for row in inputs[:, 1]:  # the same ramp for every row: -1 at the first feature, 1 at the last
        torch.testing.assert_close(row, expected)


def test_position_channel_off_is_the_reference_one_channel_design():
    model = HybridCNNLSTMAttention(ModelConfig(n_features=24, n_classes=3))
    assert ModelConfig().position_channel is False and model.block1.conv.in_channels == 1


@pytest.mark.parametrize("channels, length", [(1, 24), (3, 24), (6, 100), (2, 5), (4, 1)])
def test_multichannel_rows_are_read_channel_major(channels, length):
    torch.manual_seed(0)
    config = ModelConfig(n_features=channels * length, n_channels=channels, n_classes=3, position_channel=True)
    model = HybridCNNLSTMAttention(config).eval()
    x = torch.randn(5, channels * length)
    logits, attn = model(x)
    L = sequence_length(length)
    assert logits.shape == (5, 3) and attn.shape == (5, L, L)
    assert model.block1.conv.in_channels == channels + 1
    # Channel-major: changing the last channel's values changes the output; the first conv sees them
    # as its own input channel, so zeroing that channel's weights makes the output ignore them.
    with torch.no_grad():
        model.block1.conv.weight[:, channels - 1] = 0
        y = x.clone()
        y[:, (channels - 1) * length:] += 5.0
        assert torch.allclose(model(x)[0], model(y)[0], atol=1e-5)


def test_channels_must_divide_the_row():
    with pytest.raises(HybridXAIError, match="channels"):
        ModelConfig(n_features=10, n_channels=3).validate()
