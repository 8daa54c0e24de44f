"""gunicorn settings, read from the current folder by `gunicorn wsgi:app`.

Workers and bind address are best given on the command line or in the environment
(GUNICORN_CMD_ARGS); what is here keeps voters' tokens out of the access log.
"""

import gc
import sys

from voting.access_log import TokenHidingLogger

logger_class = TokenHidingLogger
# Threads, not sync workers: a request waiting on the database (a cast queued behind another
# cast's write) holds a thread, not the whole worker. Four, not more: a worker's threads take
# turns at Python's interpreter lock, and with eight B1's hall without a cast pool had a cast
# p99 of 126 to 614 ms (five runs) against 44 and 48 ms with four, on two cores
# (docs/performance.md). A connection that stalls half-way through its request
# holds a thread too, so gunicorn must sit behind nginx, which reads each request whole
# before passing it on (see the README; tests/test_edges.py).
worker_class = "gthread"
threads = 4
# A request may take minutes: printing 10,000 ballot cards renders a PDF of 1,250 pages.
# (It holds no database lock meanwhile; a reverse proxy needs as long a read time-out.)
timeout = 300
# Longer than nginx keeps an idle upstream connection (keepalive_timeout, 60 s): the side
# that closes an idle connection must be nginx. With gunicorn's 2 s, nginx now and then
# sent a request down a connection gunicorn was closing, and the voter got a 502 (B9).
keepalive = 75
# Behind a reverse proxy the client's address comes from X-Forwarded-For (see the README).
forwarded_allow_ips = "127.0.0.1"


def on_starting(server):
    """Refuse to serve an unsafe instance with one line, before any worker starts."""
    from voting import create_app
    from voting.safety import UnsafeConfiguration, refuse_unsafe

    try:
        refuse_unsafe(create_app())
    except UnsafeConfiguration as exc:
        print(f"voting: {exc}", file=sys.stderr)
        sys.exit(1)


def post_worker_init(worker):
    """Keep the loaded app out of the garbage collector's full passes.

    A worker holds about 160,000 objects once the app is loaded (SQLAlchemy, Jinja, Babel,
    cryptography), and each full collection walked them all with the interpreter lock held:
    80 to 515 ms in which none of the worker's threads ran, every queued cast waiting behind
    it (B1's hall through the cast pool, docs/performance.md). Frozen, they are never
    collected, which is right for modules, the app and its caches; what requests create is
    collected as before.
    """
    gc.collect()
    gc.freeze()
