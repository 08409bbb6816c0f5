"""Looking inside a trained character LSTM: every gate and state over a text, simple features of
that text, which units follow which feature, Karpathy-style coloured text and gate saturation.

The approach is Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent
Networks": run the model over held-out text, record the cell state C_t and the gates i, f, g, o of
every unit at every character, and compare them with properties of the text that a program can
compute (inside a string, bracket depth, position in the line, ...).
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass

import numpy as np

STATE_KEYS = ("i", "f", "g", "o", "c", "tanh_c", "h")
"""What `run_with_states` returns for every character: the gates (PyTorch's order i, f, g, o),
the cell state C_t, tanh(C_t) (what Karpathy colours) and the hidden state h_t."""

SIGMOID_GATES = ("i", "f", "o")

OPEN_BRACKETS, CLOSE_BRACKETS = "([{", ")]}"

FEATURE_DESCRIPTIONS = {
    "inside string": "1 inside a string literal ('...', \"...\", '''...''' or \"\"\"...\"\"\"), else 0",
    "inside docstring": "1 inside a triple-quoted string, else 0",
    "inside comment": "1 from a # (outside strings) to the end of its line, else 0",
    "bracket depth": "open ( [ { minus closed ) ] }, outside strings and comments, never below 0",
    "position in line": "characters read since the last newline (0 right after a newline)",
    "indentation": "leading spaces of the current line read so far",
    "in indentation": "1 while everything read on this line is a space (and at a newline), else 0",
    "is newline": "1 at a newline character",
    "is space": "1 at a space character",
    "is word char": "1 at a letter, digit or underscore",
    "position in text": "characters read since the start of the text: a clock, to expose units that drift",
}
"""The features of `text_features` (Python source), each a number per character: the state AFTER reading it."""

PLAY_FEATURE_DESCRIPTIONS = {
    "speaker name": "1 on a line that names the speaker (a line ending in ':' right after an empty line), else 0",
    "first line of a speech": "1 on the first line after a speaker's name, else 0",
    "lines into the speech": "lines since the speaker's name (0 on the name line)",
    "position in line": "characters read since the last newline (0 at a newline)",
    "upper case": "1 at an upper-case letter",
    "newline next": "1 if the NEXT character is a newline: the line is about to end",
    "inside quotation": "1 after an opening double quote until its closing one",
    "inside parenthesis": "1 after ( until its ), nested ones included",
    "is space": "1 at a space character",
    "is newline": "1 at a newline character",
    "position in text": "characters read since the start of the text: a clock, to expose units that drift",
}
"""The features of `play_features` (a play script such as tinyshakespeare), one number per character.

A character belongs to the line it ends or lies in (a newline belongs to the line before it). All but
"newline next" describe the text up to character t; "newline next" looks one character ahead, which
is what the model is trained to predict."""


# ------------------------------------------------------------------------------------------------
# Every gate and state of the model over a text


def _model_parts(model):
    lstm = getattr(model, "lstm", None)
    if lstm is None or not hasattr(lstm, "weight_ih_l0"):
        raise ValueError(f"model: expected a CharLSTM (a module with an .lstm that has nn.LSTM's parameter "
                         f"names), got {type(model).__name__}")
    return lstm


def _as_ids(ids, vocab_size: int) -> np.ndarray:
    if hasattr(ids, "detach"):
        ids = ids.detach().cpu().numpy()
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids: expected a non-empty 1-D sequence of integer token ids, got shape {arr.shape} "
                         f"dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= vocab_size:
        raise ValueError(f"ids: expected ids in [0, {vocab_size}), got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def run_with_states(model, ids, *, layer: int = 0) -> dict:
    """Run a `CharLSTM` over one sequence of token ids and return every gate and state of one layer.

    ids: (T,) ints (list, numpy array or torch tensor). Returns a dict of float64 numpy arrays of
    shape (T, H), keys `STATE_KEYS`: 'i', 'f', 'g', 'o', 'c', 'tanh_c', 'h'; row t is the value
    after reading ids[t], starting from a zero state.

    ``nn.LSTM`` (cuDNN or not) returns only h, so the gates are recovered by running the layer's
    own weights through the package's numpy LSTM (`torch_lstm.to_numpy_params` +
    `numpy_lstm.lstm_forward`); the h it computes matches the model's to float32 precision. For
    ``layer`` > 0 the layers below are run the same way first (dropout is off, as in eval mode).
    """
    import torch

    from .numpy_lstm import lstm_forward
    from .torch_lstm import to_numpy_params

    lstm = _model_parts(model)
    n_layers = int(getattr(lstm, "num_layers", 1))
    if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer < n_layers:
        raise ValueError(f"layer: expected an int in [0, {n_layers}), got {layer!r}")
    vocab_size = int(getattr(model, "vocab_size", model.head.out_features))
    arr = _as_ids(ids, vocab_size)
    device = next(model.parameters()).device
    with torch.no_grad():
        x_ids = torch.from_numpy(arr).to(device)
        if getattr(model, "embed", None) is not None:
            x = model.embed(x_ids)  # (T, E)
        else:
            x = torch.nn.functional.one_hot(x_ids, vocab_size)  # (T, V), as CharLSTM without embedding
        x = x.double().cpu().numpy()[None]  # (1, T, D)
    lstm64 = copy.deepcopy(lstm).double().cpu()  # float64 before b_ih + b_hh is summed
    for k in range(layer + 1):
        Wx, Wh, b = to_numpy_params(lstm64, k)
        H = Wh.shape[0]
        h, cache = lstm_forward(x, np.zeros((1, H)), Wx, Wh, b)
        x = h  # the next layer reads this layer's hidden states
    return {key: cache[key][0].copy() for key in STATE_KEYS}


# ------------------------------------------------------------------------------------------------
# Features of the text, one number per character


def _check_text(name: str, text) -> str:
    if not isinstance(text, str) or not text:
        raise ValueError(f"{name}: expected a non-empty string, got {type(text).__name__} "
                         f"{text!r:.40}")
    return text


def _scan_python(text: str) -> dict:
    """One left-to-right pass of a small Python lexer: string, docstring, comment and bracket state.

    Each array holds the state after reading character t. Opening quotes count as inside the
    string; the quote that closes it counts as outside (for triple quotes, the last of the three).
    A backslash escapes the next character inside strings; a newline ends a one-line string even
    without its closing quote, so text cut from the middle of a file recovers at the next line.
    """
    T = len(text)
    in_string, in_doc, in_comment, depth = (np.zeros(T) for _ in range(4))
    quote = None  # the open string's delimiter: ', ", ''' or """
    comment, escape, level = False, False, 0
    t = 0
    while t < T:
        ch = text[t]
        width = 1  # characters consumed this round, all sharing the state written below
        if comment:
            comment = ch != "\n"
        elif quote is not None:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif len(quote) == 3 and text.startswith(quote, t):
                in_string[t:t + 2] = in_doc[t:t + 2] = 1.0  # still inside until the third quote
                quote, width, t = None, 1, t + 2
            elif len(quote) == 1 and (ch == quote or ch == "\n"):
                quote = None
        elif ch == "#":
            comment = True
        elif ch in "'\"":
            if text.startswith(ch * 3, t):
                quote = ch * 3
                width = 3
            else:
                quote = ch
        elif ch in OPEN_BRACKETS:
            level += 1
        elif ch in CLOSE_BRACKETS:
            level = max(0, level - 1)
        inside = quote is not None
        in_string[t:t + width] = inside
        in_doc[t:t + width] = inside and len(quote) == 3
        in_comment[t:t + width] = comment
        depth[t:t + width] = level
        t += width
    return {"inside string": in_string, "inside docstring": in_doc, "inside comment": in_comment,
            "bracket depth": depth}


