"""Labels for the casework codes (English msgids; the Japanese catalog holds the Japanese terms)."""
from __future__ import annotations

from server.i18n import N_

KIND_LABELS = {
    "intake": N_("Intake sheet"),            # 相談受付票
    "assessment": N_("Assessment sheet"),    # アセスメントシート
}
SECTION_LABELS = {
    "composition": N_("Household composition"),      # 世帯構成
    "care": N_("Care and long-term care"),            # 介護
    "disability": N_("Disability"),                   # 障害
    "children": N_("Children and child-rearing"),     # 子ども・子育て
    "money": N_("Money and living costs"),            # 家計・経済状況
    "housing": N_("Housing"),                         # 住まい
    "health": N_("Health and medical care"),          # 健康・医療
    "relationships": N_("Relationships and support around them"),  # 人間関係・周囲の支援
    "agencies": N_("Agencies already involved"),      # 関わっている機関
    "wishes": N_("The household's own wishes"),       # 本人・世帯の意向
}
BASIS_LABELS = {
    "consent": N_("Consent of the person"),                        # 本人同意
    "meeting": N_("Support meeting (statutory)"),                  # 支援会議
    "emergency": N_("Emergency"),                                  # 緊急
    "statutory": N_("Required by law (statutory report)"),         # 法令
}
CONFERENCE_LABELS = {
    "case": N_("Case conference"),                 # ケース検討会
    "regional": N_("Community care meeting"),      # 地域ケア会議
    "support_meeting": N_("Support meeting"),      # 支援会議
}
GAP_LABELS = {
    "daily_life": N_("Help with daily life (outside care insurance)"),  # 制度外の生活支援
    "transport": N_("Getting to hospital or shops"),                    # 通院・買い物の移動
    "shopping": N_("Shopping and meals"),                               # 買い物・食事
    "garbage": N_("Rubbish and clearing the home"),                     # ごみ出し・片付け
    "housing": N_("Housing and moving"),                                # 住まい・転居
    "money": N_("Money management"),                                    # 金銭管理
    "guarantor": N_("Guarantor or emergency contact"),                  # 身元保証・緊急連絡先
    "employment": N_("Work and a place to go (working age)"),           # 就労・居場所（稼働年齢層）
    "isolation": N_("Isolation and withdrawal"),                        # 孤立・ひきこもり
    "family_care": N_("Support for family carers"),                     # 家族介護者・ケアラー支援
    "children": N_("Children and young carers"),                        # 子ども・ヤングケアラー
    "other": N_("Other"),                                               # その他
}
