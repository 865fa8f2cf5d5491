"""BeatNet's trained ear, without torch or madmom: its network and features in NumPy.

BeatNet (Heydari, Cwitkowitz and Duan, ISMIR 2021; weights CC BY 4.0, see
`models/NOTICE`) listens to a log-filtered spectrogram and its rise, 50 frames a second, through
a small convolution and a two-layer LSTM, and says per frame how likely a beat, a downbeat, or
neither is. Its weights ship here exactly as in the `beatnet` 1.1.3 wheel (`.pt`: a zip holding a
pickle), read by a loader that accepts nothing but tensors, so no code in them can run.

The features follow madmom's processors as BeatNet configures them (64 ms Hann window, 20 ms hop,
24 bands per octave from 30 Hz to 17 kHz, log10(1 + x), positive difference to the frame half a
window back). Not compared with the original running in torch (torch does not install here):
what we measure is the tracker's accuracy with these activations (bench/beats.py).
"""

from __future__ import annotations

import functools
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.fft

from ..errors import ConfigError

__all__ = ["FPS", "MODELS", "SAMPLE_RATE", "Activation", "activation"]

MODELS = {1: "model_1_weights.pt", 2: "model_2_weights.pt", 3: "model_3_weights.pt"}
MODEL_FOLDER = Path(__file__).with_name("models")
SAMPLE_RATE = 22050
HOP = 441  # 20 ms
WINDOW = 1411  # 64 ms
FPS = SAMPLE_RATE / HOP
BANDS_PER_OCTAVE, FMIN, FMAX, A4 = 24, 30.0, 17000.0, 440.0
BLOCK = 2048  # frames per block (41 s): a 10-minute song stays within tens of MB
FEATURES = 272  # per frame: 136 log-filtered bands and their rise

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Activation:
    """Per frame (50 a second): how likely a beat (any, downbeats included) and a downbeat start there."""

    beat: npt.NDArray[np.float64]
    downbeat: npt.NDArray[np.float64]
    fps: float = FPS


def activation(signal: Floats, *, models: tuple[int, ...] = (1, 2, 3)) -> Activation:
    """The mean activation of the chosen BeatNet models for mono audio at 22 050 Hz: averaging the
    three (each trained with another data set left out) is steadier than any one of them."""
    mean = _ensemble(tuple(sorted(set(models))))(features(signal)).mean(axis=0).astype(np.float64)
    return Activation(beat=mean[:, 0] + mean[:, 1], downbeat=mean[:, 1])


