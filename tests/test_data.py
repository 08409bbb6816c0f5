"""Tests for lstm_helpers.data: synthetic tasks, corpora and the downloader, vocabulary, batches.

The downloader is exercised for real against http.server on 127.0.0.1; nothing leaves the machine.
"""

import functools
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest
import torch

from lstm_helpers import data

# ---------------------------------------------------------------------------------- synthetic


def test_sine_mixture_shape_range_determinism():
    s = data.sine_mixture(5, 200, n_components=3, seed=1)
    assert s.shape == (5, 200) and s.dtype == np.float32
    assert np.abs(s).max() <= 1.0 + 1e-6  # amplitudes sum to 1
    np.testing.assert_array_equal(s, data.sine_mixture(5, 200, n_components=3, seed=1))
    assert not np.array_equal(s, data.sine_mixture(5, 200, n_components=3, seed=2))
    noisy = data.sine_mixture(5, 200, noise=0.1, seed=1)
    assert 0.05 < np.std(noisy - s) < 0.15
    with pytest.raises(ValueError, match="noise"):
        data.sine_mixture(5, 200, noise=-1.0)


def test_make_windows_matches_slices():
    s = data.sine_mixture(2, 30, seed=0)
    x, y = data.make_windows(s, input_len=10, horizon=3)
    per_series = 30 - 10 - 3 + 1
    assert x.shape == (2 * per_series, 10, 1) and y.shape == (2 * per_series, 3)
    assert x.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(x[per_series + 4, :, 0], s[1, 4:14])
    np.testing.assert_array_equal(y[per_series + 4], s[1, 14:17])
    x1, _ = data.make_windows(s[0], 10, 3)  # 1-D input is one series
    np.testing.assert_array_equal(x1, x[:per_series])
    with pytest.raises(ValueError, match="series"):
        data.make_windows(s, 25, 10)


def test_adding_problem_markers_and_baseline():
    x, y = data.adding_problem(20000, 50, seed=0)
    assert x.shape == (20000, 50, 2) and y.shape == (20000,)
    assert x.dtype == y.dtype == np.float32
    marker = x[:, :, 1]
    assert set(np.unique(marker)) == {0.0, 1.0}
    assert (marker[:, :25].sum(1) == 1).all() and (marker[:, 25:].sum(1) == 1).all()
    assert (x[:, :, 0] >= 0).all() and (x[:, :, 0] < 1).all()
    np.testing.assert_allclose(y, (x[:, :, 0] * marker).sum(1), rtol=1e-6)
    mse_of_mean = np.mean((y - y.mean()) ** 2)
    assert abs(mse_of_mean - 1 / 6) < 0.01
    np.testing.assert_array_equal(y, data.adding_problem(20000, 50, seed=0)[1])


def test_long_lag_recall():
    x, y = data.long_lag_recall(500, lag=20, n_symbols=4, seed=0)
    assert x.shape == (500, 21, 5) and x.dtype == np.float32 and y.dtype == np.int64
    assert (x.sum(-1) == 1).all()  # one-hot at every step
    np.testing.assert_array_equal(x[:, 0].argmax(-1), y)
    assert (x[:, 1:, 4] == 1).all()  # blanks after the symbol
    assert set(np.unique(y)) == {0, 1, 2, 3}
    xn, yn = data.long_lag_recall(500, lag=20, n_symbols=4, seed=0, noise=True)
    np.testing.assert_array_equal(yn, y)
    assert (xn[:, 1:, 4] == 0).all()  # distractors are real symbols, never the blank
    np.testing.assert_array_equal(xn, data.long_lag_recall(500, 20, 4, seed=0, noise=True)[0])


def test_store_recall():
    x, y, write, read = data.store_recall(1000, 12, seed=3)
    assert x.shape == (1000, 12, 3) and y.shape == (1000,) and x.dtype == np.float32
    assert write.dtype == read.dtype == np.int64
    assert (x[:, :, 1].sum(1) == 1).all() and (x[:, :, 2].sum(1) == 1).all()
    np.testing.assert_array_equal(x[:, :, 1].argmax(1), write)
    np.testing.assert_array_equal(x[:, :, 2].argmax(1), read)
    assert (read > write).all() and (read < 12).all()
    np.testing.assert_array_equal(y, x[np.arange(1000), write, 0])
    np.testing.assert_array_equal(y, data.store_recall(1000, 12, seed=3)[1])


# ---------------------------------------------------------------------------------- vocabulary


