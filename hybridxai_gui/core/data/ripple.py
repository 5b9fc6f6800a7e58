"""A ripple shared by series of unequal length whatever their length: the mark of recordings made at one fixed
sampling rate, which padding keeps (`DataConfig.unequal = "pad"`) and resampling stretches by a different factor in
every series. A hint for the reading of unequal lengths, said by training and the Data tab; it decides nothing."""

from __future__ import annotations

import numpy as np

from ..errors import setting

RIPPLE_SERIES = 400  # series looked at (evenly spread) to find a ripple they share
RIPPLE_PEAK = 0.5  # share of a series' (differenced) power its spectral peak must hold to count as its ripple
RIPPLE_AGREE = 0.1  # relative distance to the common period within which a series' ripple counts as the same
RIPPLE_SHARE = 0.5  # of the series looked at that must share it (at least half: a hint, said with its share)


def shared_ripple(series, channels) -> tuple[float, float, str] | None:
    """(period in samples, share of the series, channel) when series of unequal length share one ripple whatever
    their length: the mark of recordings made at one fixed sampling rate (a mains cycle in current draws, a
    rotation in vibration bursts), which padding keeps and resampling stretches by a different factor in every
    series. `series`: a list of (C, n_i) arrays of unequal n_i, each a series' own steps. A series' ripple is the
    period of its first differences' spectral peak when that peak holds at least RIPPLE_PEAK of their power (a
    series under 17 steps has none); the ripple is shared when RIPPLE_SHARE of the series have theirs within
    RIPPLE_AGREE of the median period. None when fewer than 8 series, lengths spanning less than 1.5 times, or no
    channel shares one. Gestures and other
    movements whose pace varies share none (PickupGestureWiimoteZ's training and test files: none); PLAID's current
    draws share a mains ripple of 5.0 samples (68 % and 69 % of its training and test series)."""
    if len(series) < 8:
        return None
    pick = np.unique(np.linspace(0, len(series) - 1, min(len(series), RIPPLE_SERIES)).astype(np.int64))
    chosen = [np.asarray(series[i], dtype=np.float64) for i in pick]
    lengths = np.array([x.shape[-1] for x in chosen])
    if lengths.max() < 1.5 * lengths.min():  # lengths too alike to tell a fixed rate from a varying pace
        return None
    best = None
    for c, name in list(enumerate(channels))[:8]:  # the first 8 channels: a hint, not a census
        periods = []
        for x in chosen:
            d = np.diff(x[c])
            d = d[np.isfinite(d)]
            if len(d) < 16 or not np.any(d):
                periods.append(np.nan)
                continue
            power = np.abs(np.fft.rfft((d - d.mean()) * np.hanning(len(d)))) ** 2
            power[0] = 0.0
            k = int(np.argmax(power))
            total = float(power.sum())
            strong = k > 0 and total > 0 and power[max(k - 1, 0):k + 2].sum() >= RIPPLE_PEAK * total
            periods.append(len(d) / k if strong else np.nan)
        periods = np.asarray(periods)
        found = periods[np.isfinite(periods)]
        if not len(found):
            continue
        period = float(np.median(found))
        share = float(np.mean(np.abs(periods / period - 1.0) < RIPPLE_AGREE))  # NaN (no ripple) counts as not
        if share >= RIPPLE_SHARE and (best is None or share > best[1]):
            best = (period, share, str(name))
    return best


def ripple_note(ripple: tuple[float, float, str], padded: bool) -> str:
    """What a shared ripple means for the reading of unequal lengths (a hint under resampling; padding fits it)."""
    period, share, channel = ripple
    seen = f"{share:.0%} of the series share a ripple of {period:.1f} samples in {channel!r}, whatever their length"
    if padded:
        return f"{seen}: recordings at one fixed sampling rate, which padding keeps on one time axis."
    return (f"{seen}, as recordings at one fixed sampling rate do: resampling stretches that ripple by another "
            f"factor in every series. To keep their time axis, choose {setting('unequal', 'pad')}.")


__all__ = ["shared_ripple", "ripple_note", "RIPPLE_SERIES", "RIPPLE_PEAK", "RIPPLE_AGREE", "RIPPLE_SHARE"]
