"""The activity record in the national layout: XLSX (openpyxl) and CSV (UTF-8 with BOM, so Excel
opens it in Japanese).

One sheet per month and level: rows in the order of the national record (分野 4, 内容 14, total;
その他の活動 6, total; 訪問回数; 連絡調整回数 with its split; 活動日数), one column per unit
(commissioner, council or municipality) and a total column. A fiscal year (April to March) adds a
sheet per month and a 年度計 sheet summing them. Dates are shown in 令和. The labels are the
national form's own, so they are Japanese in every locale.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.activity import compile as c
from server.activity.queries import Table
from server.i18n import wareki

FIELD_JA = ["高齢者に関すること", "障害者に関すること", "子どもに関すること", "その他"]
CONTENT_JA = ["在宅福祉", "介護保険", "健康・保健医療", "子育て・母子保健", "子どもの地域生活",
              "子どもの教育・学校生活", "生活費", "年金・保険", "仕事", "家族関係", "住居", "生活環境",
              "日常的な支援", "その他"]
OTHER_JA = ["調査・実態把握", "行事・事業・会議への参加協力", "地域福祉活動・自主活動", "民児協運営・研修",
            "証明事務", "要保護児童の発見の通告・仲介"]
CONSULT = "相談・支援件数"

# (section, item, key): a key of compile.KEYS, or a derived total.
ROWS: list[tuple[str, str, str]] = (
    [(f"{CONSULT}（分野別）", label, key) for label, key in zip(FIELD_JA, c.FIELD_KEYS, strict=True)]
    + [(f"{CONSULT}（内容別）", label, key) for label, key in zip(CONTENT_JA, c.CONTENT_KEYS, strict=True)]
    + [(CONSULT, "計", "consult_total")]
    + [("その他の活動件数", label, key) for label, key in zip(OTHER_JA, c.OTHER_KEYS, strict=True)]
    + [("その他の活動件数", "計", "other_total"),
       ("訪問回数", "", "visits"),
       ("連絡調整回数", "計", "liaison_total"),
       ("連絡調整回数", "うち民生委員・児童委員", "liaison:commissioners"),
       ("連絡調整回数", "うち関係機関", "liaison:agency"),
       ("活動日数", "", "days")]
)
UNIT_HEADER = {"council": "委員", "municipality": "単位民児協", "prefecture": "市町村"}
LEVEL_JA = {"council": "単位民児協", "municipality": "市町村", "prefecture": "都道府県"}


def value(figures: dict[str, int], key: str) -> int:
    if key == "consult_total":
        return c.consult_total(figures)
    if key == "other_total":
        return c.other_total(figures)
    if key == "liaison_total":
        return c.liaison_total(figures)
    return figures[key]


def reiwa_month(year: int, month: int) -> str:
    return f"{wareki(dt.date(year, month, 1), 'ja')}{month}月"


def reiwa_day(day: dt.date) -> str:
    return f"{wareki(day, 'ja')}{day.month}月{day.day}日"


def period_ja(months: list[tuple[int, int]]) -> str:
    if len(months) == 1:
        return f"{reiwa_month(*months[0])}分"
    fy = c.fiscal_year(*months[0])
    return f"{wareki(dt.date(fy, 4, 1), 'ja')}度（{reiwa_month(*months[0])}〜{reiwa_month(*months[-1])}）"


def grid(table: Table) -> list[list]:
    """The sheet's table: header, then one line per national row, with a total column."""
    total = table.total
    lines: list[list] = [["区分", "項目", *[col.label for col in table.columns], "合計"]]
    for section, item, key in ROWS:
        lines.append([section, item, *[value(col.figures, key) for col in table.columns], value(total, key)])
    lines.append(["提出状況", "提出数／対象数",
                  *[f"{col.submitted}/{col.expected}" for col in table.columns],
                  f"{sum(col.submitted for col in table.columns)}/{sum(col.expected for col in table.columns)}"])
    return lines


def _sheet(ws, table: Table, made_on: dt.date) -> None:
    ws.append(["民生委員・児童委員活動記録"])
    ws.append([f"{LEVEL_JA[table.level]}：{table.name}", period_ja(table.months)])
    ws.append([f"作成日：{reiwa_day(made_on)}"])
    ws.append([])
    ws["A1"].font = Font(bold=True, size=14)
    for line in grid(table):
        ws.append(line)
    for cell in ws[5]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 26
    for i in range(3, len(table.columns) + 4):
        ws.column_dimensions[get_column_letter(i)].width = 12
    ws.freeze_panes = "C6"


def sheet_title(months: list[tuple[int, int]]) -> str:
    return reiwa_month(*months[0]) if len(months) == 1 else "年度計"


def xlsx(tables: list[Table], made_on: dt.date) -> bytes:
    """One sheet per table (a month, or the fiscal-year total), in the order given."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in tables:
        _sheet(wb.create_sheet(sheet_title(table.months)), table, made_on)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(table: Table, made_on: dt.date) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["民生委員・児童委員活動記録", f"{LEVEL_JA[table.level]}：{table.name}", period_ja(table.months),
                f"作成日：{reiwa_day(made_on)}"])
    for line in grid(table):
        w.writerow(line)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
