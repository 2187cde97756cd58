"""Print the pinned dependencies of pyproject.toml (runtime and test), one per line.

The portal runs from the checkout (``flask --app wsgi``, ``gunicorn wsgi:app``),
so only its dependencies go into the virtual environment, not the portal itself.
"""

import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
    print(requirement)
