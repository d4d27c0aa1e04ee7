import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def example_results(tmp_path_factory):
    """The example case solved once per test session: (dataset, model, solution)."""
    from casebuilder import EXAMPLE, solve_case

    return solve_case(EXAMPLE)
