"""One blueprint per area of the portal, and the shell's links between them."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_login import current_user

from portal.messages import _l
from portal.web.auth import is_staff, may_open
from portal.web.i18n import content_language, select_locale
from portal.web.kiosk import is_kiosk

# Links show up once the area that serves them is registered.
CITIZEN_NAV = [
    ("catalog.index", _l("Programas")),
    ("questionnaire.start", _l("¿Qué apoyos puedo recibir?")),
    ("applications.index", _l("Mis solicitudes")),
    ("profile.my_data", _l("Mis datos")),
    ("applications.notices", _l("Avisos")),
    ("appointments.index", _l("Mis citas")),
]
# In this order: staff land on the first link their role may open.
STAFF_NAV = [
    ("oficina.queue", _l("Solicitudes")),
    ("oficina_assisted.start", _l("Atención en ventanilla")),
    ("field.page", _l("Brigadas")),
    ("delivery.index", _l("Entregas")),
    ("credential_office.search", _l("Credenciales")),
    ("delivery_calendar.index", _l("Calendario de entregas")),
    ("appointments_office.index", _l("Citas")),
    ("oficina_admin.programs", _l("Programas")),
    ("oficina_admin.calls", _l("Convocatorias")),
    ("padron.index", _l("Padrones")),
    ("rights_office.queue", _l("Derechos ARCO")),
    ("rights_office.blackouts", _l("Veda electoral")),
    ("complaints_office.queue", _l("Quejas y denuncias")),
    ("planning.index", _l("Planeación y presupuesto")),
    ("secretariat.index", _l("Calendario de informes")),
]
HOME_ACTIONS = [
    (
        "questionnaire.start",
        _l("Vea qué apoyos puede recibir"),
        _l("Unas preguntas sencillas, sin registrarse."),
    ),
    ("catalog.index", _l("Conozca los programas"), _l("Para quién es cada uno y qué pide.")),
    ("applications.index", _l("Siga su solicitud"), _l("Entre con su llave digital.")),
    (
        "appointments.index",
        _l("Pida una cita en una oficina"),
        _l("Elija el día y la hora; puede cambiarla o cancelarla."),
    ),
]


def _available(rows):
    return [row for row in rows if row[0] in current_app.view_functions]


def staff_links(role: str):
    """The staff menu for ``role``: only the areas whose views let it in."""
    return [row for row in STAFF_NAV if may_open(row[0], role)]


def nav_links():
    return staff_links(current_user.role) if is_staff() else _available(CITIZEN_NAV)


def nav_key() -> str:
    """What :func:`nav_links` depends on: the staff member's role, or nothing."""
    return f"personal:{current_user.role}" if is_staff() else "público"


def staff_may_open(endpoint: str) -> bool:
    return is_staff() and may_open(endpoint, current_user.role)


def home_actions():
    return _available(HOME_ACTIONS)


def sign_out_endpoint() -> str:
    return "oficina_auth.logout" if is_staff() else "auth.sign_out"


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def idle_seconds() -> int:
    """How long the session clock lets this person be idle (staff have their own limit)."""
    config = current_app.config
    minutes = config["STAFF_IDLE_MINUTES"] if is_staff() else config["CITIZEN_IDLE_MINUTES"]
    return minutes * 60


def shell_context() -> dict[str, object]:
    """What the layout shows on every page: the state, the language, kiosk mode, the path."""
    return {
        "state_name": current_app.config["STATE_NAME"],
        "lang": select_locale(),
        "content_lang": content_language(),
        "kiosk": is_kiosk(),
        "current_path": request.full_path.rstrip("?"),
    }


def register_blueprints(app: Flask) -> None:
    from portal.applications import views as applications
    from portal.appointments import views as appointments
    from portal.backoffice.views import admin as oficina_admin
    from portal.backoffice.views import counter as oficina_assisted
    from portal.backoffice.views import counter_questionnaire as oficina_questionnaire
    from portal.backoffice.views import program_editor as oficina_editor
    from portal.backoffice.views import review as oficina
    from portal.backoffice.views import signin as oficina_auth
    from portal.catalog import views as catalog
    from portal.citizens.views import profile
    from portal.citizens.views import signin as auth
    from portal.complaints import views as complaints
    from portal.delivery.views import calendar as delivery_calendar
    from portal.delivery.views import credential
    from portal.delivery.views import ending as delivery_ending
    from portal.delivery.views import point as delivery
    from portal.delivery.views import recertification as delivery_recertification
    from portal.delivery.views import replacement as credential_office
    from portal.eligibility import views as questionnaire
    from portal.field import views as field
    from portal.outreach import views as outreach
    from portal.planning import views as planning
    from portal.rights import views as rights
    from portal.rolls import views as padron
    from portal.secretariat import views as secretariat
    from portal.territory import views as territory
    from portal.transparency import views as transparency
    from portal.web import errors
    from portal.web import views as public

    errors.init_app(app)
    credential.init_app(app)
    for area in (
        public,
        applications,
        catalog,
        questionnaire,
        auth,
        oficina_auth,
        profile,
        padron,
        transparency,
        delivery,
        credential_office,
        delivery_calendar,
        delivery_ending,
        delivery_recertification,
        oficina_admin,
        oficina_editor,
        oficina,
        oficina_assisted,
        oficina_questionnaire,
        rights,
        planning,
        secretariat,
        territory,
        complaints,
        outreach,
        field,
    ):
        app.register_blueprint(area.bp)
    app.register_blueprint(rights.office)
    app.register_blueprint(appointments.bp)
    app.register_blueprint(appointments.office)
    app.register_blueprint(complaints.office)
    app.register_blueprint(delivery_recertification.office)
