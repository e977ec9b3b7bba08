"""Route-enumerating authorization: every route the app serves, tried by every persona.

The routes come from the application's own route table at run time, so a new route cannot escape:
it must declare opt={"access": ...} ("public", "signed_in" or a tuple of roles), and it is then
requested by anonymous and by each persona of the cast, with ids from the coordinator's city and
from the other city. The rules, in order:

1. nothing ever answers 500;
2. anonymous (and a deactivated person, whose session is dead) is sent to /signin (GET) or gets
   401 (POST) on anything not "public";
3. a signed-in person holding none of the route's roles gets 404 (never 403: we do not confirm
   what exists);
4. a person bound to one municipality gets 404 for ids from another municipality;
5. the coordinator opens every coordinator page of their own city (200), and every allowed person
   opens the parameterless pages (200).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from litestar import get
from litestar.routes import HTTPRoute
from sqlalchemy import select

from server.areas.models import Area
from server.areas.service import create_organisation
from server.auth.models import Passkey
from server.users.models import ROLES, AreaGrant, RoleGrant
from server.users.service import add_active_user
from tests.helpers import csrf, sign_in
from tests.personas import USER_NAMES

# Served without a sign-in and outside the access rules: files and the load balancer's probe.
EXEMPT = ("/static", "/healthz")
ANONYMOUS = "anonymous"
PERSONAS = (ANONYMOUS, *USER_NAMES)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: object

    @property
    def params(self) -> list[tuple[str, str]]:
        return re.findall(r"\{(\w+)(?::(\w+))?\}", self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app) -> list[Endpoint]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD") and "access" not in handler.opt:
                    continue  # Litestar's own answers (CORS pre-flight, HEAD of a static file)
                found.append(Endpoint(method, route.path, handler.opt.get("access")))
    return found


def checked(app) -> list[Endpoint]:
    return [e for e in endpoints(app) if not e.path.startswith(EXEMPT)]


# --- every route declares who may use it ---------------------------------------------------------

def test_every_route_declares_who_may_use_it(app):
    missing = [str(e) for e in checked(app) if e.access is None]
    assert missing == [], f'routes without opt={{"access": ...}}: {missing}'


def test_every_access_marker_is_public_signed_in_or_known_roles(app):
    for e in checked(app):
        if isinstance(e.access, tuple):
            assert e.access and set(e.access) <= set(ROLES), f"{e}: unknown role in {e.access}"
        else:
            assert e.access in ("public", "signed_in"), f"{e}: {e.access!r}"


def test_the_walk_sees_the_routes_of_every_domain(app):
    paths = {e.path for e in checked(app)}
    assert {"/", "/home", "/language"} <= paths
    assert len(paths) >= 3


# --- ids for path parameters ----------------------------------------------------------------------

@dataclass
class Town:
    """Ids inside one municipality, one per kind of path parameter."""

    municipality: int
    user: int
    role_grant: int
    area_grant: int
    area: int
    organisation: int
    passkey: int
    # Watch-over ids (tests/watchover/ids.py): a household, its member, its assignment, a contact the
    # coordinator entered for the commissioner, and a commissioner's stand-alone activity.
    household: int = 0
    person: int = 0
    assignment: int = 0
    contact: int = 0
    activity: int = 0
    # Salon ids (tests/salons/ids.py): a salon with its organiser row, a roster member, a coming
    # session with a sign-up and a public page, an attendance row and an open follow-up.
    salon: int = 0
    salon_session: int = 0
    signup: int = 0
    member: int = 0
    followup: int = 0
    organiser: int = 0
    attendance: int = 0
    join_token: str = ""
    # Concerns (tests/concerns/ids.py): a concern about the household and a routing rule.
    concern: int = 0
    route: int = 0
    sync_entry: int = 0  # a held offline entry (tests/offline/ids.py)
    # Casework (tests/casework/ids.py): a sheet, a 緊急 share of it, a 支援会議, a conference and its action.
    sheet: int = 0
    share: int = 0
    meeting: int = 0
    conference: int = 0
    action: int = 0


# Each path parameter, read from a town. A new route with a new parameter name fails below until
# a line is added here (and, if needed, the ids to the cast): its ids must be real to be meaningful.
PARAMS = {
    "user_id": lambda town, path: town.user,
    "grant_id": lambda town, path: town.role_grant if "/roles/" in path else town.area_grant,
    "area_id": lambda town, path: town.area,
    "org_id": lambda town, path: town.organisation,
    "passkey_id": lambda town, path: town.passkey,
    "token": lambda town, path: "no-such-invitation-token-0000000000000",
    "household_id": lambda town, path: town.household,
    "person_id": lambda town, path: town.person,
    "assignment_id": lambda town, path: town.assignment,
    "contact_id": lambda town, path: town.contact,
    "activity_id": lambda town, path: town.activity,
    "purpose": lambda town, path: "watch",
    "salon_id": lambda town, path: town.salon,
    "session_id": lambda town, path: town.salon_session,
    "signup_id": lambda town, path: town.signup,
    "member_id": lambda town, path: town.member,
    "followup_id": lambda town, path: town.followup,
    "organiser_id": lambda town, path: town.organiser,
    "attendance_id": lambda town, path: town.attendance,
    "join_token": lambda town, path: town.join_token,
    "concern_id": lambda town, path: town.concern,
    "route_id": lambda town, path: town.route,
    "entry_id": lambda town, path: town.sync_entry,
    "sheet_id": lambda town, path: town.sheet,
    "share_id": lambda town, path: town.share,
    "meeting_id": lambda town, path: town.meeting,
    "conference_id": lambda town, path: town.conference,
    "action_id": lambda town, path: town.action,
}
# Parameters that do not belong to a municipality (tried once, not per city).
UNSCOPED = {"token"}


def test_every_path_parameter_has_an_id_source(app):
    unknown = sorted({f"{name} (in {e.path})" for e in checked(app) for name, _ in e.params if name not in PARAMS})
    assert unknown == [], f"add these to PARAMS in {__file__}: {unknown}"


async def towns(db, cast) -> SimpleNamespace:
    """The coordinator's city ("this") and the town next door ("other"), with real ids in each."""

    async def first(stmt):
        return (await db.scalars(stmt.limit(1))).first()

    async def passkey_of(user_id: int) -> int:
        key = Passkey(user_id=user_id, credential_id=f"cred-{user_id}".encode(), public_key=b"pk", name="phone")
        db.add(key)
        await db.flush()
        return key.id

    other_org = await create_organisation(db, actor=None, municipality_id=cast.other_city.id, kind="support_centre",
                                          name="となり町地域包括支援センター", area_ids=[cast.other_city.id],
                                          phone="000-300-0001")
    other_area = await first(select(Area.id).where(Area.parent_id == cast.other_city.id))
    this = Town(
        municipality=cast.city.id,
        user=cast.volunteer.id,
        role_grant=await first(select(RoleGrant.id).where(RoleGrant.user_id == cast.volunteer.id)),
        area_grant=await first(select(AreaGrant.id).where(AreaGrant.user_id == cast.volunteer.id)),
        area=cast.hood_a1.id,
        organisation=cast.orgs.support_centre_a.id,
        passkey=await passkey_of(cast.volunteer.id),
    )
    them = await add_active_user(db, actor=None, display_name="隣町 福祉員", role="volunteer",
                                 municipality_id=cast.other_city.id, area_ids=[other_area])
    other = Town(
        municipality=cast.other_city.id,
        user=them.id,
        role_grant=await first(select(RoleGrant.id).where(RoleGrant.user_id == them.id)),
        area_grant=await first(select(AreaGrant.id).where(AreaGrant.user_id == them.id)),
        area=other_area,
        organisation=other_org.id,
        passkey=await passkey_of(them.id),
    )
    from tests.watchover.ids import add_watchover_ids

    await add_watchover_ids(db, cast, this, other)
    from tests.salons.ids import add_salon_ids

    await add_salon_ids(db, cast, this, other)
    from tests.concerns.ids import add_concern_ids

    await add_concern_ids(db, cast, this, other)
    from tests.offline.ids import add_offline_ids

    await add_offline_ids(db, cast, this, other)
    from tests.casework.ids import add_casework_ids

    await add_casework_ids(db, cast, this, other)
    await db.commit()
    assert None not in vars(this).values() and None not in vars(other).values()
    return SimpleNamespace(this=this, other=other)


def url_for(e: Endpoint, town: Town) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(PARAMS[m.group(1)](town, e.path)), e.path)


def variants(e: Endpoint, places) -> list[tuple[str, Town]]:
    if not any(name not in UNSCOPED for name, _ in e.params):
        return [("this", places.this)]
    return [("this", places.this), ("other", places.other)]


# --- the expectations, as a table ------------------------------------------------------------------

@dataclass
class Case:
    persona: str
    endpoint: Endpoint
    place: str  # "this" city or the "other" one
    persona_roles: frozenset[str]
    persona_town: int | None
    place_town: int


def allowed(case: Case) -> bool:
    access = case.endpoint.access
    if access == "public":
        return True
    if not case.persona_roles:  # anonymous, or a deactivated person
        return False
    return access == "signed_in" or bool(case.persona_roles & set(access))


def expectation(case: Case) -> str:
    """What the answer must be: 'signin', 'not_found', 'ok' or 'no_500'."""
    e = case.endpoint
    if e.access == "public":
        return "no_500"
    if not case.persona_roles:
        return "signin"
    if not allowed(case):
        return "not_found"
    bound = case.persona_town is not None and "prefecture_analyst" not in case.persona_roles
    if bound and e.params and case.place_town != case.persona_town and isinstance(e.access, tuple):
        return "not_found"  # another municipality's ids
    if e.method == "GET" and not e.params:
        return "ok"
    if e.method == "GET" and "coordinator" in case.persona_roles and isinstance(e.access, tuple) \
            and "coordinator" in e.access and case.place_town == case.persona_town:
        return "ok"  # coordinators manage their municipality's whole tree
    return "no_500"


def check(case: Case, response) -> str | None:
    """None when the answer meets the expectation, else what went wrong."""
    status = response.status_code
    where = response.headers.get("location", "")
    if status >= 500:
        return f"answered {status}"
    want = expectation(case)
    if want == "signin":
        if case.endpoint.method == "GET":
            ok = status == 303 and where.startswith("/signin")
        else:
            ok = status == 401 or (status == 303 and where.startswith("/signin"))
        return None if ok else f"anonymous got {status} {where}, expected /signin or 401"
    if want == "not_found":
        return None if status == 404 else f"got {status} {where}, expected 404"
    if want == "ok":
        return None if status == 200 else f"got {status} {where}, expected 200"
    return None


# --- the walk ---------------------------------------------------------------------------------------

async def walk(persona: str, app, client, cast, db, sessionmaker, settings, only: str = "/"):
    """Request every checked route as `persona`; returns (failures, how often each rule applied)."""
    from server.scope import build_scope

    places = await towns(db, cast)
    user = cast.users.get(persona)
    roles: frozenset[str] = frozenset()
    if user is not None and user.status == "active":
        roles = frozenset((await build_scope(db, user)).roles)
    await db.commit()  # (objects stay loaded: expire_on_commit is off)

    # GETs first, so that the POSTs (which may change things) cannot disturb them.
    todo = sorted((e for e in checked(app) if e.path.startswith(only)), key=lambda e: (e.method != "GET", e.path))
    failures: list[str] = []
    seen: Counter[str] = Counter()
    token = await csrf(client)
    if user is not None:
        await sign_in(client, sessionmaker, settings, user)
    for e in todo:
        for place, town in variants(e, places):
            case = Case(persona, e, place, roles, user.municipality_id if user else None, town.municipality)
            url = url_for(e, town)
            if e.method == "GET":
                response = await client.get(url, follow_redirects=False)
            else:
                response = await client.request(e.method, url, data={"_csrf_token": token},
                                                 headers={"x-csrftoken": token}, follow_redirects=False)
                client.cookies.delete(settings.session_cookie)
                if user is not None:  # afresh: the POST may have signed out or rotated the session
                    await sign_in(client, sessionmaker, settings, user)
            seen[expectation(case)] += 1
            problem = check(case, response)
            if problem:
                failures.append(f"{persona:24} {e.method:5} {url:40} [{e.access}] ({place} city): {problem}")
            if "Traceback" in response.text:
                failures.append(f"{persona} {e} ({place}): a traceback in the page")
            if 'name="_csrf_token" value=""' in response.text or '"x-csrftoken": ""' in response.text:
                failures.append(f"{persona} {e} ({place}): a form without its CSRF token")
    return failures, seen


@pytest.mark.parametrize("persona", PERSONAS)
async def test_every_route_with_every_persona(persona, app, client, cast, db, sessionmaker, settings):
    failures, seen = await walk(persona, app, client, cast, db, sessionmaker, settings)
    assert failures == [], "\n" + "\n".join(failures)
    # The walk is not vacuous: each kind of rule was exercised where it applies.
    if persona in (ANONYMOUS, "deactivated"):
        assert seen["signin"] > 0
    elif persona == "coordinator":
        assert seen["ok"] > 3 and seen["not_found"] > 0  # its own pages, and the other city's ids
    elif persona == "volunteer":
        assert seen["not_found"] > 0 and seen["ok"] > 0  # coordinator pages, and its own home


@get("/__leak__/people/{user_id:int}", opt={"access": ("coordinator",)})
async def leaky(user_id: int) -> str:
    return "a page that forgot to check who is asking"


@pytest.mark.parametrize("persona", ["volunteer", "coordinator_other_city", ANONYMOUS])
async def test_the_walk_catches_a_route_that_forgets_its_checks(persona, app, client, cast, db, sessionmaker,
                                                                settings):
    # The access guard (server/access.py) refuses anyone without the route's roles before a handler
    # runs, so a route can forget its checks only by escaping the guard: registered here without
    # the app's guards, the leaky route shows that the walk itself still catches what nothing checked.
    guards, app.guards = app.guards, []
    app.register(leaky)
    app.guards = guards
    assert not [h for r in app.routes if r.path.startswith("/__leak__/") for h in r.route_handlers
                if h.resolve_guards()]
    failures, _ = await walk(persona, app, client, cast, db, sessionmaker, settings, only="/__leak__/")
    assert any("/__leak__/" in f for f in failures), failures


def test_the_expectation_table_reads_as_the_rules():
    people = Endpoint("GET", "/people/{user_id:int}", ("coordinator",))
    coordinator = dict(persona_roles=frozenset({"coordinator"}), persona_town=1)
    assert expectation(Case(ANONYMOUS, people, "this", frozenset(), None, 1)) == "signin"
    assert expectation(Case("volunteer", people, "this", frozenset({"volunteer"}), 1, 1)) == "not_found"
    assert expectation(Case("coordinator", people, "this", place_town=1, **coordinator)) == "ok"
    assert expectation(Case("coordinator", people, "other", place_town=2, **coordinator)) == "not_found"
    home = Endpoint("GET", "/home", "signed_in")
    assert expectation(Case("volunteer", home, "this", frozenset({"volunteer"}), 1, 1)) == "ok"
    assert expectation(Case(ANONYMOUS, Endpoint("GET", "/", "public"), "this", frozenset(), None, 1)) == "no_500"
