"""The device's CURP check (static/field/curp.js) agrees with the server's."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.citizens import curp as curp_rules
from tests.factories import valid_curp

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "field" / "curp.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node runs the device's script")

RUNNER = """
const Curp = require(process.argv[1]);
const vectors = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(vectors.map(v => {
  const r = Curp.validate(v);
  return r.ok ? ['ok', r.value, Curp.birthDate(r.value)] : [r.code, '', ''];
})));
"""


def device(vectors: list[str]) -> list[list[str]]:
    out = subprocess.run(
        [NODE, "-e", RUNNER, str(SCRIPT)],
        input=json.dumps(vectors),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def server(raw: str) -> list[str]:
    try:
        value = curp_rules.validate(raw)
    except curp_rules.CurpError as exc:
        return [exc.code, "", ""]
    return ["ok", value, curp_rules.birth_date(value).isoformat()]


GOOD = valid_curp(date(1985, 3, 12), "M")
VECTORS = [
    GOOD,
    GOOD.lower(),
    f" {GOOD[:9]}-{GOOD[9:]} ",
    "",
    "GOMA850312",
    "GOMA850312MQTMRN0É",
    "G0MA850312MQTMRN01",
    "GOMA85O312MQTMRN01",
    "GOMA850312ZQTMRN01",
    "GOMA850312MZZMRN01",
    "GOMA850312MQT1RN01",
    "GOMA850312MQTMRNA1",
    "CACA850312MQTMRN01",
    "GOMA850231MQTMRN01",
    GOOD[:17] + str((int(GOOD[17]) + 1) % 10),
    valid_curp(date(2004, 2, 29), "H"),
    valid_curp(date(1999, 12, 31), "X"),
    "HEGG560427MVZRRL05",
    "BADD110313HCMLNS09",
]


def test_the_device_and_the_server_agree_on_the_vectors():
    assert device(VECTORS) == [server(v) for v in VECTORS]


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZÑ -"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=ALPHABET, min_size=16, max_size=20),
            st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)).map(
                lambda d: valid_curp(d, "M")
            ),
        ),
        min_size=20,
        max_size=20,
    )
)
def test_the_device_and_the_server_agree_on_any_text(vectors):
    assert device(vectors) == [server(v) for v in vectors]
