"""The closed list of audit action codes, each with a label marked for translation.

A code not in this list cannot be written (record() raises): the trail stays a
vocabulary a coordinator can read. The foundation's codes are below; each later domain
registers its own namespaced codes from its service module with register().
"""
from __future__ import annotations

from server.i18n import N_

ACTIONS: dict[str, str] = {
    "auth.signed_in": N_("Signed in with a passkey"),
    "auth.signin_failed": N_("Failed sign-in"),
    "auth.signed_out": N_("Signed out"),
    "auth.demo_signed_in": N_("Signed in as a demo persona"),
    "auth.stepup": N_("Confirmed with a passkey again"),
    "passkey.added": N_("Passkey added"),
    "passkey.removed": N_("Passkey removed"),
    "invitation.created": N_("Invitation created"),
    "invitation.used": N_("Invitation used"),
    "user.deactivated": N_("Person deactivated"),
    "user.reactivated": N_("Person reactivated"),
    "user.locale_changed": N_("Language changed"),
    "role.granted": N_("Role granted"),
    "role.ended": N_("Role ended"),
    "area.granted": N_("Area granted"),
    "area.ended": N_("Area grant ended"),
    "area.created": N_("Area created"),
    "area.updated": N_("Area updated"),
    "organisation.created": N_("Organisation created"),
    "organisation.updated": N_("Organisation updated"),
    "audit.viewed": N_("Audit trail viewed"),
}


def register(actions: dict[str, str]) -> None:
    """Add a domain's codes (namespaced "<domain>.<verb>"); a code may be registered once."""
    for code, label in actions.items():
        if code in ACTIONS and ACTIONS[code] != label:
            raise ValueError(f"audit action {code} registered twice with different labels")
        ACTIONS[code] = label
