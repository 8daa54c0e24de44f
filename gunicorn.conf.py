"""gunicorn settings, read from the current folder by `gunicorn wsgi:app`.

Workers and bind address are best given on the command line or in the environment
(GUNICORN_CMD_ARGS); what is here keeps voters' tokens out of the access log.
"""

import sys

from voting.access_log import TokenHidingLogger

logger_class = TokenHidingLogger
# Threads, not sync workers: a sync worker belongs to one connection until it is done, so two
# phones that open a connection and stall (a hall's Wi-Fi, or someone on purpose) would hold
# both workers. A thread worker waits for a request to arrive before giving it a thread.
# nginx in front still matters: it buffers slow uploads and slow readers, so that no
# thread waits on a phone at all (see the README).
worker_class = "gthread"
threads = 8
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
