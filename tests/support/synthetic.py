"""The synthetic population checked the same way by its test and its benchmark."""

from __future__ import annotations

from portal.citizens import curp
from portal.demo import synthetic


def rebuilt_curp(row: synthetic.Citizen) -> str:
    """The CURP that ``make_curp`` builds from the row's names, birth date and
    sex, given the row's own state and homoclave (which no name determines)."""
    number = row["curp"]
    return curp.make_curp(
        row["first_name"],
        row["last_name1"],
        row["last_name2"],
        row["birth_date"],
        row["sex"],
        state=number[11:13],
        homoclave=number[16],
    )