def features(signal: Floats) -> Floats:
    """(frames, 272): 136 log-filtered bands and their positive rise, as BeatNet was trained on."""
    bank = _filterbank()
    count = int(np.ceil(signal.size / HOP))
    padded = np.pad(signal.astype(np.float32, copy=False), (WINDOW // 2, WINDOW))
    frames = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::HOP][:count]  # a view: no copy
    window = np.hanning(WINDOW).astype(np.float32)
    spec = np.empty((count, bank.shape[1]), dtype=np.float32)
    for start in range(0, count, BLOCK):
        magnitude = np.abs(scipy.fft.rfft(frames[start : start + BLOCK] * window, axis=1)[:, : WINDOW >> 1])
        spec[start : start + BLOCK] = np.log10(magnitude.astype(np.float32) @ bank + 1.0)
    lag = _diff_frames()
    rise = np.zeros_like(spec)
    rise[lag:] = np.maximum(spec[lag:] - spec[:-lag], 0.0)
    return np.hstack([spec, rise])


@functools.cache
def _filterbank() -> Floats:
    """madmom's LogarithmicFilterbank: overlapping triangles on unique FFT bins, each of area 1."""
    bins_hz = np.fft.fftfreq((WINDOW >> 1) * 2, 1.0 / SAMPLE_RATE)[: WINDOW >> 1]
    left = np.floor(np.log2(FMIN / A4) * BANDS_PER_OCTAVE)
    right = np.ceil(np.log2(FMAX / A4) * BANDS_PER_OCTAVE)
    centres = A4 * 2.0 ** (np.arange(left, right) / BANDS_PER_OCTAVE)
    centres = centres[np.searchsorted(centres, FMIN):]
    centres = centres[: np.searchsorted(centres, FMAX, "right")]
    index = np.clip(bins_hz.searchsorted(centres), 1, bins_hz.size - 1)
    index -= centres - bins_hz[index - 1] < bins_hz[index] - centres
    bins = np.unique(index)
    bank = np.zeros((bins_hz.size, bins.size - 2), dtype=np.float32)
    for band, (start, centre, stop) in enumerate(zip(bins, bins[1:], bins[2:])):
        if stop - start < 2:
            centre, stop = start, start + 1
        shape = np.zeros(stop - start)
        shape[: centre - start] = np.linspace(0, 1, centre - start, endpoint=False)
        shape[centre - start :] = np.linspace(1, 0, stop - centre, endpoint=False)
        bank[start:stop, band] = np.maximum(bank[start:stop, band], shape / shape.sum())
    return bank


def _diff_frames() -> int:
    """Frames back to the one whose window still overlaps by half (madmom's diff_ratio 0.5)."""
    window = np.hanning(WINDOW)
    first = int(np.argmax(window > 0.5 * window.max()))
    return int(max(1, round((WINDOW / 2 - first) / HOP)))


class _Ensemble:
    """BeatNet's network, several trained copies at once (a leading model axis, so that the LSTM's
    frame-by-frame loop runs once for all): Conv1d(1→2, 10) over each frame's features, ReLU,
    max-pool 2, Linear → 150, LSTM 2x150, Linear → 3 (beat, downbeat, none), softmax. Blocks of
    frames keep a 10-minute song's working memory small."""

    def __init__(self, weights: list[dict[str, Floats]]) -> None:
        self.w = {name: np.stack([one[name] for one in weights]) for name in weights[0]}
        kernel = self.w["conv1.weight"][:, :, 0, :]  # (models, channels, taps)
        self.models, self.channels, taps = kernel.shape
        self.positions = FEATURES - taps + 1
        # The convolution as one matrix product: column (model, channel, position) holds the kernel at rows position..position+taps.
        conv = np.zeros((FEATURES, self.models, self.channels, self.positions), dtype=np.float32)
        for tap in range(taps):
            rows = np.arange(self.positions) + tap
            conv[rows, :, :, np.arange(self.positions)] = kernel[None, :, :, tap]
        self.conv = conv.reshape(FEATURES, -1)

    def __call__(self, feats: Floats) -> Floats:
        w = self.w
        x = np.concatenate([self._front(feats[start : start + BLOCK]) for start in range(0, len(feats), BLOCK)], axis=1)
        for layer in (0, 1):
            x = _lstm(x, w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"],
                      w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"])
        logits = x @ w["linear.weight"].transpose(0, 2, 1) + w["linear.bias"][:, None, :]
        logits -= logits.max(axis=2, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=2, keepdims=True)).astype(np.float32)

    def _front(self, feats: Floats) -> Floats:
        """Convolution, ReLU, pooling and the first linear layer of a block of frames: (models, frames, 150)."""
        frames, width = len(feats), self.positions // 2
        conv = (feats @ self.conv).reshape(frames, self.models, self.channels, self.positions)
        conv = np.maximum(conv + self.w["conv1.bias"][None, :, :, None], 0.0)
        pooled = conv[..., : 2 * width].reshape(frames, self.models, self.channels, width, 2).max(axis=4)
        pooled = pooled.reshape(frames, self.models, -1).transpose(1, 0, 2)
        return pooled @ self.w["linear0.weight"].transpose(0, 2, 1) + self.w["linear0.bias"][:, None, :]


def _lstm(x: Floats, w_ih: Floats, w_hh: Floats, bias: Floats) -> Floats:
    """One unidirectional LSTM layer per model (torch's gate order: input, forget, cell, output)."""
    models, frames, hidden = x.shape[0], x.shape[1], w_hh.shape[2]
    h: npt.NDArray[Any] = np.zeros((models, 1, hidden), dtype=np.float32)
    c: npt.NDArray[Any] = np.zeros((models, hidden), dtype=np.float32)
    out = np.empty((models, frames, hidden), dtype=np.float32)
    w_ih_t, w_hh_t = w_ih.transpose(0, 2, 1), np.ascontiguousarray(w_hh.transpose(0, 2, 1))
    cell = slice(2 * hidden, 3 * hidden)
    for start in range(0, frames, BLOCK):
        gates_in = x[:, start : start + BLOCK] @ w_ih_t + bias[:, None, :]  # (models, block, 4 * hidden)
        for t in range(gates_in.shape[1]):
            g = gates_in[:, t] + (h @ w_hh_t)[:, 0]
            gate = 0.5 * (np.tanh(0.5 * g) + 1.0)  # sigmoid without overflow
            c = gate[:, hidden : cell.start] * c + gate[:, :hidden] * np.tanh(g[:, cell])
            h = (gate[:, cell.stop :] * np.tanh(c))[:, None, :]
            out[:, start + t] = h[:, 0]
    return out


@functools.cache
def _ensemble(models: tuple[int, ...]) -> _Ensemble:
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise ConfigError(f"BeatNet model {unknown or models} does not exist: one of {', '.join(map(str, MODELS))}")
    return _Ensemble([load_weights(MODEL_FOLDER / MODELS[m]) for m in models])


def load_weights(path: Path) -> dict[str, Floats]:
    """The tensors of a torch state dict saved as zip + pickle, read without torch. The unpickler
    knows only an ordered dict, float storages and tensor rebuilding: anything else is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = next(name.split("/")[0] for name in archive.namelist() if name.endswith("data.pkl"))

            def storage(key: str) -> npt.NDArray[np.float32]:
                return np.frombuffer(archive.read(f"{root}/data/{key}"), dtype="<f4")

            loaded = _TensorsOnly(archive.open(f"{root}/data.pkl"), storage).load()
        return {name: np.asarray(value, dtype=np.float32) for name, value in loaded.items()}
    except (OSError, zipfile.BadZipFile, pickle.UnpicklingError, StopIteration, KeyError, ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path}: is not BeatNet's weights ({error}); reinstall aivp-nle, or use --tracker aivp") from None


class _TensorsOnly(pickle.Unpickler):
    def __init__(self, file: Any, storage: Any) -> None:
        super().__init__(file)
        self._storage = storage

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("torch", "FloatStorage"):
            return "float32"
        raise pickle.UnpicklingError(f"{module}.{name} is not a tensor: refused")

    def persistent_load(self, pid: Any) -> Any:
        kind, dtype, key, _location, _count = pid
        if kind != "storage" or dtype != "float32":
            raise pickle.UnpicklingError(f"storage {pid!r} is not float32")
        return self._storage(key)


def _rebuild_tensor(storage: npt.NDArray[np.float32], offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any) -> Floats:
    items = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=tuple(s * storage.itemsize for s in stride), writeable=False,
    )
    return np.array(items, dtype=np.float32)
