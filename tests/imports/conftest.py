import random

import pytest

from registry.imports.samples import sample_row


@pytest.fixture
def rng():
    return random.Random(15)


@pytest.fixture
def good_rows(rng):
    return [sample_row(rng) for _ in range(5)]


@pytest.fixture
def import_rows(tmp_path):
    """Import these rows (source bj2019) through the service, as the command does."""
    from registry.imports.samples import rows_csv
    from registry.imports.services import import_file
    from registry.imports.template import COLUMNS

    def do(rows, source="bj2019"):
        columns = COLUMNS + [c for c in rows[0] if c not in COLUMNS]
        path = tmp_path / f"{source}.csv"
        path.write_bytes(rows_csv(rows, columns))
        return import_file(path=path, source=source)

    return do
