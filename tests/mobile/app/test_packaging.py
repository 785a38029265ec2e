"""buildozer.spec lists what the tablet needs, and only the tablet's code goes in the APK."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    assert parser.read(ROOT / "buildozer.spec", encoding="utf-8")
    return parser["app"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_the_apk_requires_every_runtime_dependency_of_the_tablet() -> None:
    spec = _spec()
    required = {_name(r) for r in spec["requirements"].split(",")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    runtime |= {_name(r) for r in project["optional-dependencies"]["mobile"]}
    runtime |= {"qrcode", "pillow", "plyer", "python3", "sqlite3", "openssl", "pyjnius"}
    assert runtime - required == set()
    assert "flask" not in required and "sqlalchemy" not in required


def test_the_apk_is_built_from_the_staged_tablet_code() -> None:
    spec = _spec()
    assert spec["source.dir"] == "build/android"
    assert "kv" in spec["source.include_exts"].split(",")
    permissions = set(spec["android.permissions"].split(","))
    assert {"INTERNET", "CAMERA", "ACCESS_FINE_LOCATION", "BLUETOOTH_CONNECT"} <= permissions
    assert "(name=android.permission.BLUETOOTH;maxSdkVersion=30)" in permissions
    assert "androidx.core:core" in spec["android.gradle_dependencies"]
    guide = (ROOT / "docs" / "TABLET.md").read_text(encoding="utf-8")
    assert "cp -r mobile sync build/android/" in guide
    assert "buildozer android debug" in guide


def test_the_apk_carries_the_slips_fonts_and_a_current_reportlab() -> None:
    spec = _spec()
    guide = (ROOT / "docs" / "TABLET.md").read_text(encoding="utf-8")
    assert "ttf" in spec["source.include_exts"].split(",")
    assert "DejaVuSerif*.ttf build/android/fonts/" in guide  # found by use_bundled_fonts
    assert "reportlab" in {_name(r) for r in spec["requirements"].split(",")}
    # p4a's own reportlab recipe is from 2016: the guide stages a local one instead.
    assert spec["p4a.local_recipes"] == "build/p4a-recipes"
    recipe = re.search(r"reportlab/__init__\.py <<'PY'\n(.*?)\nPY\n", guide, re.DOTALL)
    assert recipe is not None
    compile(recipe.group(1), "reportlab/__init__.py", "exec")
    assert "class ReportLabRecipe(PythonRecipe)" in recipe.group(1)
