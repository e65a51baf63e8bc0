import random

import pytest

from registry.imports.samples import sample_row


@pytest.fixture
def rng():
    return random.Random(15)


@pytest.fixture
def good_rows(rng):
    return [sample_row(rng) for _ in range(5)]
