"""gunicorn settings, read from the current folder by `gunicorn wsgi:app`.

Workers and bind address are best given on the command line or in the environment
(GUNICORN_CMD_ARGS); what is here keeps voters' tokens out of the access log.
"""

import sys

from voting.access_log import TokenHidingLogger

logger_class = TokenHidingLogger
# A request may take minutes: printing 10,000 ballot cards renders a PDF of 1,250 pages.
# (It holds no database lock meanwhile; a reverse proxy needs as long a read time-out.)
timeout = 300
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
