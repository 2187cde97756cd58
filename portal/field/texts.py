"""The texts the brigade page's scripts show (static/field/brigade.js, curp.js),
marked for translation here and handed to the page in the language it is
served in (``data-textos``), keyed by their Spanish."""

from __future__ import annotations

from portal.messages import _l, spanish

DEVICE_TEXTS = (
    _l("Con conexión: puede sincronizar."),
    _l("Sin conexión: los registros se guardan cifrados en este dispositivo."),
    _l("Elija"),
    _l("Sí"),
    _l("No"),
    _l("No sé"),
    _l("Escriba la CURP."),
    _l("Escriba el nombre o los nombres."),
    _l("Escriba el primer apellido."),
    _l("Escriba la fecha de nacimiento."),
    _l("Elija el sexo."),
    _l("Elija la identificación que presentó la persona."),
    _l("Escriba el número de la identificación."),
    _l("Elija el municipio donde vive la persona."),
    _l("Ese código postal no es de Querétaro. Revise los 5 dígitos."),
    _l("Ese código postal no es del municipio que eligió."),
    _l("Escriba el teléfono con sus 10 dígitos."),
    _l("Para guardar el domicilio o el teléfono, la persona debe dar su consentimiento."),
    _l("Responda la pregunta o elija «No sé»."),
    _l("Registro guardado y cifrado en este dispositivo."),
    _l("Pendiente"),
    _l("Sincronizado"),
    _l("Conflicto"),
    _l("Rechazado"),
    _l("Descartado"),
    _l("Resolver este conflicto"),
    _l("Sin conexión: sincronice cuando tenga señal."),
    _l("Las fotos son demasiado grandes para enviarse."),
    _l(
        "Su sesión terminó: entre de nuevo a la oficina y vuelva a esta página. Los registros siguen guardados."
    ),
    _l("Demasiados envíos seguidos: espere un minuto y vuelva a sincronizar."),
    _l(
        "La sincronización se interrumpió. Lo enviado quedó guardado; vuelva a sincronizar para enviar el resto."
    ),
    _l("Escriba al menos 6 caracteres."),
    _l("Los dos PIN no coinciden."),
    _l("Escriba el PIN otra vez para confirmarlo."),
    _l("El PIN no es correcto."),
    _l("Brigada (sin conexión)"),
    _l("Abrir"),
    _l("Crear el PIN y abrir"),
    _l("Foto: %(name)s (opcional)"),
    _l("Foto: %(name)s"),
    _l("Revise %(count)s dato(s) marcados abajo antes de guardar."),
    _l("Sincronización terminada (%(count)s enviado(s))."),
    _l("Brigada de %(name)s"),
    _l("%(pending)s pendiente(s), %(synced)s sincronizado(s), %(conflicts)s en conflicto."),
    _l("La CURP solo lleva letras sin acentos y números."),
    _l("Los primeros 4 caracteres de la CURP son letras."),
    _l("Los caracteres 5 a 10 de la CURP son la fecha de nacimiento en números (AAMMDD)."),
    _l("El carácter 11 de la CURP debe ser H, M o X."),
    _l("Los caracteres 12 y 13 de la CURP no son una clave de entidad válida."),
    _l("Los caracteres 14 a 16 de la CURP son letras."),
    _l("El último carácter de la CURP es un número."),
    _l("Las primeras 4 letras de la CURP no son válidas."),
    _l("La fecha de nacimiento de la CURP no existe."),
    _l("El dígito verificador no coincide; revise que la CURP esté bien escrita."),
    _l("La fecha de nacimiento no coincide con la de la CURP."),
    _l("El sexo no coincide con el de la CURP."),
    _l("La CURP debe tener 18 caracteres; usted escribió %(count)s."),
)


def device_texts() -> dict[str, str]:
    """Each text's Spanish and its reading in the request's language."""
    return {spanish(text): str(text) for text in DEVICE_TEXTS}
