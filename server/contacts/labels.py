"""Labels for the watch-over codes (English msgids; the Japanese catalog holds the exact national labels)."""
from __future__ import annotations

from server.i18n import N_

METHOD_LABELS = {
    "visit": N_("Visit (met)"),                 # 訪問(対面)
    "visit_absent": N_("Visit (nobody home)"),  # 訪問(不在)
    "exterior": N_("Checked from outside"),     # 外観確認
    "phone": N_("Phone call"),                  # 電話
    "greeting": N_("Greeting in passing"),      # 声かけ
    "salon": N_("Met at a salon or gathering"),  # サロン等で会った
    "other": N_("Other contact"),               # その他
}
OUTCOME_LABELS = {
    "no_change": N_("No change"),               # 変わりなし
    "watch": N_("Something to watch"),          # 気になる
    "notify": N_("Must tell a professional"),   # 要連絡
    "emergency": N_("Emergency"),               # 緊急
}
SIGN_LABELS = {
    "mail_piling": N_("Mail or newspapers piling up"),
    "laundry_left": N_("The same laundry left out"),
    "no_lights_night": N_("No lights at night"),
    "lights_day": N_("Lights on in the daytime"),
    "shutters_closed": N_("Shutters closed by day"),
    "smell_noise": N_("A strange smell or noise"),
    "not_seen": N_("Not seen for days"),
    "shouting": N_("Shouting"),
    "bruises": N_("Bruises or injuries without a reason"),
    "wandering": N_("Wandering or clothes wrong for the season"),
    "weight_loss": N_("Lost weight or low in spirits"),
    "repeating": N_("Repeating the same story"),
    "untidy": N_("Untidy room, dirty clothes or smell"),
    "money_trouble": N_("Trouble paying, or buying the same thing in bulk"),
    "stopped_greeting": N_("Stopped greeting"),
    "strangers": N_("Unknown visitors coming and going"),
    "expensive_goods": N_("Expensive goods or piles of health products"),
    "stopped_salon": N_("Suddenly stopped coming to the salon or gatherings"),
}
FIELD_LABELS = {
    "elderly": N_("Concerning older people"),       # 高齢者に関すること
    "disability": N_("Concerning disabled people"),  # 障害者に関すること
    "children": N_("Concerning children"),          # 子どもに関すること
    "other": N_("Other field"),                     # その他
}
CONTENT_LABELS = {
    "home_welfare": N_("Home welfare"),                   # 在宅福祉
    "care_insurance": N_("Long-term care insurance"),     # 介護保険
    "health": N_("Health and medical care"),              # 健康・保健医療
    "child_rearing": N_("Child-rearing and maternal health"),  # 子育て・母子保健
    "child_community": N_("Children's life in the community"),  # 子どもの地域生活
    "child_school": N_("Children's education and school life"),  # 子どもの教育・学校生活
    "living_costs": N_("Living costs"),                   # 生活費
    "pension": N_("Pension and insurance"),               # 年金・保険
    "work": N_("Work"),                                   # 仕事
    "family": N_("Family relations"),                     # 家族関係
    "housing": N_("Housing"),                             # 住居
    "environment": N_("Living environment"),              # 生活環境
    "daily_support": N_("Everyday support"),              # 日常的な支援
    "other": N_("Other content"),                         # その他
}
OTHER_ACTIVITY_LABELS = {
    "survey": N_("Surveys and fact-finding"),                       # 調査・実態把握
    "events": N_("Taking part in events, projects and meetings"),   # 行事・事業・会議への参加協力
    "community": N_("Community welfare and voluntary activities"),  # 地域福祉活動・自主活動
    "council": N_("Council running and training"),                  # 民児協運営・研修
    "certificates": N_("Certification work"),                       # 証明事務
    "child_report": N_("Finding and reporting children in need of protection"),  # 要保護児童の発見の通告・仲介
    "day": N_("Activity day without a resident"),
}
LIAISON_LABELS = {
    "commissioners": N_("Other commissioners"),
    "agency": N_("An agency or professional"),
}
URGENCY_LABELS = {"emergency": N_("Urgent"), "soon": N_("Soon"), "normal": N_("Normal")}
