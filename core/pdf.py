"""PDF helpers shared by every printed document: the embedded CJK font and QR images."""

from __future__ import annotations

import io

import qrcode
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from core.config import ROOT

CJK_FONT = "WQYMicroHei"
# A TrueType collection (reportlab embeds glyf outlines, not CFF): subfont 0 is the proportional face.
CJK_FONT_PATH = ROOT / "static" / "vendor" / "fonts" / "wqy-microhei.ttc"


def cjk_font() -> str:
    """The registered name of the embedded Chinese font (registered once per process)."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(CJK_FONT, str(CJK_FONT_PATH), subfontIndex=0))
    return CJK_FONT


def qr_image(url: str) -> ImageReader:
    """A QR code of `url` as an image reportlab can draw."""
    buffer = io.BytesIO()
    qrcode.make(url, border=2).save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)
