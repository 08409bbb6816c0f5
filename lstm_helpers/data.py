"""Data for the notebooks: synthetic memory tasks, text corpora, a character vocabulary, batches.

Every synthetic task takes an explicit ``seed`` and returns float32 numpy arrays; nothing is downloaded on import.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from lstm_helpers.utils import atomic_write, check_int

# ----------------------------------------------------------------------------------------------
# Synthetic tasks


def sine_mixture(n_series: int, length: int, n_components: int = 3, noise: float = 0.0,
                 seed: int = 0) -> np.ndarray:
    """Sums of sines with random amplitudes, periods and phases, for sequence prediction.

    Each series is ``sum_k a_k sin(2 pi t / p_k + phi_k)`` with periods ``p_k`` between 8 and 64
    steps and amplitudes normalised to sum to 1 (so values stay in [-1, 1] before noise), plus
    Gaussian noise of standard deviation ``noise``. Returns float32 of shape (n_series, length).
    """
    n_series = check_int("n_series", n_series, 1)
    length = check_int("length", length, 1)
    n_components = check_int("n_components", n_components, 1)
    if not np.isscalar(noise) or not noise >= 0:
        raise ValueError(f"noise: expected a float >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    amp = rng.uniform(0.2, 1.0, size=(n_series, n_components, 1))
    amp /= amp.sum(axis=1, keepdims=True)
    period = rng.uniform(8.0, 64.0, size=(n_series, n_components, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n_series, n_components, 1))
    t = np.arange(length)[None, None, :]  # (1, 1, length)
    series = (amp * np.sin(2 * np.pi * t / period + phase)).sum(axis=1)  # (n_series, length)
    if noise > 0:
        series += noise * rng.standard_normal(series.shape)
    return series.astype(np.float32)


def make_windows(series: np.ndarray, input_len: int, horizon: int):
    """Cut series into (input window, next ``horizon`` values) pairs, every possible start.

    ``series`` is (length,) or (n_series, length). Returns ``inputs`` of shape (M, input_len, 1)
    and ``targets`` of shape (M, horizon), float32, with M = n_series * (length - input_len - horizon + 1).
    """
    if not isinstance(series, np.ndarray) or series.ndim not in (1, 2):
        got = series.shape if isinstance(series, np.ndarray) else type(series).__name__
        raise ValueError(f"series: expected a numpy array of shape (length,) or (n_series, length), got {got}")
    input_len = check_int("input_len", input_len, 1)
    horizon = check_int("horizon", horizon, 1)
    series = np.atleast_2d(series).astype(np.float32)
    if series.shape[1] < input_len + horizon:
        raise ValueError(f"series: expected length >= input_len + horizon = {input_len + horizon}, "
                         f"got length {series.shape[1]}")
    win = np.lib.stride_tricks.sliding_window_view(series, input_len + horizon, axis=1)  # (S, W, L+h)
    win = win.reshape(-1, input_len + horizon)  # (M, L+h)
    inputs = win[:, :input_len, None].copy()  # (M, input_len, 1)
    targets = win[:, input_len:].copy()  # (M, horizon)
    return inputs, targets


def adding_problem(n: int, length: int, seed: int = 0):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Channel 0 holds values drawn from U(0, 1); channel 1 is a marker that is 1 at exactly two
    steps, one in the first half and one in the second half. The target is the sum of the two
    marked values. Always predicting the mean (1.0) gives MSE = Var(u1 + u2) = 2/12 = 1/6 ~ 0.167,
    the baseline a model must beat. Returns x (n, length, 2) and y (n,), float32.
    """
    n = check_int("n", n, 1)
    length = check_int("length", length, 2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    marker = np.zeros((n, length))
    rows = np.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = np.stack([values, marker], axis=-1)  # (n, length, 2)
    y = values[rows, first] + values[rows, second]
    return x.astype(np.float32), y.astype(np.float32)


def adding_problem_1997(n: int, min_length: int, seed: int = 0):
    """The adding problem exactly as Hochreiter & Schmidhuber (1997, experiment 4) defined it.

    Each sequence has its own length, an integer drawn from [T, T + T/10] (T = ``min_length``).
    Channel 0 holds values from U(-1, 1); channel 1 is a marker: 1.0 at one of the first ten
    steps (value X1) and at one other step among the first T/2 - 1 (value X2), -1.0 at the first
    and the last step, 0 elsewhere (X1 is set to 0 when the first step is marked). The target is
    0.5 + (X1 + X2) / 4, in [0, 1]; a sequence counts as processed correctly when the absolute
    error at its end is below 0.04. Returns x (n, T + T // 10, 2) float32, zero-padded after each
    sequence's end, y (n,) float32 and the lengths (n,) int64.
    """
    n = check_int("n", n, 1)
    T = check_int("min_length", min_length, 22)  # the second marker needs T/2 - 1 > 10 positions
    rng = np.random.default_rng(seed)
    lengths = rng.integers(T, T + T // 10 + 1, size=n)
    x = np.zeros((n, T + T // 10, 2))
    rows = np.arange(n)
    for r, L in zip(rows, lengths):
        x[r, :L, 0] = rng.uniform(-1.0, 1.0, size=L)
        x[r, 0, 1] = x[r, L - 1, 1] = -1.0
    first = rng.integers(0, 10, size=n)
    second = rng.integers(0, T // 2 - 2, size=n)  # one of the first T/2 - 1 positions other than `first`
    second = second + (second >= first)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    x[x[:, 0, 1] == 1.0, 0, 0] = 0.0  # a marked first step holds the value 0
    y = 0.5 + (x[rows, first, 0] + x[rows, second, 0]) / 4.0
    return x.astype(np.float32), y.astype(np.float32), lengths.astype(np.int64)


def long_lag_recall(n: int, lag: int, n_symbols: int = 4, seed: int = 0, noise: bool = False):
    """Remember the first symbol across ``lag`` distractor steps, then name it.

    Step 0 is a one-hot symbol out of ``n_symbols``; steps 1..lag are the extra "blank" channel
    (index ``n_symbols``), or random symbols if ``noise=True``. The target is the first symbol, so
    chance accuracy is 1 / n_symbols. Returns x (n, lag + 1, n_symbols + 1) float32 one-hot and
    y (n,) int64.
    """
    n = check_int("n", n, 1)
    lag = check_int("lag", lag, 0)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_symbols, size=n)
    tokens = np.full((n, lag + 1), n_symbols)  # the blank symbol everywhere
    tokens[:, 0] = y
    if noise:
        tokens[:, 1:] = rng.integers(0, n_symbols, size=(n, lag))
    x = np.eye(n_symbols + 1, dtype=np.float32)[tokens]  # (n, lag+1, n_symbols+1)
    return x, y.astype(np.int64)


def variable_lag_recall(n: int, max_lag: int, min_lag: int, n_symbols: int = 4, seed: int = 0):
    """`long_lag_recall` with noise, but each sequence has its own lag, drawn from [min_lag, max_lag].

    Sequences are zero-padded after their end to ``max_lag + 1`` steps; a model reads each one at its
    own last step (``lengths - 1``). With one fixed lag the first symbol always sits the same number
    of steps before the read-out; here it does not. Returns x (n, max_lag + 1, n_symbols + 1) float32,
    y (n,) int64 and the lengths (n,) int64 (lag + 1).
    """
    n = check_int("n", n, 1)
    max_lag = check_int("max_lag", max_lag, 1)
    min_lag = check_int("min_lag", min_lag, 0)
    if min_lag > max_lag:
        raise ValueError(f"min_lag: expected at most max_lag = {max_lag}, got {min_lag!r}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_symbols, size=n)
    lags = rng.integers(min_lag, max_lag + 1, size=n)
    tokens = rng.integers(0, n_symbols, size=(n, max_lag + 1))
    tokens[:, 0] = y
    x = np.eye(n_symbols + 1, dtype=np.float32)[tokens]
    x[np.arange(max_lag + 1)[None, :] > lags[:, None]] = 0.0  # nothing after a sequence's end
    return x, y.astype(np.int64), (lags + 1).astype(np.int64)


def store_recall(n: int, length: int, seed: int = 0):
    """Store a value when the write flag is on, output it when the read flag comes later.

    x has three channels: a value from U(0, 1) at every step, a write flag that is 1 at one random
    step, and a read flag that is 1 at one later step. The target is the value seen at the write
    step, to be produced at the read step. Returns x (n, length, 3) float32, y (n,) float32 and
    the write and read positions, each (n,) int64.
    """
    n = check_int("n", n, 1)
    length = check_int("length", length, 2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    write = rng.integers(0, length - 1, size=n)
    read = rng.integers(write + 1, length)  # strictly after the write, one per row
    rows = np.arange(n)
    x = np.zeros((n, length, 3))
    x[:, :, 0] = values
    x[rows, write, 1] = 1.0
    x[rows, read, 2] = 1.0
    y = values[rows, write]
    return x.astype(np.float32), y.astype(np.float32), write.astype(np.int64), read.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Corpora

TINYSHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
TINYSHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"  # 1,115,394 chars

# Corpora fetched on first use: name -> (url, sha256, file name in the cache).
REMOTE_CORPORA = {
    "tinyshakespeare": (TINYSHAKESPEARE_URL, TINYSHAKESPEARE_SHA256, "tinyshakespeare.txt"),
}

# The offline corpus: these files of the running Python's standard library, concatenated.
PYSTDLIB_FILES = (
    "textwrap.py", "heapq.py", "bisect.py", "json/encoder.py", "json/decoder.py", "json/scanner.py",
    "string.py", "shlex.py", "fractions.py", "difflib.py", "calendar.py", "functools.py",
    "dataclasses.py", "csv.py", "queue.py", "statistics.py", "pprint.py", "copy.py", "random.py",
    "colorsys.py",
)

CORPUS_NAMES = ("pystdlib", *REMOTE_CORPORA)


class DownloadError(RuntimeError):
    """A corpus could not be fetched (offline, bad URL, or the file's checksum did not match)."""


def cache_dir() -> Path:
    """Folder for downloaded corpora: ``$LSTM_DATA_DIR`` if set, else ``~/.cache/lstm_helpers``."""
    env = os.environ.get("LSTM_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "lstm_helpers"


def sha256_file(path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _by_hand_hint(url: str, dest: Path) -> str:
    return (f"To supply the file by hand, download {url} on a machine with internet access and put "
            f"it at {dest}, or pass the local file's path instead of the corpus name.")


def download(url: str, dest, sha256: str, timeout: float = 30) -> Path:
    """Stream ``url`` to ``dest``, check its SHA-256, and only then move it into place.

    The bytes go to a temporary name in ``dest``'s folder; on any failure (network error,
    checksum mismatch) the temporary file is deleted, ``dest`` is left untouched, and a
    ``DownloadError`` says what failed and how to supply the file by hand.
    """
    if not isinstance(url, str) or not url:
        raise ValueError(f"url: expected a non-empty string, got {url!r}")
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise ValueError(f"sha256: expected a 64-character hex digest, got {sha256!r}")
    dest = Path(dest)
    hint = _by_hand_hint(url, dest)
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError, timeouts, refused
        raise DownloadError(f"Could not download {url}: {exc}. {hint}") from exc
    digest = hashlib.sha256()
    try:
        with response, atomic_write(dest, "wb") as fh:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                digest.update(chunk)
                fh.write(chunk)
            if digest.hexdigest() != sha256.lower():
                raise DownloadError(f"Checksum mismatch for {url}: expected sha256 {sha256}, got "
                                    f"{digest.hexdigest()} (corrupt or changed file; nothing was "
                                    f"saved). {hint}")
    except DownloadError:
        raise
    except (OSError, http.client.HTTPException) as exc:  # connection dropped mid-stream, disk full
        raise DownloadError(f"Download of {url} failed part-way: {exc}. {hint}") from exc
    return dest


def fetch_cached(url: str, sha256: str, filename: str, data_dir=None, timeout: float = 30) -> Path:
    """Path of a verified local copy of ``url`` in the cache, downloading it if needed.

    A cached file whose SHA-256 does not match (partial or corrupt) is fetched again.
    """
    path = Path(data_dir) if data_dir is not None else cache_dir()
    path = path / filename
    if path.is_file() and sha256_file(path) == sha256.lower():
        return path
    return download(url, path, sha256, timeout=timeout)


def pystdlib_text() -> str:
    """The offline corpus: source of ``PYSTDLIB_FILES`` from the running Python, concatenated.

    About 480 KB on Python 3.11. The text varies slightly between Python versions (the standard
    library's files change), so losses on it are comparable only within one Python version.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for rel in PYSTDLIB_FILES:
        path = root / rel
        if path.is_file():  # a trimmed distribution may lack a file; the rest is still a corpus
            parts.append(f"# ---- {rel} ----\n" + path.read_text(encoding="utf-8"))
    if not parts:
        raise FileNotFoundError(f"none of the pystdlib corpus files were found under {root}")
    return "\n".join(parts)


def load_corpus(name_or_path: str = "pystdlib", *, data_dir=None, url: str | None = None,
                timeout: float = 30) -> str:
    """Text of a corpus: a name from ``CORPUS_NAMES`` or the path of a local text file.

    ``"pystdlib"`` (the default) needs no download: Python standard-library source, in the spirit
    of Karpathy's model trained on Linux source; see ``pystdlib_text``. ``"tinyshakespeare"`` is
    fetched into ``cache_dir()`` (or ``data_dir``) on first use and checked by SHA-256; ``url``
    overrides where it is fetched from (a mirror). An existing file path is read directly.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ValueError(f"name_or_path: expected a corpus name or a file path, got {name_or_path!r}")
    if name_or_path == "pystdlib":
        return pystdlib_text()
    if isinstance(name_or_path, str) and name_or_path in REMOTE_CORPORA:
        default_url, sha, filename = REMOTE_CORPORA[name_or_path]
        path = fetch_cached(url or default_url, sha, filename, data_dir=data_dir, timeout=timeout)
        return read_text_file(path)
    if Path(name_or_path).is_file():
        return read_text_file(name_or_path)
    raise ValueError(f"name_or_path: expected one of {', '.join(map(repr, CORPUS_NAMES))} or an "
                     f"existing file path, got {str(name_or_path)!r}")


def read_text_file(path) -> str:
    """A file's text as UTF-8; a binary or otherwise non-UTF-8 file raises one ValueError line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"corpus: expected a UTF-8 text file, got {str(path)!r} (byte {exc.start} is "
                         f"0x{exc.object[exc.start]:02x}: a binary file?)") from None
    if "\x00" in text:
        raise ValueError(f"corpus: expected a text file, got {str(path)!r} (it contains NUL bytes: a binary file?)")
    if not text:
        raise ValueError(f"corpus: expected a non-empty text file, got {str(path)!r} (empty)")
    return text


# ----------------------------------------------------------------------------------------------
# Characters -> integers, and batches


class CharVocab:
    """Character-level vocabulary: every distinct character of a text, sorted, gets an id."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError(f"text: expected a non-empty string, got {type(text).__name__} of length "
                             f"{len(text) if hasattr(text, '__len__') else '?'}")
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self.chars)} characters)"

    def encode(self, text: str) -> np.ndarray:
        """String -> int64 ids of shape (len(text),)."""
        try:
            return np.array([self.stoi[ch] for ch in text], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"text: expected only characters in the vocabulary, got {exc.args[0]!r}") from None

    def decode(self, ids) -> str:
        """Ids (list, numpy array or torch tensor) -> string."""
        ids = np.asarray(ids.tolist() if hasattr(ids, "tolist") else ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(f"ids: expected values in [0, {len(self.chars)}), got min {ids.min()} max {ids.max()}")
        return "".join(self.chars[i] for i in ids)

    def to_dict(self) -> dict:
        """Plain dict (strings only) for checkpoints loaded with ``weights_only=True``."""
        return {"chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, d: dict) -> "CharVocab":
        if not isinstance(d, dict) or not isinstance(d.get("chars"), str):
            raise ValueError(f"d: expected a dict with a 'chars' string (from to_dict), got {d!r:.80}")
        return cls(d["chars"])


def train_val_split(ids, val_fraction: float = 0.1):
    """First ``1 - val_fraction`` of the ids for training, the rest for validation (as nanoGPT)."""
    if not (isinstance(val_fraction, (float, int)) and 0 < val_fraction < 1):
        raise ValueError(f"val_fraction: expected a float in (0, 1), got {val_fraction!r}")
    if getattr(ids, "ndim", None) != 1:
        raise ValueError(f"ids: expected a 1-D array or tensor, got {getattr(ids, 'shape', type(ids).__name__)}")
    n_train = int(len(ids) * (1 - val_fraction))
    return ids[:n_train], ids[n_train:]


def get_batch(data, batch_size: int, seq_len: int, generator=None, device=None):
    """Random (x, y) windows of shape (B, T) from a 1-D token tensor; y is x shifted by one.

    ``data`` should already live on the training device: offsets are drawn there with
    ``generator`` (a ``torch.Generator``; a CPU one is fine, only the B offsets then move) and the
    windows are gathered with one indexing op, so the corpus is never copied to the host per step.
    ``device`` (optional) moves the finished batch, for data kept on the CPU.
    """
    import torch

    if not isinstance(data, torch.Tensor) or data.ndim != 1 or data.dtype != torch.int64:
        got = (f"{data.dtype} tensor of shape {tuple(data.shape)}" if isinstance(data, torch.Tensor)
               else type(data).__name__)
        raise ValueError(f"data: expected a 1-D int64 torch tensor, got {got}")
    batch_size = check_int("batch_size", batch_size, 1)
    seq_len = check_int("seq_len", seq_len, 1)
    if len(data) <= seq_len:
        raise ValueError(f"data: expected more than seq_len = {seq_len} tokens, got {len(data)}")
    gen_device = generator.device if generator is not None else data.device
    offsets = torch.randint(len(data) - seq_len, (batch_size,), generator=generator, device=gen_device)
    offsets = offsets.to(data.device, non_blocking=True)
    idx = offsets[:, None] + torch.arange(seq_len, device=data.device)  # (B, T)
    x, y = data[idx], data[idx + 1]  # (B, T) each, y one step ahead
    if device is not None and torch.device(device) != data.device:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
    return x, y
