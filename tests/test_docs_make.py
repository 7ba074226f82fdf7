"""The README's make targets do what it says: `make demo` on the port given, writing the demo
logs once and naming the demo pages, `make dashboard` on the database as it is, `make test`
running the checks it names."""

import re
from pathlib import Path

import pytest

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


def test_make_demo_writes_where_the_readme_says_whatever_db_and_demo_the_shell_holds() -> None:
    """`make demo` writes `data/demo` and `data/refscope.duckdb`, as the README says; `DB` and
    `DEMO` set in the environment (a shell's `DB=postgres://…` for some other tool) were taken
    for them (`?=`), so the demo went elsewhere, or into another program's database. Given on
    make's command line they are still used."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"DB": "/srv/other/app.db", "DEMO": "/srv/other/logs"}

    def planned(*extra: str) -> list[str]:
        out = subprocess.run(
            ["make", "-n", "-C", str(root), "demo", *extra],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        return [line for line in out.splitlines() if "bin/refscope " in line]  # fmt: skip

    commands = planned()
    assert commands and not [c for c in commands if "/srv/other" in c], commands
    assert commands[-2] == ".venv/bin/refscope ingest data/demo --db data/refscope.duckdb"
    assert planned("DB=x.duckdb")[-2].endswith("--db x.duckdb")
    assert "demo logs → data/refscope.duckdb" in README and "delete `data/demo`" in README


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


def test_make_demo_writes_the_demo_logs_once(tmp_path: Path) -> None:
    """A later `make demo` reads the logs of the first: written again (they end yesterday),
    the same files would hold other events, and the database would keep both."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    demo = tmp_path / "demo"

    def planned() -> str:
        # -n: the commands make would run, none run; DB elsewhere than the project's.
        return subprocess.run(
            ["make", "-n", "-C", str(root), "demo", f"DEMO={demo}", f"DB={tmp_path / 'x.duckdb'}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    assert f"refscope demo-data --out {demo}" in planned()
    demo.mkdir()
    (demo / ".written").touch()  # as the first `make demo` leaves it
    again = planned()
    assert "demo-data" not in again and f"refscope ingest {demo}" in again


def test_make_demo_names_the_demo_pages(tmp_path: Path) -> None:
    """`make demo` records each demo page's username and name as the demo's catalogue has them."""
    import subprocess

    from ingest.demo_catalog import PAGES

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "demo", f"DEMO={tmp_path}", f"DB={tmp_path / 'x.db'}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    sets = [line.split("pages set ", 1)[1] for line in planned.splitlines() if "pages set " in line]
    assert sets == [f'{page} --username {user} --name "{name}" --db {tmp_path / "x.db"}'
                    for page, user, name in PAGES]  # fmt: skip


def test_readme_names_the_checks_make_test_runs() -> None:
    """`make test` runs the checks its README line names, in that order (mypy joined them)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "test"], capture_output=True, text=True, check=True
    ).stdout
    tools = ("ruff", "mypy", "pytest")
    run = [
        line.split("/bin/", 1)[1].removesuffix(" .")
        for line in planned.splitlines()
        if "/bin/" in line and line.split("/bin/", 1)[1].startswith(tools)
    ]
    line = README.split("make test   # ", 1)[1].split("\n", 1)[0]
    assert line.split(", ")[1:] == run
    assert [r.split(" -")[0] for r in run] == ["ruff check", "ruff format", "mypy", "pytest"]


def test_make_demo_on_a_port_in_use_says_which_port_to_give_make(tmp_path: Path) -> None:
    """`make demo` on a machine where 8501 is taken stopped with "stop it or pass --port", an
    option a `make` user does not pass: the error gives a port free now, as `--port` and as
    make's `PORT=`, as the README's `make demo PORT=8502`."""
    import re
    import socket
    import subprocess

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run(
            ["make", "-s", "-C", str(root), "-o", ".venv/.installed", "dashboard",
             f"DB={tmp_path / 'x.duckdb'}", f"PORT={port}"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert res.returncode != 0 and "refscope dashboard on" not in res.stdout
    said = re.search(r"pass --port (\d+), free now \(with make, add PORT=\1: ", res.stderr)
    assert said and int(said[1]) != port, res.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", int(said[1])))  # free indeed


def test_make_demo_says_it_installs_and_shows_pips_progress() -> None:
    """A newcomer's first `make demo` installed with `pip install -q`: half a minute to
    minutes with nothing on the terminal but the command. It says what it installs and that
    it is done once, and pip shows its progress (no -q) for refscope's dependencies."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    for target, marker in (
        ("install", ".venv/.installed"),
        ("install-dev", ".venv/.installed-dev"),
    ):
        planned = subprocess.run(
            ["make", "-n", "-C", str(root), "-W", "pyproject.toml", "-o", ".venv/bin/python",
             target],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
        pip = next(i for i, line in enumerate(planned) if "/bin/pip install" in line)
        said = " ".join(planned[:pip])
        assert "installing refscope" in said and "once" in said, (target, planned)
        assert not {"-q", "--quiet"} & set(planned[pip].split()), planned[pip]
        assert planned[pip + 1].startswith(f"touch {marker}"), planned


def test_what_the_readmes_examples_write_in_the_checkout_is_ignored_by_git() -> None:
    """Run as the README shows them in the checkout, the examples write people's data there:
    the lake (`data/lake`), a pull's download (`.pull` beside the database), the `.partial`
    file a rebuild, prune or forget writes first, the cron example's `reports/`; `git status`
    offered them to be committed (only the database, its `.wal`, `data/logs` and `data/demo`
    were ignored)."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parent.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    cron = README.split("```cron\n", 1)[1].split("```", 1)[0]
    report = re.search(r"--out (\S+)\$\(date", cron)
    assert report and "data/lake" in README and "`NEW.partial`" in README
    written = ["data/refscope.duckdb", "data/refscope.duckdb.wal", "data/logs/w.ndjson",
               "data/demo/tracked-links.csv", "data/lake/_manifest.json",
               "data/lake/events/page_id=1/date=2026-12-01/data_0.parquet",
               "data/lake/pages.parquet", "data/.pull/download", "data/rebuilt.duckdb",
               "data/rebuilt.duckdb.partial", "data/refscope.duckdb.partial",
               report[1] + "2026-12-07.pdf"]  # fmt: skip
    res = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=root,
                         input="\n".join(written), capture_output=True, text=True)  # fmt: skip
    assert sorted(res.stdout.split()) == sorted(written), res.stderr
