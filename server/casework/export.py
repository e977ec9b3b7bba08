"""制度外ニーズ for the cross-departmental meeting (生活支援総合調整会議): CSV (UTF-8 with BOM, so Excel
opens it in Japanese) with one line per month × district × neighbourhood × category, and XLSX with
that table (集計) and the one-line descriptions (一覧). Labels are Japanese in every locale: the
meeting's papers are Japanese."""
from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.casework import queries
from server.casework.labels import GAP_LABELS
from server.i18n import TOKYO, catalog
from server.scope import Scope
from server.users.models import User

HEADER = ["年月", "地域（中学校区）", "地区", "分類", "件数"]


def ja(msgid: str) -> str:
    value = catalog("ja").get(msgid, msgid)
    return value if isinstance(value, str) and value else msgid


def count_lines(view: dict) -> list[list]:
    areas = view["areas"]
    lines = []
    for area_id, category, month, n in view["rows"]:
        hood = areas.get(area_id)
        district = areas.get(hood.parent_id) if hood is not None else None
        lines.append([month, district.name if district else "", hood.name if hood else "",
                      ja(GAP_LABELS[category]), n])
    return lines


def entry_lines(view: dict) -> list[list]:
    areas = view["areas"]
    return [[gap.created_at.astimezone(TOKYO).date().isoformat(), areas[gap.area_id].name if gap.area_id in areas else "",
             ja(GAP_LABELS[gap.category]), line] for gap, line in view["entries"]]


def csv_bytes(view: dict) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADER)
    for line in count_lines(view):
        w.writerow(line)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx(view: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "集計"
    ws.append(HEADER)
    for line in count_lines(view):
        ws.append(line)
    listing = wb.create_sheet("一覧")
    listing.append(["記録日", "地区", "分類", "内容"])
    for line in entry_lines(view):
        listing.append(line)
    for sheet in (ws, listing):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 20
        sheet.column_dimensions["C"].width = 24
        sheet.column_dimensions["D"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def gaps_file(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int, start: dt.date,
                    end: dt.date, fmt: str) -> tuple[bytes, str, str]:
    """The month-by-month gaps as a file (bytes, media type, file name); the download is audited."""
    view = await queries.gaps_report(session, scope=scope, municipality_id=municipality_id, start=start, end=end,
                                     by="month")
    await record(session, action="casework.gaps_exported", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id)
    name = f"gaps-{municipality_id}-{start.isoformat()}-{end.isoformat()}.{fmt}"
    return (csv_bytes(view) if fmt == "csv" else xlsx(view)), MEDIA[fmt], name
