"""The app for a WSGI server: `gunicorn wsgi:app` (instance folder from $VOTING_INSTANCE).

It refuses to start, with a one-line reason, when the instance is not safe to serve, and
runs the timer that publishes the board's batches while nobody casts.
"""

import sys

from voting import batch_timer, create_app
from voting.safety import UnsafeConfiguration, refuse_unsafe

app = create_app()
try:
    refuse_unsafe(app)
except UnsafeConfiguration as exc:
    sys.exit(f"voting: {exc}")
batch_timer.start(app)
