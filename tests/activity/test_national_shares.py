"""A small-scale fixture that reproduces the FY2015 national shares of domain.md: 100 consultations
logged through the watch-over service by the council's three commissioners, then the municipal
export read back: the sheet's rows carry exactly those shares and the right totals."""
from __future__ import annotations

import io
import itertools

import openpyxl

from tests.activity.builders import day_of_last_month, log, period, watched
from tests.helpers import sign_in

# Per 100 consultations (FY2015). 内容: 日常的な支援 25, その他 25, 子どもの地域生活 9, 在宅福祉 8,
# 健康・保健医療 7, 子どもの教育・学校生活 6, 生活環境 4, the rest under 4 each (16 in all here).
CONTENT_SHARES = {"daily_support": 25, "other": 25, "child_community": 9, "home_welfare": 8, "health": 7,
                  "child_school": 6, "environment": 4, "care_insurance": 3, "child_rearing": 3, "family": 3,
                  "living_costs": 2, "pension": 2, "work": 2, "housing": 1}
# 分野: 高齢者 56, 子ども 21, 障害者 5, その他 18.
FIELD_SHARES = {"elderly": 56, "children": 21, "disability": 5, "other": 18}
CONTENT_JA = {"daily_support": "日常的な支援", "other": "その他", "child_community": "子どもの地域生活",
              "home_welfare": "在宅福祉", "health": "健康・保健医療", "child_school": "子どもの教育・学校生活",
              "environment": "生活環境", "care_insurance": "介護保険", "child_rearing": "子育て・母子保健",
              "family": "家族関係", "living_costs": "生活費", "pension": "年金・保険", "work": "仕事", "housing": "住居"}
FIELD_JA = {"elderly": "高齢者に関すること", "children": "子どもに関すること", "disability": "障害者に関すること",
            "other": "その他"}


def pairs() -> list[tuple[str, str]]:
    fields = list(itertools.chain.from_iterable([f] * n for f, n in FIELD_SHARES.items()))
    contents = list(itertools.chain.from_iterable([k] * n for k, n in CONTENT_SHARES.items()))
    assert len(fields) == len(contents) == 100
    return list(zip(fields, contents, strict=True))


async def test_the_fy2015_shares_come_out_of_the_exported_sheet(client, db, cast, sessionmaker, settings):
    people = [cast.commissioner, cast.chief_child, cast.council_chair]
    homes = [await watched(db, cast, commissioner=p, address=f"割合町{i}") for i, p in enumerate(people)]
    for n, (field, content) in enumerate(pairs()):
        i = n % 3
        await log(db, people[i], homes[i], when=day_of_last_month(1 + n % 27, 9 + n % 8),
                  consults=[(field, content)])
    await sign_in(client, sessionmaker, settings, cast.municipal_analyst)
    r = await client.get(f"/municipal-record/export?month={period()}&format=xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    lines = list(ws.iter_rows(values_only=True))
    head = next(i for i, line in enumerate(lines) if line[0] == "区分")
    rows = {(line[0], line[1]): line[-1] for line in lines[head + 1:]}
    total = rows[("相談・支援件数", "計")]
    assert total == 100
    for code, share in CONTENT_SHARES.items():
        assert rows[("相談・支援件数（内容別）", CONTENT_JA[code])] / total == share / 100
    for code, share in FIELD_SHARES.items():
        assert rows[("相談・支援件数（分野別）", FIELD_JA[code])] / total == share / 100
    assert sum(v for (s, _i), v in rows.items() if s == "相談・支援件数（分野別）") == total
    assert sum(v for (s, _i), v in rows.items() if s == "相談・支援件数（内容別）") == total
    assert rows[("訪問回数", None)] == 100  # each was a visit (met) under the default rules
