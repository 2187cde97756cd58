"""The bare Flask page bench/load.py alternates with every portal page.

Served by the same gunicorn settings (``gunicorn.conf.py``, the same workers
and threads) as the portal, so the ratio page/bare is the portal's own cost:
``gunicorn -c gunicorn.conf.py bench.load_bare:app``.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)

PAGE = (
    "<!doctype html><html lang=es-MX><meta charset=utf-8><title>Hola</title>"
    "<p>Página mínima de Flask para comparar.</p></html>"
)


@app.get("/")
def bare() -> str:
    return PAGE
