"""Tests for lstm_helpers.interpretability: features on hand-written code, a planted unit, the HTML,
gates recovered from nn.LSTM against an independent computation, saturation, input validation."""

import numpy as np
import pytest

from lstm_helpers import interpretability as I


def digits(a):
    return "".join(str(int(v)) for v in a)


# ------------------------------------------------------------------------------------------------
# text_features


def test_features_strings_comments_brackets():
    s = 'f(a["]"], {1: 2})  # x(\ny'
    feats = I.text_features(s)
    assert list(feats) == list(I.FEATURE_DESCRIPTIONS)
    assert all(v.shape == (len(s),) and v.dtype == np.float64 for v in feats.values())
    #                                      f(a["]"], {1: 2})  # x(\ny
    assert digits(feats["inside string"]) == "0000110000000000000000000"
    assert digits(feats["inside comment"]) == "0000000000000000000111100"
    # the ] inside the string and the ( inside the comment do not count; depth after each character
    assert digits(feats["bracket depth"]) == "0112222111222221000000000"
    assert feats["inside docstring"].sum() == 0


def test_features_triple_quotes_and_escapes():
    s = "'''a\n\"b'''x \"c\\\"d\"e"  # '''a<nl>"b'''x "c\"d"e
    f = I.text_features(s)
    # opening quotes count in, the closing quote that ends the string counts out
    want_string = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]
    want_doc = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert len(s) == len(want_string)
    assert f["inside string"].tolist() == want_string
    assert f["inside docstring"].tolist() == want_doc
    assert f["inside comment"].sum() == 0  # a # would only count outside strings


def test_features_one_line_string_ends_at_newline_and_hash_in_string():
    s = "x = 'a#b\ny = 1  # (\nz = (2)"
    f = I.text_features(s)
    assert f["inside string"][4:8].tolist() == [1, 1, 1, 1] and f["inside string"][8:].sum() == 0
    assert f["inside comment"][:16].sum() == 0  # the # inside the string opens no comment
    assert f["inside comment"][16:19].tolist() == [1, 1, 1] and f["inside comment"][19] == 0
    assert f["bracket depth"].tolist()[-3:] == [1, 1, 0]  # the ( in the comment did not count


