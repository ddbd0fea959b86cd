"""gunicorn settings for the FreeSport backend: ``gunicorn -c gunicorn.conf.py freesport.wsgi``.

The access log is LOG_DIR/access.log; every line carries the status and ends with
``request_time <seconds>`` so the runbook's ``awk '{sum+=$NF; count++} ...'`` averages latency.
Env: GUNICORN_BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (workers, default 2),
GUNICORN_THREADS (default 1), GUNICORN_TIMEOUT (default 60), LOG_DIR.
"""

import os
from pathlib import Path

_log_dir = Path(os.environ.get("LOG_DIR") or Path(__file__).resolve().parent / "var" / "log")
_log_dir.mkdir(parents=True, exist_ok=True)

wsgi_app = "freesport.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
chdir = str(Path(__file__).resolve().parent)
accesslog = str(_log_dir / "access.log")
errorlog = str(_log_dir / "gunicorn.log")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# host - user [time] "request" status bytes "referer" "user-agent" request_time seconds(float)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_time %(L)s'
