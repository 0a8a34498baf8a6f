import subprocess
import sys

BANNED = ("flask", "sqlalchemy", "wtforms", "weasyprint", "portal")


def test_geo_imports_no_web_or_database_modules():
    code = (
        "import sys, geo, geo.boundaries, geo.maps, geo.render_svg, geo.render_png, geo.__main__;"
        f"print([m for m in {BANNED!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
