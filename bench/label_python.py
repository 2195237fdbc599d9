"""The peer a user would otherwise reach for: the same label layout (dumped by
returnd-bench-labels --dump-layout) drawn with Python's reportlab and segno, the way their
documentation shows. Prints labels per second per format on one core, as label_floor.c does.

PDF: a reportlab canvas with DejaVu Sans embedded (the label has accents and, for some
countries, Cyrillic or Hebrew), reportlab's Code 128 and segno's QR matrix as rectangles.
PNG and SVG: the same drawing as a reportlab Drawing, rendered by renderPM (203 dpi, then 1-bit
through Pillow, as a thermal printer takes it) and renderSVG. ZPL: a text template with the
printer's own ^BC and ^BQN, escaped under ^FH as returnd does.

The layout is parsed once, outside the timing; the QR and barcode are encoded for every label.
Usage: [LABEL_FORMAT=pdf|png|svg|zpl] python3 label_python.py LAYOUT [SECONDS] [OUTDIR]
"""
import io
import os
import sys
import time

import segno
from reportlab.graphics import renderPM, renderSVG
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.shapes import Drawing, Path, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
pdfmetrics.registerFont(TTFont("DejaVu-Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))


def load(path):
    page, elements = None, []
    for line in open(path, encoding="utf-8").read().split("\n"):
        parts = line.split(" ")
        if parts[0] == "page":
            page = (float(parts[1]), float(parts[2]), int(parts[3]))
        elif parts[0] == "text":
            elements.append(("text", float(parts[1]), float(parts[2]), float(parts[3]), parts[4] == "1", float(parts[5]), " ".join(parts[6:])))
        elif parts[0] == "rect":
            elements.append(("rect", *map(float, parts[1:5])))
        elif parts[0] == "barcode":
            elements.append(("barcode", float(parts[1]), float(parts[2]), float(parts[3]), float(parts[4]), parts[5] == "1", " ".join(parts[6:])))
        elif parts[0] == "qr":
            elements.append(("qr", float(parts[1]), float(parts[2]), float(parts[3]), " ".join(parts[4:])))
    return page, elements


def fitted(e):
    """Font and size for a text element, shrunk to its width as returnd does."""
    _, _, _, size, bold, width, text = e
    font = "DejaVu-Bold" if bold else "DejaVu"
    advance = stringWidth(text, font, size)
    if advance > width:
        size = max(size * width / advance, e[3] * 0.75)
    return font, size


def pdf(page, elements):
    w, h, _ = page
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(w, h))
    for e in elements:
        if e[0] == "text":
            font, size = fitted(e)
            c.setFont(font, size)
            c.drawString(e[1], h - e[2] - size * 0.93, e[6])
        elif e[0] == "rect":
            c.rect(e[1], h - e[2] - e[4], e[3], e[4], stroke=0, fill=1)
        elif e[0] == "barcode":
            bc = Code128(e[6], barWidth=e[3], barHeight=e[4], quiet=0)
            bc.drawOn(c, e[1], h - e[2] - e[4])
        else:
            # All dark modules in one path, one fill: the fast way to put segno's matrix on a page.
            qr = segno.make(e[4], error="m", boost_error=False)
            m, path = e[3], c.beginPath()
            for y, row in enumerate(qr.matrix):
                for x, dark in enumerate(row):
                    if dark:
                        path.rect(e[1] + x * m, h - e[2] - (y + 1) * m, m, m)
            c.drawPath(path, stroke=0, fill=1)
    c.showPage()
    c.save()
    return out.getvalue()


def drawing(page, elements):
    w, h, _ = page
    d = Drawing(w, h)
    d.add(Rect(0, 0, w, h, fillColor=colors.white, strokeColor=None))
    for e in elements:
        if e[0] == "text":
            font, size = fitted(e)
            d.add(String(e[1], h - e[2] - size * 0.93, e[6], fontName=font, fontSize=size))
        elif e[0] == "rect":
            d.add(Rect(e[1], h - e[2] - e[4], e[3], e[4], fillColor=colors.black, strokeColor=None))
        elif e[0] == "barcode":
            bc = createBarcodeDrawing("Code128", value=e[6], barWidth=e[3], barHeight=e[4], quiet=0)
            bc.translate(e[1], h - e[2] - e[4])
            d.add(bc)
        else:
            qr = segno.make(e[4], error="m", boost_error=False)
            m, path = e[3], Path(fillColor=colors.black, strokeColor=None)
            for y, row in enumerate(qr.matrix):
                for x, dark in enumerate(row):
                    if dark:
                        x0, y0 = e[1] + x * m, h - e[2] - (y + 1) * m
                        path.moveTo(x0, y0)
                        path.lineTo(x0 + m, y0)
                        path.lineTo(x0 + m, y0 + m)
                        path.lineTo(x0, y0 + m)
                        path.closePath()
            d.add(path)
    return d


def png(page, elements):
    image = renderPM.drawToPIL(drawing(page, elements), dpi=page[2]).convert("1")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def svg(page, elements):
    return renderSVG.drawToString(drawing(page, elements)).encode()


def zpl(page, elements):
    dot = 72.0 / page[2]

    def d(pt):
        return int(round(pt / dot))

    def esc(s):
        return s.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E").replace("\n", " ")

    z = [f"^XA\n^CI28\n^PW{d(page[0])}\n^LL{d(page[1])}\n^LH0,0\n"]
    for e in elements:
        if e[0] == "text":
            hh = d(e[3])
            ww = int(hh * 1.1) if e[4] else hh
            # A field block reads a backslash as the start of a command (\& a line break): doubled.
            z.append(f"^FO{d(e[1])},{d(e[2])}^A0N,{hh},{ww}^FB{d(e[5])},1,0,L,0^FH_^FD{esc(e[6]).replace(chr(92), chr(92) * 2)}^FS\n")
        elif e[0] == "rect":
            z.append(f"^FO{d(e[1])},{d(e[2])}^GB{max(1, d(e[3]))},{max(1, d(e[4]))},{max(1, min(d(e[3]), d(e[4])))}^FS\n")
        elif e[0] == "barcode":
            data = ">;>8" + e[6] if e[5] else esc(e[6])
            z.append(f"^FO{d(e[1])},{d(e[2])}^BY{max(1, d(e[3]))}^BCN,{d(e[4])},N,N,N^FH_^FD{data}^FS\n")
        else:
            z.append(f"^FO{d(e[1])},{d(e[2])}^BQN,2,{max(1, min(10, d(e[3])))}^FH_^FDMA,{esc(e[4])}^FS\n")
    z.append("^XZ\n")
    return "".join(z).encode()


def main():
    page, elements = load(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    # LABEL_FORMAT=pdf times one format only: bench/labels runs each format next to returnd's.
    only = os.environ.get("LABEL_FORMAT")
    print("format\tlabels_per_s\tbytes")
    for name, render in [("pdf", pdf), ("png", png), ("svg", svg), ("zpl", zpl)]:
        if only and name != only:
            continue
        size = len(render(page, elements))
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            render(page, elements)
            n += 1
        print(f"{name}\t{n / (time.perf_counter() - start):.1f}\t{size}")
    if len(sys.argv) > 3:
        # Keep one of each, to look at or decode.
        for name, render in [("pdf", pdf), ("png", png), ("svg", svg), ("zpl", zpl)]:
            open(f"{sys.argv[3]}/python.{name}", "wb").write(render(page, elements))


if __name__ == "__main__":
    main()
