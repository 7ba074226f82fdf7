"""The README's make targets do what it says: `make demo` on the port given, `make dashboard`
on the database as it is."""

from pathlib import Path

from tests.test_docs import README


def test_make_demo_starts_the_dashboard_on_the_port_given(tmp_path: Path) -> None:
    """8501 is Streamlit's default, often taken by another app: `make demo PORT=8502` is the
    newcomer's way to the other port the dashboard's "already in use" error asks for."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"PORT": "3000"}  # another server's, as a shell may hold: not taken

    def dashboard_line(*extra: str) -> str:
        planned = subprocess.run(
            ["make", "-n", "-C", str(root), "demo", f"DEMO={tmp_path}", f"DB={tmp_path / 'x.db'}",
             *extra], capture_output=True, text=True, check=True, env=env,
        ).stdout  # fmt: skip
        return next(line for line in planned.splitlines() if "refscope dashboard" in line)

    assert dashboard_line().endswith("--port 8501")
    assert dashboard_line("PORT=8502").endswith("--port 8502")
    assert "make demo PORT=8502" in README


def test_make_dashboard_opens_the_database_without_reading_the_demo_again() -> None:
    """`make dashboard` was declared but had no rule ("Nothing to be done"): it starts the
    dashboard on the database as it is, on PORT, with nothing written or read again."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "dashboard", "DB=x.db", "PORT=8502"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    commands = [line for line in planned if "bin/refscope" in line]
    assert commands == [".venv/bin/refscope dashboard --db x.db --port 8502"], planned
    assert "make dashboard" in README
