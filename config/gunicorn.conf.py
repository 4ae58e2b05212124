"""gunicorn settings for the web process, from the environment (README: "Deployment").

    gunicorn -c config/gunicorn.conf.py config.wsgi:application

Used by the Dockerfile and docker-compose.yml. Options given on the command line win over these.

- WEB_CONCURRENCY: worker processes. Default 2 x CPUs + 1, at most 8: each worker holds a
  database connection per thread and its own copy of the app (about 100 MB), and more than that on
  one small machine only queue for the same CPUs.
- GUNICORN_THREADS: threads per worker (default 1, the sync worker). Above 1 gunicorn runs the
  gthread worker: a slow request (a large CSV export) then ties up one thread, not the process,
  and is not killed by the timeout, since the worker's main thread keeps checking in.
- GUNICORN_TIMEOUT: seconds a sync worker may spend on one request before gunicorn kills and
  replaces it (default 30). With threads, how long a worker may stop answering gunicorn at all.
- PORT: the port to listen on, on every interface (default 8000).
"""

import os


def _whole_number(name, default, minimum=1):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, not {value}")
    return value


def _cpus():
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


MAX_DEFAULT_WORKERS = 8

bind = f"0.0.0.0:{_whole_number('PORT', 8000)}"
workers = _whole_number("WEB_CONCURRENCY", min(2 * _cpus() + 1, MAX_DEFAULT_WORKERS))
threads = _whole_number("GUNICORN_THREADS", 1)
timeout = _whole_number("GUNICORN_TIMEOUT", 30)
# A restart or deploy lets requests in flight finish for as long as one may take.
graceful_timeout = timeout

# One line per request and every error on stdout/stderr, for the container's log.
accesslog = "-"
errorlog = "-"

# Workers tell the arbiter they are alive by touching a file; in a container /tmp can be an
# overlay filesystem where that write sometimes stalls long enough to get a healthy worker
# killed. Memory-backed /dev/shm, where there is one, never stalls.
if os.path.isdir("/dev/shm"):  # noqa: S108 (gunicorn's own advice; only its heartbeat files go there)
    worker_tmp_dir = "/dev/shm"  # noqa: S108
