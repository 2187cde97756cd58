"""Appointments (issue 18, item 8): the state's service offices, the slots
staff open at an office or a delivery point, and people's bookings in them.
``slot.booked`` counts the taken places and may never pass ``capacity``; a
person has one live booking per purpose (a partial unique index)."""

from peewee import *

PURPOSES = "('entrega', 'ventanilla')"
STATUSES = "('activa', 'cancelada', 'atendida', 'no_asistio')"


def up(migrator, db):
    def table(name):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

        return type(name, (Model,), {"Meta": Meta})

    Municipality = type(
        "municipality",
        (Model,),
        {
            "code": CharField(max_length=5, primary_key=True),
            "Meta": type(
                "Meta",
                (),
                {"database": db, "legacy_table_names": False, "table_name": "municipality"},
            ),
        },
    )
    DeliveryPoint = table("delivery_point")
    StaffUser = table("staff_user")
    Citizen = table("citizen")
    Application = table("application")

    class Office(Model):
        slug = CharField(max_length=60, unique=True)
        name = CharField()
        address = TextField()
        municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL")
        hours = CharField(default="")
        lat = FloatField(null=True)
        lon = FloatField(null=True)
        active = BooleanField(default=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "office"

    class Slot(Model):
        purpose = CharField(max_length=10, constraints=[SQL(f"CHECK (purpose IN {PURPOSES})")])
        office = ForeignKeyField(Office, null=True, on_delete="CASCADE", index=False)
        point = ForeignKeyField(DeliveryPoint, null=True, on_delete="CASCADE", index=False)
        day = DateField(index=True)
        starts = TimeField()
        ends = TimeField()
        capacity = IntegerField(constraints=[SQL("CHECK (capacity > 0)")])
        booked = IntegerField(
            default=0, constraints=[SQL("CHECK (booked >= 0 AND booked <= capacity)")]
        )
        created_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "slot"
            constraints = [
                SQL("CHECK ((office_id IS NULL) <> (point_id IS NULL))"),
                SQL("CHECK (starts < ends)"),
            ]
            indexes = (
                (("office", "day", "starts"), True),
                (("point", "day", "starts"), True),
            )

    class Booking(Model):
        slot = ForeignKeyField(Slot, on_delete="CASCADE", index=False)
        citizen = ForeignKeyField(Citizen, on_delete="CASCADE", index=False)
        purpose = CharField(max_length=10, constraints=[SQL(f"CHECK (purpose IN {PURPOSES})")])
        application = ForeignKeyField(Application, null=True, on_delete="CASCADE")
        status = CharField(
            max_length=10, default="activa", constraints=[SQL(f"CHECK (status IN {STATUSES})")]
        )
        booked_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
        reminded_at = DateTimeField(null=True)
        created_at = DateTimeField()
        changed_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "booking"
            indexes = (
                (("slot", "status"), False),
                (("citizen", "status"), False),
            )

    Booking.add_index(
        Booking.index(
            Booking.citizen,
            Booking.purpose,
            unique=True,
            where=SQL("status = 'activa'"),
            name="booking_one_live_per_purpose",
        )
    )
    db.create_tables([Office, Slot, Booking])


def down(migrator, db):
    for name in ("booking", "slot", "office"):
        migrator.migrate(migrator.drop_table(name))
