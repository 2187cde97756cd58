"""Every template filter, test, global and context processor, registered in one place.

The functions live with the area that owns their logic (a program's benefit
with the catalog, a credential's QR with delivery...); this module only says
under which name templates find them, so a name used in a template is found
here and nowhere else.
"""

from __future__ import annotations

from flask import Flask

from portal import messages
from portal.applications import uploads
from portal.applications import views as applications
from portal.appointments import bookings as appointment_bookings
from portal.catalog import content
from portal.catalog import views as catalog
from portal.citizens import phones
from portal.delivery import calendar as delivery_calendar
from portal.delivery import handover, periods, recertification
from portal.delivery.views import credential
from portal.delivery.views import point as delivery
from portal.planning import budget as planning
from portal.rights import blackout, legend
from portal.rights import views as rights
from portal.territory import distance as territory_distance
from portal.territory import maps as territory_maps
from portal.transparency import views as transparency
from portal.web import assets, drawings, formatting, forms, shell, values


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    # flask-babel installed callables that look the translations up again for
    # every string; these look them up once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: messages.translations().ugettext(s),
        ngettext=lambda s, p, n: messages.translations().ungettext(s, p, n),
        pgettext=lambda c, s: messages.translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: messages.translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    app.add_template_filter(catalog.long_date, "long_date")
    app.add_template_filter(catalog.benefit_text, "benefit")
    app.add_template_filter(formatting.local_datetime, "local_datetime")
    app.add_template_filter(formatting.clock, "clock")
    app.add_template_filter(transparency.public_count, "public_count")
    app.add_template_filter(transparency.bar_count, "bar_count")
    app.add_template_test(transparency.small_count, "small_count")
    app.add_template_filter(planning.pesos, "pesos")
    app.add_template_filter(phones.display_phone, "phone")
    # Stored values as people read them (portal/web/values.py).
    app.add_template_filter(values.money, "money")
    app.add_template_filter(values.people_count, "people_count")
    app.add_template_filter(values.field_label, "field_label")
    app.add_template_filter(values.sex_label, "sex_label")
    app.add_template_filter(values.notify_label, "notify_label")
    app.add_template_filter(values.municipality_name, "municipality_name")
    app.add_template_filter(values.long_date, "date_in_words")
    app.add_template_filter(values.record_field_label, "record_field_label")
    app.add_template_filter(territory_distance.distance_text, "distance")

    app.jinja_env.globals.update(
        # The shell: assets, navigation, the session clock.
        asset=assets.asset,
        nav_links=shell.nav_links,
        nav_key=shell.nav_key,
        home_actions=shell.home_actions,
        sign_out_endpoint=shell.sign_out_endpoint,
        staff_may_open=shell.staff_may_open,
        has_endpoint=shell.has_endpoint,
        idle_seconds=shell.idle_seconds,
        draw_field=forms.draw_field,
        kept=drawings.kept,
        same=drawings.Same,
        # The areas.
        apply_url=catalog.apply_url,
        lang_attr=content.lang_attr,
        in_own_language=content.in_own_language,
        document_text=content.document_text,
        offered_languages=content.offered_languages,
        program_name=content.program_name,
        program_reason=content.reason,
        status_label=applications.status_label,
        actor_label=applications.actor_label,
        upload_hint=uploads.format_hint,
        upload_accept=uploads.accept_types,
        coverage_map=territory_maps.coverage_map,
        municipal_counts=territory_maps.municipal_counts,
        photos_only=uploads.photos_only,
        benefit_text=delivery.benefit_text,
        id_types=handover.ID_TYPES,
        credential_qr=credential.credential_qr,
        benefit_standing=periods.shown_standing,
        delivery_date_for=delivery_calendar.date_for,
        delivery_booking_for=appointment_bookings.for_application,
        may_book_delivery=appointment_bookings.may_book_delivery,
        recertification_task=recertification.current_task,
        recertification_tasks=recertification.tasks_of,
        recertification_text=recertification.task_text,
        legal_legend=legend.legend_text,
        legend_translated=legend.legend_is_translated,
        page_blackout=rights.page_blackout,
        announces_calls=blackout.announces_calls,
        budget_warning=planning.approval_warning,
        value_label=values.value_label,
        answer_rows=values.answer_rows,
    )
    app.context_processor(shell.shell_context)
