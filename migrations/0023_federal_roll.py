"""The federal single roll (Padrón Único de Beneficiarios): each program's
program key, intra-program key and payment method, as its catalog gives them
(portal/catalog/schema.FederalRoll); empty until the catalog names them."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('program', 'federal_program_code', CharField(max_length=10, default='')),
        migrator.add_column('program', 'federal_intra_program_code', CharField(max_length=10, default='')),
        migrator.add_column('program', 'federal_payment_method', CharField(max_length=20, default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('program', 'federal_payment_method'),
        migrator.drop_column('program', 'federal_intra_program_code'),
        migrator.drop_column('program', 'federal_program_code'),
    )
