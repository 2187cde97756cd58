"""The appointments' forms: choosing a time (people and the counter), opening
slots (staff) and marking attendance."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.messages import _l
from portal.web.forms import BaseForm

CHOOSE = _l("Elija un horario de la lista.")


class ChooseForm(BaseForm):
    # The domain judges the chosen id (full, past, another place): its messages
    # are clearer than "not a valid choice", and a slot may fill meanwhile.
    horario = SelectField(
        _l("Día y hora"), validate_choice=False, validators=[InputRequired(CHOOSE)]
    )


class CounterBookingForm(ChooseForm):
    curp = StringField(
        _l("CURP de la persona"),
        validators=[InputRequired(_l("Escriba la CURP de la persona.")), Length(max=18)],
    )


class CancelForm(BaseForm):
    pass


class AttendanceForm(BaseForm):
    asistencia = SelectField(
        _l("Asistencia"),
        choices=[SelectChoice("atendida", _l("Vino")), SelectChoice("no_asistio", _l("No vino"))],
        validators=[InputRequired(_l("Diga si la persona vino."))],
    )


class SlotsForm(BaseForm):
    desde = DateField(
        _l("Primer día"),
        validators=[InputRequired(_l("Escriba el primer día (día, mes y año)."))],
    )
    dias = IntegerField(
        _l("Cuántos días"),
        default=5,
        validators=[InputRequired(_l("Escriba cuántos días, de 1 a 14."))],
        description=_l("Por ejemplo 5 para una semana de lunes a viernes."),
    )
    inicio = TimeField(
        _l("Hora de inicio"), validators=[InputRequired(_l("Escriba la hora de inicio."))]
    )
    hasta = TimeField(_l("Hora de fin"), validators=[InputRequired(_l("Escriba la hora de fin."))])
    duracion = IntegerField(
        _l("Minutos de cada horario"),
        default=30,
        validators=[InputRequired(_l("Escriba cuántos minutos dura cada horario."))],
    )
    capacidad = IntegerField(
        _l("Cupo de cada horario"),
        default=5,
        validators=[InputRequired(_l("Escriba cuántas personas caben en cada horario."))],
        description=_l("Cuántas personas puede atender en cada horario."),
    )
    fines = BooleanField(_l("Abrir también sábados y domingos"))
