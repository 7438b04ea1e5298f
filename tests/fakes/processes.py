"""Stopping a server process a test started: gracefully first, forcibly if it hangs."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM, up to `timeout` seconds to exit, then SIGKILL. Its exit code (-15 when SIGTERM ended it)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode
