"""Invitation links as a QR code, to scan with the new person's phone on the coordinator's screen.

An SVG in a data: URI: no file is written and the CSP (img-src data:) allows it.
"""
from __future__ import annotations

import base64
import io

import qrcode
from qrcode.image.svg import SvgPathImage


def qr_data_uri(text: str) -> str:
    # Error correction M: a phone camera still reads it from a slightly glaring screen.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(image_factory=SvgPathImage).save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
