"""The maps must survive WeasyPrint, which the portal uses for PDFs."""

import io

import pypdf
import weasyprint

from geo.maps import render_map


def test_tile_svg_embeds_in_weasyprint_pdf():
    svg = render_map({"101": 3.0, "751": 1.0}, title="Dækning i forsøget")
    html = f'<html lang="da"><head><meta charset="utf-8"></head><body>{svg}</body></html>'
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Dækning i forsøget" in text
    assert "frikommune – udelukket" in text