def test_features_lines_and_characters():
    s = "ab\n  c d\n"
    f = I.text_features(s)
    assert f["position in line"].tolist() == [1, 2, 0, 1, 2, 3, 4, 5, 0]
    assert f["indentation"].tolist() == [0, 0, 0, 1, 2, 2, 2, 2, 0]
    assert f["in indentation"].tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 1]
    assert f["is newline"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert f["is space"].tolist() == [0, 0, 0, 1, 1, 0, 1, 0, 0]
    assert f["is word char"].tolist() == [1, 1, 0, 0, 0, 1, 0, 1, 0]
    assert f["position in text"].tolist() == list(range(1, 10))


def test_bracket_depth_never_negative():
    assert I.text_features("))(")["bracket depth"].tolist() == [0, 0, 1]


# ------------------------------------------------------------------------------------------------
# correlations


def test_pearson_per_unit_matches_corrcoef_and_constant_is_zero(rng):
    v = rng.normal(size=(40, 3))
    v[:, 2] = 1.5  # a constant unit
    x = rng.normal(size=40)
    r = I.pearson_per_unit(v, x)
    for u in range(2):
        assert abs(r[u] - np.corrcoef(v[:, u], x)[0, 1]) < 1e-12
    assert r[2] == 0.0


def test_correlate_cells_finds_planted_units(rng):
    T, H = 600, 20
    feats = I.text_features(("def f(x):\n    return 'a' + (x)  # c\n" * 20)[:T])
    states = {"c": rng.normal(size=(T, H)), "h": rng.normal(size=(T, H))}
    states["c"][:, 7] = 3.0 * feats["inside string"] + 0.1 * rng.normal(size=T)
    states["c"][:, 12] = -0.5 * feats["position in line"] + 0.5 * rng.normal(size=T)
    corr = I.correlate_cells(states, feats)
    assert corr.key == "c" and corr.r.shape == (len(feats), H)
    unit, r = corr.best("inside string")
    assert unit == 7 and r > 0.95
    unit, r = corr.best("position in line")
    assert unit == 12 and r < -0.9  # the sign is kept: a negative unit is as informative
    assert corr.ranked("inside string", 2)[0] == corr.best("inside string")
    line = next(row for row in corr.table().splitlines() if row.startswith("inside string"))
    assert line.split()[2:4] == ["7", f"{corr.best('inside string')[1]:+.2f}"]
    assert corr.best("inside string", exclude=[7])[0] != 7
    assert corr.matching("inside string", 0.95) == [7]
    assert corr.best(exclude=[7])["inside string"][0] != 7
    with pytest.raises(ValueError, match="exclude: expected to leave at least one unit"):
        corr.best("inside string", exclude=range(H))
    # an array works too
    assert I.correlate_cells(states["c"], feats).best("inside string")[0] == 7


# ------------------------------------------------------------------------------------------------
# HTML


def test_html_escapes_and_keeps_newlines():
    text = "a<b & c\nd"
    out = I.html_activations(text, np.linspace(-1, 1, len(text)), title="unit <3>")
    assert "&lt;" in out and "&amp;" in out and "<b" not in out.replace("<b ", "")
    assert "unit &lt;3&gt;" in out
    body = out.split("<pre", 1)[1]
    assert body.count("\n") == 1 and "\u21b5\n" in body  # the newline stays, with a visible marker
    assert "#" in body and "background" in body


def test_html_shades_merge_runs_and_absorb_small_noise():
    text = "x" * 50
    a = I.html_activations(text, np.full(50, 0.5))
    b = I.html_activations(text, np.full(50, 0.5) + 1e-4 * np.sin(np.arange(50)))
    assert a == b and a.count("<span") == 1  # one run, one span
    assert I.html_activations("ab", [0.0, 0.0]).count("<span") == 0  # white needs no span
    pos = I.html_activations("a", [1.0])
    neg = I.html_activations("a", [-1.0])
    assert pos != neg


# ------------------------------------------------------------------------------------------------
# run_with_states against an independent computation


def _manual_lstm(x, w_ih, w_hh, b_ih, b_hh):
    """The PyTorch equations, written once more in numpy float64 with a plain loop."""
    T, H = x.shape[0], w_hh.shape[1]
    h, c = np.zeros(H), np.zeros(H)
    out = {k: np.zeros((T, H)) for k in "ifgohc"}
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    for t in range(T):
        a = w_ih @ x[t] + b_ih + w_hh @ h + b_hh
        i, f, g, o = sig(a[:H]), sig(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), sig(a[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgohc", (i, f, g, o, h, c)):
            out[k][t] = v
    return out


def _np(p):
    return p.detach().double().numpy()


@pytest.mark.parametrize("impl", ["cudnn", "scratch"])
def test_run_with_states_matches_manual_and_nn_lstm(impl):
    torch = pytest.importorskip("torch")
    from lstm_helpers.models import CharLSTM

    torch.manual_seed(0)
    model = CharLSTM(vocab_size=7, hidden_size=5, emb_size=3, impl=impl).eval()
    ids = np.random.default_rng(0).integers(0, 7, size=30)
    st = I.run_with_states(model, ids)
    assert set(st) == set(I.STATE_KEYS) and all(v.shape == (30, 5) for v in st.values())
    x = _np(model.embed.weight)[ids]  # (T, E)
    L = model.lstm
    ref = _manual_lstm(x, _np(L.weight_ih_l0), _np(L.weight_hh_l0), _np(L.bias_ih_l0), _np(L.bias_hh_l0))
    for k in "ifgohc":
        assert np.abs(st[k] - ref[k]).max() < 1e-12, k
    assert np.abs(st["tanh_c"] - np.tanh(st["c"])).max() < 1e-15
    with torch.no_grad():
        out, _ = model.lstm(model.embed(torch.from_numpy(ids))[None])
    assert np.abs(st["h"] - out[0].numpy()).max() < 1e-5


def test_run_with_states_second_layer_and_one_hot():
    torch = pytest.importorskip("torch")
    from lstm_helpers.models import CharLSTM

    torch.manual_seed(1)
    model = CharLSTM(vocab_size=6, hidden_size=4, num_layers=2, emb_size=None).eval()
    ids = torch.tensor([0, 5, 2, 2, 1, 3, 4, 0])
    st = I.run_with_states(model, ids, layer=1)
    with torch.no_grad():
        out, _ = model.lstm(torch.nn.functional.one_hot(ids, 6).float()[None])
    assert np.abs(st["h"] - out[0].numpy()).max() < 1e-5


# ------------------------------------------------------------------------------------------------
# saturation


def test_gate_saturation_fractions():
    f = np.array([[0.05, 0.5], [0.95, 0.5], [0.5, 0.99], [0.01, 0.5]])
    g = np.array([[-0.9, 0.0], [0.9, 0.0], [0.0, 0.0], [0.0, -0.95]])
    sat = I.gate_saturation({"f": f, "g": g}, gates="fg")
    assert sat["f"]["left"].tolist() == [0.5, 0.0] and sat["f"]["right"].tolist() == [0.25, 0.25]
    # for the candidate, low = 0.1 means g < -0.8 and high = 0.9 means g > 0.8
    assert sat["g"]["left"].tolist() == [0.25, 0.25] and sat["g"]["right"].tolist() == [0.25, 0.0]
    sat2 = I.gate_saturation({"f": f}, low=0.02, high=0.96, gates=("f",))
    assert sat2["f"]["left"].tolist() == [0.25, 0.0] and sat2["f"]["right"].tolist() == [0.0, 0.25]
    pooled = I.gate_saturation({"f": np.stack([f, f])}, gates="f")  # (N, T, H) pools N and T
    assert pooled["f"]["left"].tolist() == [0.5, 0.0]


# ------------------------------------------------------------------------------------------------
# validation: every bad input names the argument


def test_bad_inputs_raise_value_error_naming_the_argument():
    torch = pytest.importorskip("torch")
    from lstm_helpers.models import CharLSTM

    model = CharLSTM(vocab_size=5, hidden_size=3, emb_size=2)
    cases = [
        (lambda: I.text_features(""), "text: expected a non-empty string"),
        (lambda: I.text_features(["a"]), "text: expected a non-empty string"),
        (lambda: I.html_activations("abc", [1, 2]), r"values: expected shape \(3,\)"),
        (lambda: I.html_activations("ab", [1, np.nan]), "values: expected finite"),
        (lambda: I.html_activations("ab", [1, 2], vmax=0), "vmax: expected a number > 0"),
        (lambda: I.html_activations("ab", [1, 2], levels=0), "levels: expected an int >= 1"),
        (lambda: I.gate_saturation({"f": np.ones((2, 2))}, low=0.9, high=0.1, gates="f"), "low, high: expected"),
        (lambda: I.gate_saturation({"f": np.ones((2, 2))}), "states: expected a 'i' entry"),
        (lambda: I.gate_saturation({"f": np.ones(3)}, gates="f"), r"states\['f'\]: expected shape \(T, H\)"),
        (lambda: I.gate_saturation({"f": np.ones((2, 2))}, gates="fx"), "gates: expected names"),
        (lambda: I.gate_saturation(np.ones((2, 2))), "states: expected a dict"),
        (lambda: I.correlate_cells(np.ones((4, 2)), {"a": np.ones(3)}), r"features\['a'\]: expected shape \(4,\)"),
        (lambda: I.correlate_cells(np.ones(4), {"a": np.ones(4)}), r"states: expected activations of shape \(T, H\)"),
        (lambda: I.correlate_cells({"c": np.ones((4, 2))}, {"a": np.ones(4)}, key="q"), "key: expected one of"),
        (lambda: I.correlate_cells(np.ones((4, 2)), {}), "features: expected a non-empty dict"),
        (lambda: I.pearson_per_unit(np.ones((4, 2)), np.ones(5)), r"feature: expected shape \(4,\)"),
        (lambda: I.run_with_states(model, [0, 5]), r"ids: expected ids in \[0, 5\)"),
        (lambda: I.run_with_states(model, np.zeros((2, 3), dtype=int)), "ids: expected a non-empty 1-D"),
        (lambda: I.run_with_states(model, [0.5, 1.0]), "ids: expected a non-empty 1-D"),
        (lambda: I.run_with_states(model, [1, 2], layer=1), r"layer: expected an int in \[0, 1\)"),
        (lambda: I.run_with_states(torch.nn.Linear(2, 2), [1]), "model: expected a CharLSTM"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    corr = I.correlate_cells(np.ones((4, 2)), {"a": np.arange(4.0)})
    with pytest.raises(ValueError, match="feature: expected one of"):
        corr.best("b")


def test_play_features_on_a_small_script():
    from lstm_helpers.interpretability import PLAY_FEATURE_DESCRIPTIONS, absent_features, play_features

    text = 'x?\n\nGREMIO:\nGood morrow.\nGod save you!\n\nBAPTISTA:\nI (have) "a" son'
    f = play_features(text)
    assert list(f) == list(PLAY_FEATURE_DESCRIPTIONS) and all(v.shape == (len(text),) for v in f.values())

    def chars_where(name):
        return "".join(ch for ch, v in zip(text, f[name]) if v)

    assert chars_where("speaker name") == "GREMIO:\nBAPTISTA:\n"
    assert chars_where("first line of a speech") == "Good morrow.\nI (have) \"a\" son"
    assert f["lines into the speech"][text.index("God")] == 2
    assert f["position in line"][text.index("GREMIO")] == 1 and f["position in line"][text.index("\n")] == 0
    assert chars_where("upper case") == "GREMIOGGBAPTISTAI"
    assert chars_where("newline next") == "?\n:.!\n:"
    assert chars_where("inside quotation") == '"a' and chars_where("inside parenthesis") == "(have"
    assert absent_features(play_features("ab\ncd")) == ["speaker name", "first line of a speech",
                                                          "lines into the speech", "upper case",
                                                          "inside quotation", "inside parenthesis", "is space"]
