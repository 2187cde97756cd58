import pytest

from portal.citizens.record import PRIVACY_VERSION
from portal.territory.catalog import load_seed
from tests.factories import make_citizen


@pytest.fixture
def places(app):
    """The shipped seed: Querétaro's 18 municipal seats and a few postal codes."""
    return load_seed()


@pytest.fixture
def citizen(app):
    """A person who accepted the privacy notice, so the profile form opens."""
    return make_citizen(privacy_version=PRIVACY_VERSION)
