"""Entry point of the queue consumer: ``huey_consumer portal.worker.huey``.

Importing each area's ``tasks`` module registers its tasks with the consumer.
"""

from portal import create_app
from portal.applications import tasks as outbox_tasks
from portal.appointments import tasks as appointment_tasks
from portal.backoffice import tasks as audit_tasks
from portal.complaints import tasks as complaint_tasks
from portal.delivery import tasks as delivery_tasks
from portal.outreach import tasks as outreach_tasks
from portal.rolls import tasks as roll_tasks
from portal.secretariat import tasks as secretariat_tasks
from portal.transparency import tasks as open_data_tasks
from portal.web import tasks as web_tasks
from portal.web.queue import huey

app = create_app()

__all__ = [
    "app",
    "appointment_tasks",
    "audit_tasks",
    "complaint_tasks",
    "delivery_tasks",
    "huey",
    "open_data_tasks",
    "outbox_tasks",
    "outreach_tasks",
    "roll_tasks",
    "secretariat_tasks",
    "web_tasks",
]
