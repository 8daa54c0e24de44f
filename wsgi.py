"""The app for a WSGI server: `gunicorn wsgi:app` (instance folder from $VOTING_INSTANCE)."""

from voting import create_app

app = create_app()
