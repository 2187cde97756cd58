"""The state the portal serves and its municipalities, from portal/catalog/data/municipios.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.eligibility.profile import MUNICIPALITY_RE, STATE_RE

MUNICIPALITIES_FILE = Path(__file__).parent / "data" / "municipios.yaml"


@dataclass(frozen=True)
class Municipality:
    code: str  # INEGI clave geoestadística: 2 digits of state, 3 of municipality
    name: str


@dataclass(frozen=True)
class State:
    code: str
    name: str
    municipalities: tuple[Municipality, ...]

    def municipality(self, code: str) -> Municipality | None:
        return next((m for m in self.municipalities if m.code == code), None)


def load_state(path: str | Path = MUNICIPALITIES_FILE) -> State:
    """Read the state file; raise ValueError if a code is malformed or outside the state."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    code = str(data["state"]["code"])
    if not STATE_RE.match(code):
        raise ValueError(f"{path}: state.code must be two digits 01-32, not {code!r}")
    municipalities = []
    for item in data["municipalities"]:
        m = Municipality(code=item["code"], name=item["name"])
        if not isinstance(m.code, str) or not MUNICIPALITY_RE.match(m.code):
            raise ValueError(f"{path}: municipality code {m.code!r} is not 5 digits in quotes")
        if not m.code.startswith(code):
            raise ValueError(f"{path}: municipality {m.code} is not in state {code}")
        municipalities.append(m)
    return State(code=code, name=data["state"]["name"], municipalities=tuple(municipalities))
