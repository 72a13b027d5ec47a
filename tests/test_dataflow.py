"""The dataflow rule: sensors -> processing -> dashboard, never back (an AST check of every import)."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "sensors": {"processing", "dashboard", "dash", "plotly"},
    # processing is pure computation: no I/O stacks, no threads, no event loop, no files
    "processing": {
        "dashboard",
        "bleak",
        "bumble",
        "dash",
        "plotly",
        "threading",
        "asyncio",
        "socket",
        "sqlite3",
        "csv",
        "pandas",
        "os",
        "io",
        "pathlib",
        "shutil",
    },
}
# processing may take only the sample type from sensors
ALLOWED_FROM_SENSORS = {"processing": {"sensors.samples"}}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, mod in imported_modules(path):
            top = mod.split(".")[0]
            if top in FORBIDDEN[package]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
            if top == "sensors" and package in ALLOWED_FROM_SENSORS and mod not in ALLOWED_FROM_SENSORS[package]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {mod} (only sensors.samples allowed)")
    return found


def test_sensors_imports_neither_processing_nor_dashboard():
    assert violations("sensors") == []


def test_processing_imports_only_the_sample_type_and_no_io_stacks():
    assert violations("processing") == []


def test_the_check_catches_a_backward_import(tmp_path, monkeypatch):
    bad = tmp_path / "processing"
    bad.mkdir()
    (bad / "x.py").write_text(
        "import bleak\nfrom sensors.ble_source import BleSource\nfrom dashboard import app\nimport threading\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert len(violations("processing")) == 4
