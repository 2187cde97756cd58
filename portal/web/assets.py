"""Static files under content-hashed names, cached for a year.

``asset("css/portal.css")`` gives ``/static/css/portal.3f9a1c2b.css``. A
changed file gets a new name, so browsers may keep every name forever. The
manifest is built once at start-up from the files in ``static/`` (third-party
files are copied to ``static/vendor/`` by the setup command, never committed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

STATIC = Path(__file__).resolve().parents[2] / "static"
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("assets", __name__)


def build_manifest(root: Path = STATIC) -> dict[str, str]:
    manifest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        hashed = relative.with_name(f"{path.stem}.{digest}{path.suffix}")
        manifest[relative.as_posix()] = hashed.as_posix()
    return manifest


def asset(logical: str) -> str:
    hashed = current_app.extensions["asset_manifest"].get(logical)
    if hashed is None:
        raise KeyError(f"static file not found: {logical} (run the setup command?)")
    return f"/static/{hashed}"


@bp.route("/static/<path:hashed>")
def static_file(hashed: str):
    reverse = current_app.extensions["asset_reverse"]
    logical = reverse.get(hashed)
    if logical is None:
        abort(404)
    response = send_from_directory(STATIC, logical, max_age=ONE_YEAR)
    # send_file streams the file untouched; let flask-compress compress it
    # (a proxy in front may serve pre-compressed copies instead).
    response.direct_passthrough = False
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


def init_app(app) -> None:
    manifest = build_manifest()
    app.extensions["asset_manifest"] = manifest
    app.extensions["asset_reverse"] = {v: k for k, v in manifest.items()}
    app.register_blueprint(bp)
