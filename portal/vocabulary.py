"""The portal's one vocabulary: statuses, states, roles, actor kinds, audit actions.

Each is a :class:`~enum.StrEnum`, so a member *is* its string: it is stored in
the database, compared with what a form posts and printed in the audit trail
as the same Spanish word. The web, the CLI, the queue and the demo data all
name things through these enums; :func:`portal.backoffice.audit.record` refuses an action
that is not an :class:`AuditAction`, so a new act cannot get a second name.
"""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    BORRADOR = "borrador"
    ENVIADA = "enviada"
    EN_REVISION = "en_revision"
    REQUIERE_CORRECCION = "requiere_correccion"
    APROBADA = "aprobada"
    RECHAZADA = "rechazada"
    ENTREGADA = "entregada"
    CANCELADA = "cancelada"
    # Eligible and sent while the call's places were all taken: waits, in
    # order, for a place to free (portal/applications/workflow.py).
    EN_ESPERA = "en_espera"
    # Approved, but the re-certification the program asks was not presented by
    # its due date and grace days: nothing is delivered until staff accept the
    # proof, which makes it ``aprobada`` again (portal/delivery/recertification.py).
    SUSPENDIDA = "suspendida"


S = ApplicationStatus
# The statuses in which an application holds one of its call's places
# (Call.places_taken): from submission until it is rejected or cancelled.
PLACE_STATUSES: tuple[str, ...] = (
    S.ENVIADA,
    S.EN_REVISION,
    S.REQUIERE_CORRECCION,
    S.APROBADA,
    S.ENTREGADA,
    S.SUSPENDIDA,
)
# Live applications count against "one application per person, program and
# call": those holding a place and those waiting for one.
LIVE_STATUSES: tuple[str, ...] = (*PLACE_STATUSES, S.EN_ESPERA)
STATUSES: tuple[str, ...] = tuple(s.value for s in ApplicationStatus)
# Waiting for a decision (a reviewer holds the case meanwhile).
HELD_STATUSES: tuple[str, ...] = (S.ENVIADA, S.EN_REVISION, S.REQUIERE_CORRECCION)
# The person receives the program: an enrollment exists and is active.
BENEFICIARY_STATUSES: tuple[str, ...] = (S.APROBADA, S.ENTREGADA)


class EnrollmentState(StrEnum):
    """An enrollment is active until it ends; it is never deleted."""

    ACTIVA = "activa"
    TERMINADA = "terminada"


class EnrollmentSource(StrEnum):
    SOLICITUD = "solicitud"  # an approved application
    PADRON = "padron"  # a row of a roll the agency already had


class RecertificationStatus(StrEnum):
    """Where one re-certification (an enrollment's due date) stands."""

    PENDIENTE = "pendiente"  # nothing presented yet
    POR_REVISAR = "por_revisar"  # a proof was uploaded; staff have not judged it
    CORREGIR = "corregir"  # staff asked for another proof, with a reason
    ACEPTADA = "aceptada"  # done: the next due date has its own row


RECERTIFICATION_STATUSES: tuple[str, ...] = tuple(s.value for s in RecertificationStatus)


class DocumentStatus(StrEnum):
    PENDIENTE = "pendiente"
    ACEPTADO = "aceptado"
    RECHAZADO = "rechazado"


class Role(StrEnum):
    REVISOR = "revisor"
    ENTREGA = "entrega"
    SUPERVISOR = "supervisor"
    ADMIN_DEPENDENCIA = "admin_dependencia"
    ADMIN_ESTATAL = "admin_estatal"
    # The coordinating secretariat: state level, validates what agencies submit.
    SECRETARIA = "secretaria"
    # Counter staff of the state's offices: serve any agency's programs.
    VENTANILLA_ESTATAL = "ventanilla_estatal"


STAFF_ROLES: tuple[str, ...] = tuple(r.value for r in Role)
# Roles of the state itself, not of one agency: their accounts have no agency.
STATE_ROLES: tuple[str, ...] = (Role.ADMIN_ESTATAL, Role.SECRETARIA, Role.VENTANILLA_ESTATAL)
# Who serves every agency's programs at the counter (and on brigades); other
# counter staff serve their own agency's.
SERVE_EVERY_AGENCY: tuple[str, ...] = (Role.ADMIN_ESTATAL, Role.VENTANILLA_ESTATAL)


class SubmissionStatus(StrEnum):
    """Where something an agency sent to the secretariat stands
    (portal/secretariat/validation.py holds the allowed moves)."""

    ENVIADA = "enviada"
    EN_REVISION = "en_revision"
    ACEPTADA = "aceptada"
    DEVUELTA = "devuelta"


