"""gunicorn settings for the web tier (scripts/prod-up.sh, deploy/systemd/registry-web.service, Containerfile).

gthread workers: each worker is one process with GUNICORN_THREADS threads. A request spends most of
its time waiting on PostgreSQL (and on argon2 at login, which releases the GIL), so threads overlap
that wait; processes give the CPU-bound parts (template rendering, JSON) one core each. Size:
GUNICORN_WORKERS = cores (+1 so one worker restarting does not idle a core), GUNICORN_THREADS = 4.
Each thread may hold one database connection: workers × threads × web nodes must stay below
pgbouncer's max_client_conn (docs/deployment.md)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8481")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A worker that hangs (a stuck query) is killed and replaced after this long; uploads are read by nginx
# first (proxy_request_buffering), so a slow client never holds a thread.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory held by large exports); jitter so they do not all restart at once.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}i)s'