def test_vocab_round_trip_and_dict():
    text = "hello, world!\nLSTM gates: i f g o"
    vocab = data.CharVocab(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and len(vocab) == len(set(text))
    assert vocab.decode(ids) == text
    assert vocab.decode(torch.from_numpy(ids)) == text
    again = data.CharVocab.from_dict(vocab.to_dict())
    assert again.chars == vocab.chars
    with pytest.raises(ValueError, match="text"):
        vocab.encode("Z")


def test_train_val_split_sizes():
    ids = np.arange(1000)
    train, val = data.train_val_split(ids)
    assert len(train) == 900 and len(val) == 100
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)
    with pytest.raises(ValueError, match="val_fraction"):
        data.train_val_split(ids, 1.5)


def test_get_batch_shift_and_determinism():
    ids = torch.arange(500)
    x, y = data.get_batch(ids, 8, 16, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 16) and x.dtype == torch.int64
    torch.testing.assert_close(y, x + 1)  # arange data: the next token is the id plus one
    x2, _ = data.get_batch(ids, 8, 16, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(x, x2)
    assert int(x.max()) < 499
    with pytest.raises(ValueError, match="data"):
        data.get_batch(ids.float(), 8, 16)
    with pytest.raises(ValueError, match="seq_len"):
        data.get_batch(ids, 8, 0)


# ---------------------------------------------------------------------------------- corpora


def test_pystdlib_loads_offline():
    text = data.load_corpus("pystdlib")
    assert 300_000 < len(text) < 700_000
    assert "def dedent" in text and "def bisect_right" in text
    assert data.load_corpus() == text  # the default


def test_load_corpus_local_path_and_unknown_name(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("to be or not to be", encoding="utf-8")
    assert data.load_corpus(str(path)) == "to be or not to be"
    assert data.load_corpus(path) == "to be or not to be"
    with pytest.raises(ValueError, match="tinyshakespeare"):
        data.load_corpus("no-such-corpus")


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_DATA_DIR", str(tmp_path))
    assert data.cache_dir() == tmp_path
    monkeypatch.delenv("LSTM_DATA_DIR")
    assert data.cache_dir().name == "lstm_helpers"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on a random free port of 127.0.0.1; yields (base_url, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    httpd.shutdown()
    httpd.server_close()


PAYLOAD = b"First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_success(server, tmp_path):
    url, www = server
    (www / "input.txt").write_bytes(PAYLOAD)
    dest = tmp_path / "cache" / "corpus.txt"
    assert data.download(f"{url}/input.txt", dest, PAYLOAD_SHA) == dest
    assert dest.read_bytes() == PAYLOAD
    assert sorted(p.name for p in dest.parent.iterdir()) == ["corpus.txt"]  # no temp file left


def test_download_checksum_mismatch_leaves_nothing(server, tmp_path):
    url, www = server
    (www / "input.txt").write_bytes(PAYLOAD[:-10] + b"corrupted!")
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(data.DownloadError, match="(?s)Checksum mismatch.*by hand"):
        data.download(f"{url}/input.txt", cache / "corpus.txt", PAYLOAD_SHA)
    assert list(cache.iterdir()) == []


def test_cached_corrupt_file_is_fetched_again(server, tmp_path, monkeypatch):
    url, www = server
    (www / "input.txt").write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tinyshakespeare.txt").write_bytes(PAYLOAD[:100])  # a partial earlier download
    monkeypatch.setitem(data.REMOTE_CORPORA, "tinyshakespeare",
                        (f"{url}/input.txt", PAYLOAD_SHA, "tinyshakespeare.txt"))
    monkeypatch.setenv("LSTM_DATA_DIR", str(cache))
    assert data.load_corpus("tinyshakespeare") == PAYLOAD.decode()
    assert (cache / "tinyshakespeare.txt").read_bytes() == PAYLOAD
    # A verified cached copy is used as is: no server needed any more.
    (www / "input.txt").unlink()
    assert data.load_corpus("tinyshakespeare") == PAYLOAD.decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_raises_download_error_with_hint(tmp_path):
    dest = tmp_path / "cache" / "tinyshakespeare.txt"
    with pytest.raises(data.DownloadError) as info:
        data.download(f"http://127.0.0.1:{_free_port()}/input.txt", dest, PAYLOAD_SHA, timeout=5)
    msg = str(info.value)
    assert "by hand" in msg and str(dest) in msg and "local file" in msg
    assert not dest.exists()


def test_missing_url_raises_download_error(server, tmp_path):
    url, _ = server
    with pytest.raises(data.DownloadError, match="404"):
        data.download(f"{url}/nope.txt", tmp_path / "x.txt", PAYLOAD_SHA)