def text_features(text: str) -> dict:
    """Simple properties of Python source, one float64 array (T,) per feature, T = len(text).

    Every value describes the text up to and including character t, i.e. what a model reading left
    to right could know after reading it. `FEATURE_DESCRIPTIONS` defines each feature.
    """
    text = _check_text("text", text)
    T = len(text)
    feats = _scan_python(text)
    position, indent, leading = np.zeros(T), np.zeros(T), np.zeros(T)
    pos, ind, lead = 0, 0, True
    for t, ch in enumerate(text):
        if ch == "\n":
            pos, ind, lead = 0, 0, True
        else:
            pos += 1
            lead = lead and ch == " "
            ind += lead
        position[t], indent[t], leading[t] = pos, ind, lead
    chars = np.array(list(text))
    feats.update({
        "position in line": position,
        "indentation": indent,
        "in indentation": leading,
        "is newline": (chars == "\n").astype(np.float64),
        "is space": (chars == " ").astype(np.float64),
        "is word char": np.array([c.isalnum() or c == "_" for c in text], dtype=np.float64),
        "position in text": np.arange(1, T + 1, dtype=np.float64),
    })
    return {name: feats[name] for name in FEATURE_DESCRIPTIONS}


def play_features(text: str) -> dict:
    """Simple properties of a play script (speaker names on their own line, as in tinyshakespeare).

    Returns one float64 array (T,) per name of `PLAY_FEATURE_DESCRIPTIONS`, T = len(text). Features
    that never occur in ``text`` (tinyshakespeare has no parentheses or double quotes) are all zeros;
    `absent_features` lists them.
    """
    text = _check_text("text", text)
    T = len(text)
    lines = text.split("\n")  # the newline ending each line is counted with that line
    speaker, first, into, position = np.zeros(T), np.zeros(T), np.zeros(T), np.zeros(T)
    t, since_name, previous_empty = 0, -1, True
    for k, line in enumerate(lines):
        n = len(line) + (1 if k < len(lines) - 1 else 0)  # characters of this line, its newline included
        is_name = previous_empty and line.endswith(":") and line[:1].isupper() and len(line) > 1
        since_name = 0 if is_name else (since_name + 1 if since_name >= 0 and line else -1)
        speaker[t:t + n] = is_name
        first[t:t + n] = since_name == 1
        into[t:t + n] = max(since_name, 0)
        position[t:t + n] = np.arange(1, n + 1)
        if n > len(line):
            position[t + n - 1] = 0  # the newline itself starts the next line's count
        previous_empty = not line
        t += n
    chars = np.array(list(text))
    depth_q, depth_p, inside_q, inside_p = 0, 0, np.zeros(T), np.zeros(T)
    for i, ch in enumerate(text):
        if ch == '"':
            depth_q = 1 - depth_q
            inside_q[i] = depth_q  # the opening quote is inside, the closing one outside
        else:
            depth_p = depth_p + 1 if ch == "(" else max(0, depth_p - 1) if ch == ")" else depth_p
            inside_q[i] = depth_q
        inside_p[i] = depth_p > 0
    nxt = np.append(chars[1:] == "\n", False).astype(np.float64)
    feats = {
        "speaker name": speaker, "first line of a speech": first, "lines into the speech": into,
        "position in line": position, "upper case": np.array([c.isupper() for c in text], dtype=np.float64),
        "newline next": nxt, "inside quotation": inside_q, "inside parenthesis": inside_p,
        "is space": (chars == " ").astype(np.float64), "is newline": (chars == "\n").astype(np.float64),
        "position in text": np.arange(1, T + 1, dtype=np.float64),
    }
    return {name: feats[name] for name in PLAY_FEATURE_DESCRIPTIONS}


