"""Static files that phones cache for good: every URL carries a hash of the file's content."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    versions: dict[str, str] = {}
    folder = Path(app.static_folder or "")

    def version(filename: str) -> str:
        if filename not in versions:
            try:
                digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
            except OSError:
                digest = "0"
            versions[filename] = digest
        return versions[filename]

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", version(values["filename"]))

    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR
