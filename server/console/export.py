"""Exports of the console's tables: CSV (UTF-8 with BOM, so Excel opens it in Japanese) and XLSX
(openpyxl, as the activity record). The caller has checked the step-up and audits the download;
published exports carry "<10" exactly where the page does (the same cube)."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

HIDDEN = "<10"


def cell(value):
    return HIDDEN if value is None else value


def table_rows(title: str, period: str, area: str, columns: list[str], rows: list[tuple]) -> list[list]:
    out: list[list] = [[title], [area, period], [""] + columns + ["計 / Total"]]
    for label, values, total in rows:
        out.append([label] + [cell(v) for v in values] + [cell(total)])
    return out


def to_csv(rows: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[list], sheet: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for row in rows:
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=13)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