class ActorKind(StrEnum):
    CIUDADANO = "ciudadano"
    PERSONAL = "personal"
    SISTEMA = "sistema"
    ANONIMO = "anonimo"


class Assistance(StrEnum):
    """What a staff member did for a person at the counter (separation of duties)."""

    REGISTRO = "registro"  # created the person's record
    CUESTIONARIO = "cuestionario"  # answered the questionnaire with them
    SOLICITUD = "solicitud"  # filed or sent an application for them
    DOCUMENTO = "documento"  # uploaded a document for them


class ViewReason(StrEnum):
    """Why staff opened a person's record: shown to the person in /mis-datos."""

    VENTANILLA = "ventanilla"
    REVISION = "revision"
    ENTREGA = "entrega"
    ARCO = "arco"  # the data-protection office answering the person's ARCO request
    DUPLICADOS = "duplicados"  # the state admin comparing probable duplicate records
    QUEJA = "queja"  # the complaints desk reading a complaint the person filed signed in


class ConsentPurpose(StrEnum):
    """What a person may agree to (portal/citizens/consents.py)."""

    CONTACTO = "contacto"  # keep their phone, e-mail and address to send them notices
    AVISOS_PROGRAMAS = "avisos_programas"  # be told of programs they may receive


class AuditAction(StrEnum):
    # The citizen's sign-in, record and privacy.
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    PRIVACY_ACCEPT = "privacy.accept"
    PROFILE_EDIT = "profile.edit"
    RECORD_UPDATE = "record.update"
    RECORD_EXPORT = "record.export"
    CORRECTION_REQUEST = "correction.request"
    # A parent or guardian gave their child's CURP to apply for them.
    CHILD_RECORD = "record.child"
    # Staff accounts and agencies: the web and the CLI record the same names.
    STAFF_SIGN_IN = "staff.sign_in"
    STAFF_SIGN_OUT = "staff.sign_out"
    STAFF_CREATE = "staff.create"
    STAFF_CHANGE = "staff.change"
    STAFF_DEACTIVATE = "staff.deactivate"
    STAFF_REACTIVATE = "staff.reactivate"
    AGENCY_CREATE = "agency.create"
    AGENCY_CHANGE = "agency.change"
    KIOSK_SET = "kiosk.set"
    KIOSK_UNSET = "kiosk.unset"
    # Applications: one entry per status, named after the status reached.
    APPLICATION_BORRADOR = "solicitud.borrador"
    APPLICATION_ENVIADA = "solicitud.enviada"
    APPLICATION_EN_REVISION = "solicitud.en_revision"
    APPLICATION_REQUIERE_CORRECCION = "solicitud.requiere_correccion"
    APPLICATION_APROBADA = "solicitud.aprobada"
    APPLICATION_RECHAZADA = "solicitud.rechazada"
    APPLICATION_ENTREGADA = "solicitud.entregada"
    APPLICATION_CANCELADA = "solicitud.cancelada"
    APPLICATION_EN_ESPERA = "solicitud.en_espera"
    APPLICATION_SUSPENDIDA = "solicitud.suspendida"
    APPROVAL_REFUSED = "solicitud.aprobacion_rechazada"
    APPROVAL_OVERRIDE = "solicitud.excepcion"
    CASE_VIEW = "ver_solicitud"
    CASE_TAKE = "tomar_solicitud"
    CASE_RELEASE = "soltar_solicitud"
    CASE_FLAG = "marcar_solicitud"
    CASE_CONFLICT = "conflicto"
    DOCUMENT_UPLOAD = "documento.subido"
    DOCUMENT_VIEW = "ver_documento"
    DOCUMENT_ACCEPT = "documento.aceptado"
    DOCUMENT_REJECT = "documento.rechazado"
    DOCUMENT_PENDING = "documento.pendiente"
    ENROLLMENT_START = "inscripcion.alta"
    ENROLLMENT_END = "inscripcion.baja"
    # The counter (assisted mode).
    COUNTER_SEARCH = "ventanilla.buscar"
    COUNTER_ID_CHECK = "ventanilla.identificacion"
    COUNTER_REGISTER = "ventanilla.registrar"
    COUNTER_QUESTIONNAIRE = "ventanilla.cuestionario"
    COUNTER_CONTACT = "ventanilla.contacto"  # contact data taken at the counter, with consent
    # Field registration offline (portal/field/).
    FIELD_SYNC = "brigada.sincronizar"  # a record a brigade device sent
    FIELD_RESOLVE = "brigada.resolver"  # a staff member resolved a record's conflict
    CONSENT_GRANT = "consentimiento.otorgado"
    CONSENT_REVOKE = "consentimiento.revocado"
    RECORD_VIEW = "expediente.consulta"  # staff saw a person's record (the person sees it)
    # Delivery and credentials.
    CREDENTIAL_ISSUE = "credencial.emitida"
    CREDENTIAL_REPLACE = "credencial.repuesta"
    CREDENTIAL_REVOKE = "credencial.revocada"
    DELIVERY_CHECK = "entrega.verificacion"
    DELIVERY_CONFIRM = "entrega.confirmada"
    DELIVERY_REFUSE = "entrega.rechazada"
    DELIVERY_DATE_SET = "entrega.calendario"
    # Re-certification (portal/delivery/recertification.py).
    RECERTIFICATION_ACCEPT = "recertificacion.aceptada"
    RECERTIFICATION_CORRECTION = "recertificacion.correccion"
    # Appointments (portal/appointments).
    SLOTS_OPEN = "citas.horarios"
    BOOKING_MADE = "cita.reservada"
    BOOKING_CHANGE = "cita.cambiada"
    BOOKING_CANCEL = "cita.cancelada"
    BOOKING_ATTENDED = "cita.atendida"
    BOOKING_NO_SHOW = "cita.no_asistio"
    OFFICES_LOAD = "oficinas.cargar"
    # Catalog, rolls, duplicates and the audit trail itself.
    CATALOG_LOAD = "catalogo.cargar"
    PROGRAM_EDIT = "editar_programa"
    PROGRAM_CREATE = "crear_programa"  # from the guided editor (portal/catalog/editing.py)
    # Drafts and review of program versions (portal/catalog/versions.py).
    PROGRAM_DRAFT = "programa.borrador"
    PROGRAM_SUBMIT = "programa.a_revision"
    PROGRAM_SEND_BACK = "programa.devuelto"
    PROGRAM_PUBLISH = "programa.publicado"
    ROLL_UPLOAD = "padron.upload"
    ROLL_REPORT = "padron.report"
    ROLL_COMMIT = "padron.cargar"  # a previewed upload committed: the import runs
    ROLL_DISCARD = "padron.descartar"  # a previewed upload discarded, nothing written
    ROLL_FEDERAL = "padron.federal"  # the federal single roll downloaded (web or CLI)
    CITIZEN_MERGE = "citizen.merge"
    DUPLICATE_DISMISS = "duplicate.dismiss"
    AUDIT_EXPORT = "exportar_bitacora"
    DEMO_LOAD = "demo.carga"  # demo-data --applications: one entry per chunk loaded
    # Law and trust (portal/rights/): blackout periods, what they held back, ARCO requests.
    BLACKOUT_SET = "veda.alta"
    BLACKOUT_WITHDRAW = "veda.retiro"
    BLACKOUT_SUPPRESS = "veda.suprimido"
    ARCO_FILE = "arco.recibida"
    ARCO_RESPOND = "arco.respondida"
    # Complaints and reports (portal/complaints/): one entry per status reached.
    COMPLAINT_RECIBIDA = "queja.recibida"
    COMPLAINT_ASIGNADA = "queja.asignada"
    COMPLAINT_TURNADA = "queja.turnada"
    COMPLAINT_RESPONDIDA = "queja.respondida"
    COMPLAINT_VIEW = "queja.consulta"
    # Planning (portal/planning/): budgets, goals and indicators, the figures recounted.
    BUDGET_SET = "presupuesto.cambio"
    GOAL_SET = "meta.cambio"
    INDICATOR_ADD = "indicador.alta"
    PLAN_RECOUNT = "planeacion.recuento"
    # The coordinating secretariat (portal/secretariat/): calendar and validation.
    OBLIGATION_CREATE = "obligacion.alta"
    OBLIGATION_DONE = "obligacion.cumplida"
    OBLIGATION_REMIND = "obligacion.recordatorio"
    SUBMISSION_ENVIADA = "validacion.enviada"
    SUBMISSION_EN_REVISION = "validacion.en_revision"
    SUBMISSION_ACEPTADA = "validacion.aceptada"
    SUBMISSION_DEVUELTA = "validacion.devuelta"
    THREAD_START = "conversacion.alta"
    MESSAGE_SEND = "mensaje.enviado"
    MESSAGE_READ = "mensaje.leido"
    MESSAGE_ATTACHMENT_VIEW = "mensaje.ver_adjunto"


def status_action(status: str) -> AuditAction:
    """The audit action of reaching ``status``."""
    return AuditAction(f"solicitud.{ApplicationStatus(status)}")
