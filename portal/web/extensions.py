"""Unbound singletons, bound to the app in create_app()."""

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from peewee import DatabaseProxy

db = DatabaseProxy()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
htmx_ext = Htmx()