def absent_features(features: dict) -> list:
    """Names of the features that are constant over the text: no correlation can be measured for them."""
    return [name for name, values in features.items() if np.ptp(np.asarray(values, dtype=np.float64)) == 0]


# ------------------------------------------------------------------------------------------------
# Which unit follows which feature


def pearson_per_unit(values, feature) -> np.ndarray:
    """Pearson correlation of every column of ``values`` (T, H) with ``feature`` (T,): returns (H,).

    r = sum_t (v_t - mean v)(x_t - mean x) / sqrt(sum_t (v_t - mean v)^2 * sum_t (x_t - mean x)^2).
    A constant column or feature has no defined correlation and gets r = 0.
    """
    values = np.asarray(values, dtype=np.float64)
    feature = np.asarray(feature, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values: expected shape (T, H), got {values.shape}")
    if feature.shape != (values.shape[0],):
        raise ValueError(f"feature: expected shape ({values.shape[0]},) to match values (T, H) = {values.shape}, "
                         f"got {feature.shape}")
    v = values - values.mean(axis=0)  # (T, H)
    x = feature - feature.mean()  # (T,)
    num = x @ v  # (H,)
    den = np.sqrt((v * v).sum(axis=0) * (x @ x))  # (H,)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 1e-12)


@dataclass
class CellCorrelations:
    """Pearson r of every unit with every feature: ``r[k, u]`` for feature ``names[k]`` and unit u.

    ``key`` says which activation was correlated ('c' for the cell state, ...). `best` picks the
    unit with the largest |r| per feature; printing the object gives that as a table.
    """

    names: list
    r: np.ndarray  # (F, H)
    key: str = "c"

    def _row(self, feature: str) -> np.ndarray:
        if feature not in self.names:
            raise ValueError(f"feature: expected one of {self.names}, got {feature!r}")
        return self.r[self.names.index(feature)]

    def best(self, feature: str | None = None, *, exclude=()):
        """(unit, r) with the largest |r| for ``feature``, skipping the units in ``exclude``.

        Without ``feature``: a dict feature -> (unit, r) for every feature.
        """
        if feature is None:
            return {name: self.best(name, exclude=exclude) for name in self.names}
        ranked = self.ranked(feature, 1, exclude=exclude)
        if not ranked:
            raise ValueError(f"exclude: expected to leave at least one unit, got all {self.r.shape[1]} excluded")
        return ranked[0]

    def ranked(self, feature: str, k: int = 3, *, exclude=()) -> list:
        """The ``k`` units with the largest |r| for ``feature``, as (unit, r) pairs, best first."""
        row = self._row(feature)
        skip = {int(u) for u in exclude}
        order = [int(u) for u in np.argsort(-np.abs(row), kind="stable") if int(u) not in skip][:k]
        return [(u, float(row[u])) for u in order]

    def matching(self, feature: str, min_abs_r: float) -> list:
        """All units with |r| >= ``min_abs_r`` for ``feature``, best first (e.g. the clocks)."""
        row = self._row(feature)
        return [u for u, r in self.ranked(feature, len(row)) if abs(r) >= min_abs_r]

    def table(self, k: int = 2) -> str:
        """A text table: for each feature, the ``k`` best units and their r (2 decimals)."""
        width = max(len(n) for n in self.names)
        head = f"{'feature':{width}s}  " + "  ".join(f"{'#' + str(j + 1) + ' unit':>7s} {'r':>6s}" for j in range(k))
        lines = [head, "-" * len(head)]
        for name in self.names:
            cells = "  ".join(f"{u:7d} {r:+6.2f}" for u, r in self.ranked(name, k))
            lines.append(f"{name:{width}s}  {cells}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def correlate_cells(states, features: dict, *, key: str = "c") -> CellCorrelations:
    """Pearson correlation of each unit's activation with each feature.

    states: a dict from `run_with_states` (``key`` picks the activation: 'c' by default, or any of
    `STATE_KEYS`) or an array (T, H). features: dict name -> (T,) array, e.g. from `text_features`.
    Returns a `CellCorrelations` (r of shape (F, H); ``.best()``, ``.table()``).
    """
    if isinstance(states, dict):
        if key not in states:
            raise ValueError(f"key: expected one of the states' keys {sorted(states)}, got {key!r}")
        values = states[key]
    else:
        values, key = states, "array"
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"states: expected activations of shape (T, H), got {values.shape}")
    if not isinstance(features, dict) or not features:
        raise ValueError(f"features: expected a non-empty dict name -> (T,) array, got {type(features).__name__}")
    r = np.empty((len(features), values.shape[1]))
    for k, (name, feat) in enumerate(features.items()):
        feat = np.asarray(feat, dtype=np.float64)
        if feat.shape != (values.shape[0],):
            raise ValueError(f"features[{name!r}]: expected shape ({values.shape[0]},) like the states' T, "
                             f"got {feat.shape}")
        r[k] = pearson_per_unit(values, feat)
    return CellCorrelations(list(features), r, key)


# ------------------------------------------------------------------------------------------------
# Karpathy's visualisation: the text, each character on the colour of one unit's activation

_NEG_RGB = np.array([33, 102, 172])  # blue for negative values (the ends of matplotlib's RdBu)
_POS_RGB = np.array([178, 24, 43])  # red for positive values


def _colour(q: float) -> str:
    """Hex colour for q in [-1, 1]: white at 0, red towards +1, blue towards -1."""
    base = _POS_RGB if q > 0 else _NEG_RGB
    rgb = np.rint(255 + (base - 255) * 0.85 * abs(q)).astype(int)  # 0.85: the darkest stays readable
    return "#" + "".join(f"{c:02x}" for c in rgb)


def html_activations(text: str, values, *, vmax: float = 1.0, levels: int = 6, title: str | None = None,
                     newline_marker: str = "\u21b5") -> str:
    """Karpathy's visualisation as an HTML string: each character on a colour given by ``values``.

    values: (T,) numbers, one per character of ``text`` (T = len(text)), e.g. tanh(C_t) of one unit.
    Blue is negative, red positive, white zero; ``values / vmax`` is clipped to [-1, 1] and rounded to
    ``levels`` shades per sign, and runs of equal shade share one <span>, which keeps the HTML small
    and identical when the values move by less than a shade. Newlines stay line breaks and are
    drawn as ``newline_marker`` so that their colour shows. Show it with
    ``IPython.display.HTML(...)``.
    """
    text = _check_text("text", text)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(f"values: expected shape ({len(text)},), one value per character of text, got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values: expected finite numbers, got NaN or infinity")
    if not (isinstance(vmax, (int, float, np.floating)) and vmax > 0):
        raise ValueError(f"vmax: expected a number > 0, got {vmax!r}")
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool) or levels < 1:
        raise ValueError(f"levels: expected an int >= 1, got {levels!r}")
    shade = np.rint(np.clip(values / vmax, -1.0, 1.0) * levels).astype(int)  # (T,) in -levels..levels
    parts, start = [], 0
    for t in range(1, len(text) + 1):
        if t == len(text) or shade[t] != shade[start]:
            chunk = text[start:t].replace("\n", newline_marker + "\n")
            chunk = html.escape(chunk, quote=False)
            if shade[start] == 0:
                parts.append(chunk)
            else:
                parts.append(f'<span style="background:{_colour(shade[start] / levels)}">{chunk}</span>')
            start = t
    head = f'<div style="font:bold 12px sans-serif;margin:6px 0 2px">{html.escape(title)}</div>' if title else ""
    body = "".join(parts)
    return (f'{head}<pre style="font:12px/1.35 monospace;margin:0;padding:4px;white-space:pre-wrap;'
            f'color:#000;background:#fff;border:1px solid #ddd">{body}</pre>')


