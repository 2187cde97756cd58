"""Production server settings: ``gunicorn wsgi:app`` reads this file.

Sync workers suit the portal: requests are short and database-bound. Two per
core plus one is gunicorn's rule of thumb; WEB_CONCURRENCY overrides it.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Uploads are capped by MAX_UPLOAD_MB; the reverse proxy caps them too.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# GUNICORN_ACCESSLOG=off turns the access log off (bench/access_log.py compares).
accesslog = None if os.environ.get("GUNICORN_ACCESSLOG") == "off" else "-"
# The access log is written by a thread of each worker, off the request's path
# (portal/web/logs.py); its line is fixed there: address, method, path without
# the query string (it may hold a folio or a code), status, bytes, duration.
logger_class = "portal.web.logs.QueuedAccessLogger"
