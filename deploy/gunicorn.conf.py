"""gunicorn settings for the web process. The engine is CPU-bound: scale with processes."""

import multiprocessing
import os

bind = os.environ.get("STROOM_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("STROOM_WEB_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("STROOM_WEB_THREADS", "2"))
timeout = 60
graceful_timeout = 30
accesslog = "-"
forwarded_allow_ips = os.environ.get("STROOM_FORWARDED_ALLOW_IPS", "127.0.0.1")
