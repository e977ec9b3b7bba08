"""Labels for household and consent codes (English msgids, Japanese in the catalog)."""
from __future__ import annotations

from server.i18n import N_

TYPE_LABELS = {
    "elderly_alone": N_("Older person living alone"),         # 独居高齢者
    "elderly_only": N_("Older people only"),                  # 高齢者のみ世帯
    "disability": N_("With a person with a disability"),      # 障害のある方のいる世帯
    "single_parent": N_("Single-parent household"),           # ひとり親世帯
    "child_rearing": N_("Household raising children"),        # 子育て世帯
    "other": N_("Other household"),                           # その他
}
STATUS_LABELS = {"active": N_("Watch-over active"), "paused": N_("Watch-over paused"), "ended": N_("Watch-over ended")}
REASON_LABELS = {
    "hospital": N_("In hospital"), "facility": N_("Moved into a care facility"), "away": N_("Away for a long time"),
    "moved": N_("Moved away"), "died": N_("Died"), "declined": N_("Declined watch-over"),
}
CADENCE_LABELS = {
    "weekly": N_("Every week"), "biweekly": N_("Every 2 weeks"), "monthly": N_("Every month"),
    "bimonthly": N_("Every 2 months"), "days": N_("Every N days"),
}
PURPOSE_LABELS = {
    "watch": N_("Watch-over visits"),
    "share": N_("Sharing with professionals"),
    "evacuation": N_("Evacuation-support list"),
    "sensitive": N_("Health and disability information"),
}
MODEL_LABELS = {"explicit": N_("Explicit consent"), "presumed": N_("Presumed consent"),
                "opt_out": N_("Opt-out by refusal")}
GIVER_LABELS = {"self": N_("The person"), "family": N_("Family"), "guardian": N_("Guardian or similar")}
CONSENT_METHOD_LABELS = {"paper": N_("Paper form"), "verbal": N_("Verbally")}
