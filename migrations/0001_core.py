"""Core domain tables: catalog, citizens, staff, applications, documents,
enrollments, audit trail and server-side sessions."""
import datetime

from peewee import *


def up(migrator, db):
    class Agency(Model):
        slug = CharField(unique=True)
        name = CharField()
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'agency'
    db.create_tables([Agency])

    class Municipality(Model):
        code = CharField(primary_key=True, max_length=5)
        name = CharField()
        state_code = CharField(index=True, max_length=2)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'municipality'
    db.create_tables([Municipality])

    class Citizen(Model):
        curp = CharField(unique=True, max_length=18)
        given_names = CharField()
        first_surname = CharField()
        second_surname = CharField(default='')
        birth_date = DateField()
        sex = CharField(max_length=1)
        email = CharField(default='')
        phone = CharField(default='')
        notify_channel = CharField(default='portal')
        road_type = CharField(default='')
        road_name = CharField(default='')
        exterior_number = CharField(default='')
        interior_number = CharField(default='')
        settlement_type = CharField(default='')
        settlement_name = CharField(default='')
        postal_code = CharField(max_length=5, default='')
        locality = CharField(default='')
        municipality = ForeignKeyField(Municipality, null=True, on_delete='SET NULL')
        state = CharField(default='')
        profile = TextField()
        privacy_version = CharField(default='')
        privacy_accepted_at = DateTimeField(null=True)
        origin = CharField(default='digital_id')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'citizen'
    db.create_tables([Citizen])

    class Program(Model):
        slug = CharField(unique=True)
        agency = ForeignKeyField(Agency, on_delete='RESTRICT')
        name = CharField()
        summary = TextField()
        description = TextField(default='')
        population = TextField(default='')
        exclusion_group = CharField(index=True, null=True)
        benefit_kind = CharField(max_length=10)
        benefit_amount = IntegerField(null=True)
        benefit_period = CharField(default='')
        benefit_description = TextField(default='')
        eligibility = TextField()
        version = IntegerField(default=1)
        active = BooleanField(default=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'program'
    db.create_tables([Program])

    class Call(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        opens = DateField()
        closes = DateField()
        quota = IntegerField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'call'
            indexes = ((('program', 'opens'), True),)
    db.create_tables([Call])

    class StaffUser(Model):
        email = CharField(unique=True)
        name = CharField()
        password_hash = CharField()
        role = CharField(constraints=[SQL("CHECK (role IN ('revisor', 'entrega', 'admin_dependencia', 'admin_estatal'))")])
        agency = ForeignKeyField(Agency, null=True, on_delete='RESTRICT')
        active = BooleanField(default=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'staff_user'
    db.create_tables([StaffUser])

    class Application(Model):
        folio = CharField(unique=True, max_length=20)
        citizen = ForeignKeyField(Citizen, on_delete='RESTRICT')
        program = ForeignKeyField(Program, on_delete='RESTRICT')
        call = ForeignKeyField(Call, on_delete='RESTRICT')
        program_version = IntegerField(default=1)
        status = CharField(constraints=[SQL("CHECK (status IN ('borrador', 'enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada', 'rechazada', 'cancelada'))")])
        version = IntegerField(default=1)
        idempotency_key = CharField(unique=True, null=True)
        answers = TextField()
        correction = TextField(null=True)
        decision_reason = TextField(default='')
        assisted_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        assigned_to = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        flagged = BooleanField(default=False)
        municipality = CharField(index=True, max_length=5, default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        submitted_at = DateTimeField(index=True, null=True)
        decided_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'application'
            indexes = ((('program', 'status', 'submitted_at'), False),)
    db.create_tables([Application])
    # At most one live application per person, program and call.
    db.execute_sql(
        "CREATE UNIQUE INDEX application_one_live_per_call "
        "ON application (citizen_id, program_id, call_id) "
        "WHERE status IN ('enviada', 'en_revision', 'requiere_correccion', 'aprobada', 'entregada')"
    )

    class ApplicationEvent(Model):
        application = ForeignKeyField(Application, on_delete='CASCADE')
        from_status = CharField(null=True)
        to_status = CharField()
        actor_kind = CharField()
        actor_staff = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        assisted = BooleanField(default=False)
        reason = TextField(default='')
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'application_event'
    db.create_tables([ApplicationEvent])

    class AuditEvent(Model):
        created_at = DateTimeField(index=True)
        actor_kind = CharField()
        actor_id = IntegerField(null=True)
        role = CharField(default='')
        agency_id = IntegerField(null=True)
        object_type = CharField(default='')
        object_id = CharField(index=True, default='')
        action = CharField(index=True)
        outcome = CharField(default='ok')
        request_id = CharField(default='')
        details = TextField()
        prev_hash = CharField(max_length=64)
        hash = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class DeliveryPoint(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        name = CharField()
        address = TextField()
        municipality = ForeignKeyField(Municipality, null=True, on_delete='SET NULL')
        lat = FloatField(null=True)
        lon = FloatField(null=True)
        hours = CharField(default='')
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'delivery_point'
    db.create_tables([DeliveryPoint])

    class Requirement(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        slug = CharField()
        name = CharField()
        hint = TextField(default='')
        formats = CharField(default='pdf,jpg,png')
        optional = BooleanField(default=False)
        position = IntegerField(default=0)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'requirement'
            indexes = ((('program', 'slug'), True),)
    db.create_tables([Requirement])

    class Document(Model):
        application = ForeignKeyField(Application, on_delete='CASCADE')
        requirement = ForeignKeyField(Requirement, on_delete='RESTRICT')
        version = IntegerField(default=1)
        current = BooleanField(default=True)
        storage_key = CharField(unique=True)
        filename = CharField()
        content_type = CharField()
        size = IntegerField()
        sha256 = CharField(max_length=64)
        status = CharField(default='pendiente')
        review_reason = TextField(default='')
        reviewed_by = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        uploaded_by_staff = ForeignKeyField(StaffUser, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'document'
            indexes = ((('application', 'requirement', 'version'), True),)
    db.create_tables([Document])

    class Enrollment(Model):
        citizen = ForeignKeyField(Citizen, on_delete='RESTRICT')
        program = ForeignKeyField(Program, on_delete='RESTRICT')
        exclusion_key = CharField()
        application = ForeignKeyField(Application, null=True, on_delete='SET NULL')
        source = CharField(default='solicitud')
        import_batch = CharField(index=True, null=True)
        active = BooleanField(default=True)
        benefit_amount = IntegerField(null=True)
        started_on = DateField(default=datetime.date.today)
        ended_on = DateField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'enrollment'
    db.create_tables([Enrollment])
    # At most one active enrollment per person and exclusion key.
    db.execute_sql(
        "CREATE UNIQUE INDEX enrollment_one_active_per_group "
        "ON enrollment (citizen_id, exclusion_key) WHERE active"
    )
    db.execute_sql("CREATE INDEX enrollment_program_id_active ON enrollment (program_id, active)")

    class ProgramVersion(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        version = IntegerField()
        snapshot = TextField()
        created_at = DateTimeField()
        created_by = CharField(default='sistema')
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'program_version'
            indexes = ((('program', 'version'), True),)
    db.create_tables([ProgramVersion])

    class WebSession(Model):
        id_hash = CharField(primary_key=True, max_length=64)
        data = TextField()
        user_kind = CharField(default='')
        user_id = IntegerField(null=True)
        created_at = DateTimeField()
        last_seen = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'web_session'
            indexes = ((('user_kind', 'user_id'), False),)
    db.create_tables([WebSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('web_session'))
    migrator.migrate(migrator.drop_table('program_version'))
    migrator.migrate(migrator.drop_table('enrollment'))
    migrator.migrate(migrator.drop_table('document'))
    migrator.migrate(migrator.drop_table('requirement'))
    migrator.migrate(migrator.drop_table('delivery_point'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('application_event'))
    migrator.migrate(migrator.drop_table('application'))
    migrator.migrate(migrator.drop_table('staff_user'))
    migrator.migrate(migrator.drop_table('call'))
    migrator.migrate(migrator.drop_table('program'))
    migrator.migrate(migrator.drop_table('citizen'))
    migrator.migrate(migrator.drop_table('municipality'))
    migrator.migrate(migrator.drop_table('agency'))
