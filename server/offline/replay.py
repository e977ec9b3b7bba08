"""Replay-only sign-in (issue 4): a person whose access ended while entries waited on their phone.

A deactivated person whose passkey is still valid may sign in ONCE per deactivation; the session
reaches nothing but PATHS (the outbox's endpoint, the key to seal entries to, the page that sends
them, sign-out), lasts LIFETIME, and everything it delivers is held for the coordinator's review
(server/offline/service.py, reason "access_ended"). A revoked passkey (a phone reported lost, or
replaced by a re-invitation) cannot sign in at all. The rules are enforced by server/auth
(service.finish_signin and sessions.resolve); this module only holds them, so that the auth
package needs no import of the offline domain's service.
"""
from __future__ import annotations

import datetime as dt

from server.audit.actions import register
from server.i18n import N_

LIFETIME = dt.timedelta(minutes=15)
PATHS = frozenset({("POST", "/sync"), ("GET", "/sync/key"), ("GET", "/sync/replay"), ("POST", "/sync/discarded"),
                   ("POST", "/signout"), ("GET", "/sw.js"), ("GET", "/manifest.webmanifest")})
ACTION = "auth.replay_signed_in"

MSG_ONLY_SYNC = N_("Your access has ended. This sign-in can only send the entries waiting on this phone to "
                   "your coordinator (the page /sync/replay does it); then please sign out.")
MSG_USED = N_("This account is not active, and the entries waiting on this phone were already sent once. "
              "Please contact your coordinator.")

register({ACTION: N_("Signed in only to send waiting entries (access ended)")})
