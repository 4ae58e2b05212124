"""How every benchmark script runs: progress printed as it happens, SIGTERM and Ctrl+C clean up
what the run started, and the exit code says whether it failed."""

import signal
import sys


def run_bench(bench, cleanup):
    """Run `bench.run()`, then `cleanup()` whatever happens; 130 when interrupted, 1 when the
    bench set `failed`, else 0."""
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also in a pipe

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        bench.run()
    except KeyboardInterrupt:
        bench.failed = True
        print("\ninterrupted: cleaning up", file=sys.stderr)
        return 130
    except BaseException:
        bench.failed = True
        raise
    finally:
        cleanup()
    return 1 if bench.failed else 0
