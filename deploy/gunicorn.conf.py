"""gunicorn settings for a province's server (``gunicorn -c deploy/gunicorn.conf.py``).

Tablets on 2G links upload photos in chunks of 16–256 KiB at a few kB/s, and nginx
passes those bodies through unbuffered (``proxy_request_buffering off``) so that a cut
chunk keeps the bytes that arrived. A slow body therefore occupies a gunicorn thread for
as long as the link needs: threaded workers (``gthread``) keep one slow upload from
holding a whole process, and the time-out is long enough for 256 KiB at 2 kB/s.

Every setting can be changed from the environment (``/etc/motcua/motcua.env``).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

bind = os.environ.get("MOTCUA_BIND", "127.0.0.1:8000")
# Two processes per core plus one; each runs several threads for slow uploads.
workers = int(os.environ.get("MOTCUA_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("MOTCUA_THREADS", 8))
# 256 KiB at 2,000 B/s is ~130 s; a worker silent for longer than this is restarted.
timeout = int(os.environ.get("MOTCUA_WORKER_TIMEOUT", 180))
graceful_timeout = 30
keepalive = 15  # nginx keeps upstream connections open (``keepalive`` in the site)
# Recycle workers now and then: a slow leak never grows for months.
max_requests = 5000
max_requests_jitter = 500
# nginx on the same machine sets X-Forwarded-For/-Proto; the app trusts one proxy hop
# (MOTCUA_PROXY_COUNT=1).
forwarded_allow_ips = os.environ.get("MOTCUA_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# One JSON line per request on stdout (journald): the request id joins it to the app's log.
access_log_format = (
    '{"ts":"%(t)s","request_id":"%({x-request-id}i)s","remote":"%({x-forwarded-for}i)s",'
    '"method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":%(B)s,"ms":%(M)s}'
)
control_socket_disable = True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: Any) -> None:
    """Prometheus multiprocess mode: every process writes its counters into one folder
    (the job worker too). Files of processes that are gone are removed at start."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # e.g. counter_1234.db
            pid = stale.stem.rpartition("_")[2]
            if not pid.isdigit() or not _alive(int(pid)):
                stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
