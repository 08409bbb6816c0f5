"""The lab command starts a real JupyterLab that serves the series (loopback, token, free port)."""

import json
import os
import urllib.request

import pytest
from conftest import serve_lab


def _get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_make_serve_lab_serves_the_notebooks(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path)  # keep this server's files out of the user's runtime dir
    with serve_lab(env, tmp_path / "lab.log", timeout_s=60) as lab:
        base, token = lab["base"], lab["token"]
        assert _get(f"{base}/api/status", token) is not None
        root = _get(f"{base}/api/contents", token)
        assert "notebooks" in {item["name"] for item in root["content"]}
        listing = _get(f"{base}/api/contents/notebooks", token)
        assert "00_start_here.ipynb" in {item["name"] for item in listing["content"]}
        with pytest.raises(urllib.error.HTTPError):  # and the token is really required
            urllib.request.urlopen(f"{base}/api/contents", timeout=5)
