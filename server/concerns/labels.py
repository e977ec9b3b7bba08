"""Labels for the concern codes (English msgids; the Japanese catalog holds the Japanese terms)."""
from __future__ import annotations

from server.i18n import N_

GROUP_LABELS = {
    "elderly": N_("Older people"),          # 高齢者
    "disability": N_("People with disabilities"),  # 障害者
    "children": N_("Children"),             # 子ども
    "other": N_("Other"),                   # その他
}
CATEGORY_LABELS = {
    "health": N_("Health"),
    "dementia": N_("Signs of dementia"),
    "abuse": N_("Suspected abuse or neglect"),
    "money": N_("Money and poverty"),
    "isolation": N_("Isolation or withdrawal"),
    "housing": N_("Housing or hoarding"),
    "family": N_("Family"),
    "disaster": N_("Disaster risk"),
    "other": N_("Other matters"),
}
URGENCY_LABELS = {
    "emergency": N_("Emergency"),           # 緊急
    "soon": N_("Soon"),                     # 早め
    "normal": N_("Normal"),                 # 通常
}
STATE_LABELS = {
    "new": N_("Not yet acknowledged"),      # 未受付
    "acknowledged": N_("Acknowledged"),     # 受付済
    "in_progress": N_("In progress"),       # 対応中
    "linked": N_("Linked to support"),      # つながった
    "watching": N_("Back to watch-over"),   # 見守り継続
    "closed": N_("Closed"),                 # 対応終了
}
# What the reporter sees.
REPORTER_STATUS = {
    "sent": N_("Sent, waiting to be acknowledged"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),                     # 完了
}
ACTION_LABELS = {
    "raise": N_("Raised"),
    "acknowledge": N_("Acknowledge"),
    "start": N_("Start work"),
    "link": N_("Close: linked to support"),
    "watch": N_("Close: back to watch-over"),
    "close": N_("Close: ended"),
    "transfer": N_("Transfer to another organisation"),
    "reopen": N_("Reopen"),
    "close_on_death": N_("Closed by the system (the person died)"),
    "withdraw": N_("Withdrawn by the reporter"),
}
BASIS_LABELS = {
    "consent": N_("Consent of the person"),                 # 本人同意
    "emergency": N_("Emergency"),                           # 緊急
    "statutory": N_("Required by law (suspected abuse)"),   # 法令
    "welfare": N_("Necessary for the person's welfare"),    # 福祉のため特に必要
}
ROUTED_LABELS = {
    "route": N_("by the routing table"),
    "fallback": N_("to the one-stop hub (no matching rule)"),
    "transfer": N_("by transfer"),
}
