"""gunicorn settings for the web process, from the environment (README: "Deployment").

    gunicorn -c config/gunicorn.conf.py config.wsgi:application

Used by the Dockerfile and docker-compose.yml. Options given on the command line win over these.

- WEB_CONCURRENCY: worker processes. Default 2 x CPUs + 1, at most 8: each worker holds a
  database connection per thread and its own copy of the app (about 100 MB), and more than that
  on one small machine only queue for the same CPUs.
- GUNICORN_THREADS: threads per worker (default 4: gunicorn's gthread worker). A long request,
  such as the CSV export of every lead (minutes at 500,000 leads, streamed), then holds one
  thread, not a whole process, and is not cut off by the timeout, because the worker's main
  thread keeps telling gunicorn it is alive. 1 gives the sync worker, one request at a time per
  process, where any request longer than GUNICORN_TIMEOUT is killed, a streamed export included.
- GUNICORN_TIMEOUT: seconds a worker may go without telling gunicorn it is alive before it is
  killed and replaced (default 30). With the sync worker that is the longest a request may take.
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
threads = _whole_number("GUNICORN_THREADS", 4)
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