# ------------------------------------------------------------------------------------------------
# Gate saturation


def gate_saturation(states: dict, low: float = 0.1, high: float = 0.9, gates=SIGMOID_GATES) -> dict:
    """How often each unit's gates are nearly closed or nearly open (Karpathy et al. 2015, Fig. 3).

    states: a dict of gate activations (T, H) (or (N, T, H): all leading axes are pooled), e.g.
    from `run_with_states`. For each gate returns {'left': (H,), 'right': (H,)}: the fraction of
    time steps with a value below ``low`` (left-saturated, nearly closed) and above ``high``
    (right-saturated, nearly open). For the candidate 'g', whose range is (-1, 1), the same
    thresholds apply to (g + 1) / 2.
    """
    if not isinstance(states, dict):
        raise ValueError(f"states: expected a dict of gate arrays (T, H), got {type(states).__name__}")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, float, np.floating)) or isinstance(v, bool):
            raise ValueError(f"{name}: expected a number in [0, 1], got {v!r}")
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"low, high: expected 0 <= low < high <= 1, got low={low!r}, high={high!r}")
    if isinstance(gates, str):
        gates = tuple(gates)
    out = {}
    for gate in gates:
        if gate not in ("i", "f", "g", "o"):
            raise ValueError(f"gates: expected names among 'i', 'f', 'g', 'o', got {gate!r}")
        if gate not in states:
            raise ValueError(f"states: expected a {gate!r} entry (T, H), got keys {sorted(states)}")
        v = np.asarray(states[gate], dtype=np.float64)
        if v.ndim < 2 or v.size == 0:
            raise ValueError(f"states[{gate!r}]: expected shape (T, H) with T, H >= 1, got {v.shape}")
        v = v.reshape(-1, v.shape[-1])  # (steps, H)
        if gate == "g":
            v = (v + 1.0) / 2.0
        out[gate] = {"left": (v < low).mean(axis=0), "right": (v > high).mean(axis=0)}
    return out
