"""What `refscope` loads before it runs a command, and what a command loads: each heavy module
only by the commands that use it (fpdf: a print sheet; qrcode: a code drawn; httpx: a URL
checked or asked; Arrow and NumPy: an ingest; asyncio: the receiver), so that `--help`, the
daily `refscope ingest` from cron and `links create` do not wait for the others. Not timed:
bench/startup.py measures the seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tests.factories as f
from tests.ingest.cli_setup import _clean_env, _log
from tests.ingest.graph_setup import ACCOUNT, TOKEN, FakeGraph, days
from tests.ingest.insight_setup import page, row

# Each a tenth of a second or more to import (fpdf a quarter; PIL, Pillow, 10-20 ms, for a
# code drawn), or the dashboard's own.
HEAVY = {"fpdf", "qrcode", "PIL", "httpx", "pyarrow", "numpy", "pandas", "asyncio", "cv2",
         "uvicorn", "starlette", "streamlit", "plotly", "kaleido", "xlsxwriter"}  # fmt: skip

# refscope's command line in a fresh interpreter; at its exit, the top-level modules it loaded
# are written to the file named first.
RUN = """
import atexit, sys
from pathlib import Path
out = Path(sys.argv.pop(1))
atexit.register(lambda: out.write_text(" ".join(m for m in sys.modules if "." not in m)))
from dashboard.cli import main
main()
"""

# Every command's --help, in one interpreter: click builds each from its options.
HELPS = """
import sys
from dashboard.cli import cli

def helps(group, words):
    cli.main([*words, "--help"], prog_name="refscope", standalone_mode=False)
    for name, command in getattr(group, "commands", {}).items():
        helps(command, [*words, name])

helps(cli, [])
print(" ".join(m for m in sys.modules if "." not in m))
"""


def _loaded(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The top-level modules `refscope ARGS` loaded (with env's variables), and what it printed."""
    modules = tmp_path / "modules.txt"
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(modules), *args],
        cwd=tmp_path, env=_clean_env(env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return set(modules.read_text().split()), out.stdout + out.stderr


@pytest.mark.parametrize("module", ["ingest.cli", "dashboard.cli"])
def test_importing_the_command_line_loads_no_heavy_module(module: str) -> None:
    """Every command imported fpdf (a quarter second, for the print sheet), qrcode, httpx,
    Arrow and NumPy first: `refscope --help` took over a second. Each is loaded where used;
    PIL, which ingest/qr.py imported with the command line, by a command drawing a code."""
    out = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print(' '.join(sys.modules))"],
        env=_clean_env(), capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert module in out.stdout.split() and "duckdb" in loaded
    assert sorted(loaded & HEAVY) == []


def test_every_commands_help_loads_no_heavy_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", HELPS],
        env=_clean_env(), capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert "Usage: refscope pull ads [OPTIONS]" in out.stdout  # a nested command's help too
    assert "--error-correction [L|M|Q|H]" in out.stdout  # the QR options, built without qrcode
    assert sorted(set(out.stdout.splitlines()[-1].split()) & HEAVY) == []


def test_an_ingest_of_a_webhook_log_loads_no_module_of_other_commands(tmp_path: Path) -> None:
    loaded, said = _loaded(tmp_path, "ingest", str(_log(tmp_path)), "--db", "r.duckdb")
    assert "2 events (2 new, 0 duplicates)" in said
    assert {"pyarrow", "numpy"} <= loaded  # what the ingest needs, loaded by it
    assert sorted(loaded & HEAVY - {"pyarrow", "numpy"}) == []


def test_an_ingest_of_an_ad_insights_export_does_not_import_pandas(tmp_path: Path) -> None:
    """Its rows went to DuckDB in Arrow tables built by pa.array(), which imports pandas (a
    fifth of a second) to check its argument."""
    export = f.write_ndjson(tmp_path / "ads.ndjson", [
        page(row(account_id="1234", ad_name="Autumn", impressions="1000", clicks="20"),
             row("2026-11-03", spend="0.5", account_currency="EUR")),
        row("2026-11-04", ad_id="6000000000002", spend="7", publisher_platform="facebook"),
    ])  # fmt: skip
    loaded, said = _loaded(tmp_path, "ingest", str(export), "--db", "r.duckdb")
    assert "3 ad insights rows" in said
    assert {"pyarrow", "numpy"} <= loaded
    assert sorted(loaded & HEAVY - {"pyarrow", "numpy"}) == []


def test_pull_ads_does_not_import_pandas(tmp_path: Path, graph: FakeGraph) -> None:
    """As the ingest of an export (above): its rows went to DuckDB through pa.array()."""
    graph.rows = days(2)  # 4 rows: two pages, on 127.0.0.1
    loaded, said = _loaded(tmp_path, "pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
                           "--since", "2026-11-23", "--until", "2026-11-24", "--db", "r.duckdb",
                           env={"REFSCOPE_META_TOKEN": TOKEN})  # fmt: skip
    assert "4 insight rows (2 result pages of the Graph API)" in said
    assert {"httpx", "pyarrow", "numpy"} <= loaded
    assert sorted(loaded & HEAVY - {"httpx", "pyarrow", "numpy"}) == []


def test_links_create_of_an_m_me_link_loads_no_heavy_module(tmp_path: Path) -> None:
    loaded, said = _loaded(
        tmp_path, "links", "create", "--page", "acmebakery", "--ref", "spring", "--db", "r.duckdb"
    )
    assert "https://m.me/acmebakery?ref=spring" in said
    assert sorted(loaded & HEAVY) == []


def test_links_create_of_a_qr_code_loads_qrcode_but_not_fpdf_nor_httpx(tmp_path: Path) -> None:
    loaded, _ = _loaded(tmp_path, "links", "create", "--page", "acmebakery", "--ref", "flyer",
                        "--channel", "qr", "--out", "codes", "--db", "r.duckdb")  # fmt: skip
    assert (tmp_path / "codes" / "flyer.png").stat().st_size > 0
    assert (tmp_path / "codes" / "flyer.svg").stat().st_size > 0
    assert {"qrcode", "PIL"} <= loaded
    assert sorted(loaded & {"fpdf", "httpx", "pyarrow", "pandas", "asyncio"}) == []
