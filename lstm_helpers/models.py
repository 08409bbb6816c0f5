"""The two models the training notebooks use: a character-level language model and a regressor.

Both wrap an LSTM that is either PyTorch's cuDNN-backed ``nn.LSTM`` or our ``torch_lstm.LSTM``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lstm_helpers.numpy_lstm import FORGET_BIAS
from lstm_helpers.utils import check_int

IMPLS = ("cudnn", "scratch")

# Precision policy (one rule, everywhere): the LSTM always runs in float32 (on CUDA, cuDNN may use
# TF32 for its matrix products, as torch.backends.cudnn.allow_tf32 allows by default), with autocast
# switched off around it; under autocast only the layers around it (the output layer) run in 16 bits:
# bf16 where the GPU has it natively, fp16 with a loss scaler where it has fp16 tensor cores only
# (train.precision_policy picks). Why the LSTM is kept out: PyTorch's autocast wrapper for cuDNN RNNs
# casts input, weights and states to float16 whatever dtype autocast was given, and a recurrence
# that ran in fp16 would have to be measured first (no such measurement exists in this series).
LSTM_DTYPE = torch.float32


def run_lstm(lstm: nn.Module, x: torch.Tensor, state=None):
    """``lstm(x, state)`` in ``LSTM_DTYPE`` whatever autocast is active: returns (out, state), float32.

    Autocast is disabled for x's device type inside, and x and the states are cast to float32,
    so cuDNN never receives half precision (see the precision policy above).
    """
    with torch.autocast(x.device.type, enabled=False):
        if state is not None:
            state = tuple(s.to(LSTM_DTYPE) for s in state)
        return lstm(x.to(LSTM_DTYPE), state)


def make_lstm(input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
              impl: str = "cudnn", **scratch_kwargs) -> nn.Module:
    """A batch-first LSTM: ``nn.LSTM`` for impl='cudnn', ``torch_lstm.LSTM`` for impl='scratch'.

    Both have the same constructor, forward and parameter names, so the rest of the code does
    not care which one it got. ``scratch_kwargs`` (e.g. ``fused_input``) go to the scratch one only.
    """
    if impl not in IMPLS:
        raise ValueError(f"impl: expected one of {IMPLS}, got {impl!r}")
    dropout = dropout if num_layers > 1 else 0.0  # between layers only, so none with one layer
    if impl == "cudnn":
        return nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
    from lstm_helpers.torch_lstm import LSTM  # imported here so this module never waits on it

    return LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout, **scratch_kwargs)


def add_forget_bias(lstm: nn.Module, value: float = FORGET_BIAS) -> None:
    """Add ``value`` to the forget-gate block (rows H:2H) of every layer's ``bias_ih``.

    Starting with f = sigmoid(1) = 0.73 keeps memories by default (Gers et al. 2000;
    Jozefowicz et al. 2015). Works on both implementations because they share parameter names.
    """
    H = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[H:2 * H] += value


def recurrence_dtypes(fn, match=("rnn", "lstm"), *, stop: bool = False) -> set:
    """Floating dtypes that reach the kernel running the recurrence while ``fn()`` runs.

    Recorded below autocast, so this is what the kernel really receives: ``_cudnn_rnn`` on CUDA,
    ``mkldnn_rnn_layer`` or ``lstm`` on the CPU (ops whose name contains one of ``match``; pass
    ``("mm",)`` for a from-scratch LSTM's matrix products). ``stop=True`` returns at the first such
    kernel without running it (so a kernel this machine lacks, e.g. bf16 on an older CPU, is never
    called). Used by tests, the benchmark and notebook 09.
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class Found(Exception):
        pass

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if any(m in str(func) for m in match):
                seen.update(a.dtype for a in tree_leaves((args, kwargs))
                            if isinstance(a, torch.Tensor) and a.is_floating_point())
                if stop:
                    raise Found
            return func(*args, **kwargs)

    seen = set()
    try:
        with Recorder():
            fn()
    except Found:
        pass
    return seen


class CharLSTM(nn.Module):
    """Character-level language model: embedding (or one-hot) -> LSTM -> linear layer to logits.

    forward(x (B, T) int64, state=None) -> logits (B, T, V), state = (h, c), each (L, B, H).
    ``emb_size=None`` feeds one-hot vectors (as Karpathy's char-rnn); ``dropout`` applies to the
    LSTM's input and output and between its layers. ``impl`` picks 'cudnn' (nn.LSTM) or 'scratch'.
    """

    def __init__(self, vocab_size: int, hidden_size: int, num_layers: int = 1, emb_size: int | None = None,
                 dropout: float = 0.0, impl: str = "cudnn", *, forget_bias: float = FORGET_BIAS):
        super().__init__()
        vocab_size = check_int("vocab_size", vocab_size, 1)
        hidden_size = check_int("hidden_size", hidden_size, 1)
        num_layers = check_int("num_layers", num_layers, 1)
        if emb_size is not None:
            emb_size = check_int("emb_size", emb_size, 1)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout: expected a number in [0, 1), got {dropout!r}")
        # Everything needed to rebuild the model from a checkpoint (see train.load_char_model).
        self.hparams = dict(vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers,
                            emb_size=emb_size, dropout=float(dropout), impl=impl, forget_bias=float(forget_bias))
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, emb_size) if emb_size is not None else None
        self.lstm = make_lstm(emb_size or vocab_size, hidden_size, num_layers, dropout, impl)
        if forget_bias:
            add_forget_bias(self.lstm, forget_bias)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        if self.embed is not None:
            e = self.embed(x)  # (B, T, E)
        else:
            e = F.one_hot(x, self.vocab_size).float()  # (B, T, V)
        out, state = run_lstm(self.lstm, self.drop(e), state)  # (B, T, H), float32 always
        logits = self.head(self.drop(out))  # (B, T, V)
        return logits, state

    @torch.no_grad()
    def generate(self, prefix_ids, n: int, temperature: float = 1.0, generator: torch.Generator | None = None):
        """Sample ``n`` characters after ``prefix_ids``; returns prefix + samples, int64 numpy (len + n,).

        temperature < 1 sharpens the distribution, > 1 flattens it, 0 takes the argmax.
        ``generator`` (optional) makes the samples reproducible.
        """
        prefix = np.asarray(prefix_ids.tolist() if hasattr(prefix_ids, "tolist") else prefix_ids, dtype=np.int64)
        if prefix.ndim != 1 or prefix.size == 0:
            raise ValueError(f"prefix_ids: expected a non-empty 1-D sequence of ids, got shape {prefix.shape}")
        if prefix.min() < 0 or prefix.max() >= self.vocab_size:
            raise ValueError(f"prefix_ids: expected ids in [0, {self.vocab_size}), got {prefix.min()}..{prefix.max()}")
        n = check_int("n", n, 0)
        if not temperature >= 0:
            raise ValueError(f"temperature: expected a number >= 0, got {temperature!r}")
        was_training = self.training
        self.eval()
        device = self.head.weight.device
        x = torch.as_tensor(prefix, device=device)[None]  # (1, T)
        out = list(prefix)
        state = None
        for _ in range(n):
            logits, state = self(x, state)
            last = logits[0, -1].float()  # (V,)
            if temperature == 0:
                nxt = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=-1)
                if generator is not None and generator.device != probs.device:
                    probs = probs.to(generator.device)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            x = torch.tensor([[nxt]], device=device)  # (1, 1): only the new character, state carries the rest
        self.train(was_training)
        return np.array(out, dtype=np.int64)


class SequenceRegressor(nn.Module):
    """Sequence -> numbers: an LSTM over (B, T, input_size), a linear layer on the last step.

    forward(x) -> (B, horizon). Used for sine prediction (notebook 09).
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, horizon: int = 1, *, input_size: int = 1,
                 impl: str = "cudnn"):
        super().__init__()
        self.hparams = dict(hidden_size=check_int("hidden_size", hidden_size, 1),
                            num_layers=check_int("num_layers", num_layers, 1),
                            horizon=check_int("horizon", horizon, 1),
                            input_size=check_int("input_size", input_size, 1), impl=impl)
        self.input_size = input_size
        self.lstm = make_lstm(input_size, hidden_size, num_layers, 0.0, impl)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x: expected shape (B, T, {self.input_size}), got {tuple(x.shape)}")
        out, _ = run_lstm(self.lstm, x)  # (B, T, H), float32 always
        return self.head(out[:, -1])  # (B, horizon)
