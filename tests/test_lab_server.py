"""The lab command starts a real JupyterLab that serves the series (loopback, token, free port)."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_make_serve_lab_serves_the_notebooks(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path)  # keep this server's files out of the user's runtime dir
    cmd = ["make", "-s", "serve-lab", f"PY={sys.executable}", f"LAB_PORT={port}", f"LAB_TOKEN={token}"]
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the lab server exited early:\n{(tmp_path / 'lab.log').read_text()}")
            try:
                status = _get(f"{base}/api/status", token)
                break
            except OSError:
                time.sleep(0.5)
        assert status is not None, f"no answer from /api/status in 60 s:\n{(tmp_path / 'lab.log').read_text()}"
        root = _get(f"{base}/api/contents", token)
        assert "notebooks" in {item["name"] for item in root["content"]}
        listing = _get(f"{base}/api/contents/notebooks", token)
        assert "00_start_here.ipynb" in {item["name"] for item in listing["content"]}
        with pytest.raises(urllib.error.HTTPError):  # and the token is really required
            urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    finally:
        _stop(proc)
        log.close()


def _stop(proc):
    """Stop make and the server it started (they share a process group)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
