"""Entry point of the queue consumer: ``huey_consumer portal.worker.huey``."""

from . import create_app
from .queue import huey

app = create_app()

__all__ = ["app", "huey"]
