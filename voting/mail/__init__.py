"""Emailing attendees their ballot links.

``messages`` writes the email from templates in the attendee's language, ``smtp`` talks to the
mail server, ``sending`` is the resumable sender behind the console's button, `voting tokens
send` and the desk's "send again". Who was sent what is kept by operations/delivery.py.
"""
