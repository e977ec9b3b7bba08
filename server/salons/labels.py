"""Translated labels for the salons domain's codes (shown through _() where rendered)."""
from server.i18n import N_

PLACE_KINDS = {"community_hall": N_("Community hall"), "ibasho": N_("Place to be (居場所)"),
               "exchange_hub": N_("Exchange point"), "children": N_("Children's place"), "other": N_("Other place")}
SALON_KINDS = {"salon": N_("Salon"), "round_table": N_("Round-table")}
AUDIENCES = {"elderly": N_("Older people"), "parents_children": N_("Parents and children"), "mixed": N_("Everyone (mixed)")}
SCHEDULE_KINDS = {"monthly_nth": N_("Monthly, on the nth weekday"), "weekly": N_("Weekly"),
                  "dates": N_("Chosen dates"), "none": N_("One-off")}
NTH = {1: N_("1st"), 2: N_("2nd"), 3: N_("3rd"), 4: N_("4th"), -1: N_("Last")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
ATTENDANCE = {"present": N_("Present"), "absent": N_("Absent"), "excused": N_("Absent, told us")}
SIGNUP = {"confirmed": N_("Confirmed"), "waitlisted": N_("Waiting list"), "cancelled": N_("Cancelled")}
OUTCOMES = {"visited_well": N_("Visited: doing well"), "visited_unwell": N_("Visited: unwell, told a professional"),
            "hospital_facility": N_("In hospital or a care home"), "will_return": N_("Will come again"),
            "declined": N_("Does not wish to come"), "came_back": N_("Came back")}
