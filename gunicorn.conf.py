"""gunicorn settings, read from the current folder by `gunicorn wsgi:app`.

Workers and bind address are best given on the command line or in the environment
(GUNICORN_CMD_ARGS); what is here keeps voters' tokens out of the access log.
"""

from voting.access_log import TokenHidingLogger

logger_class = TokenHidingLogger
# Behind a reverse proxy the client's address comes from X-Forwarded-For (see the README).
forwarded_allow_ips = "127.0.0.1"
