"""Import direction: the ingest knows nothing of the UI; queries, charts and pages stay apart."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


RULES = [
    ("ingest/*.py", {"streamlit", "plotly", "dashboard"}),
    ("dashboard/chart*.py", {"streamlit", "duckdb"}),
    ("dashboard/*queries.py", {"streamlit", "plotly"}),
    ("dashboard/app_pages/*.py", {"duckdb", "plotly"}),
]


@pytest.mark.parametrize(("pattern", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_forbidden_imports(pattern: str, forbidden: set[str]) -> None:
    files = sorted(ROOT.glob(pattern))
    assert files, pattern
    bad = {str(f.relative_to(ROOT)): imported_roots(f) & forbidden for f in files}
    assert not {k: v for k, v in bad.items() if v}
