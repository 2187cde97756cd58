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
accesslog = "-"
# No query strings in the access log: they may hold a folio or a code.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
