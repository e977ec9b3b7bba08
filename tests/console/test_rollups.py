"""The rollups equal counts from the raw rows after random writes through the real service functions
(the demo town, then a seeded random mix of logs, withdrawals, corrections, flagged concerns, concern
steps, re-categorisations, salon attendance and casework gap tags)."""
from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from server.assignments.models import Assignment
from server.casework import service as casework
from server.casework.models import Gap
from server.casework.queries import GAP_CATEGORIES
from server.concerns import service as concerns
from server.concerns.models import Concern
from server.concerns.transitions import actions_from
from server.contacts import service as contacts
from server.contacts.models import Contact
from server.demo.seed import seed_demo
from server.errors import DomainError
from server.households.models import Household
from server.rollups.areas import ancestor_map
from server.rollups.hooks import (
    bucket,
    bucket_upper,
    concern_keys,
    month_of,
    salon_keys,
)
from server.rollups.models import RollupCount
from server.rollups.rebuild import rebuild
from server.salons import attendance
from server.salons.models import RosterMember, Salon, SalonSession
from server.scope import build_scope
from server.users.models import RoleGrant, User


async def stored(db) -> Counter:
    rows = (await db.execute(select(RollupCount.area_id, RollupCount.month, RollupCount.measure, RollupCount.dim,
                                    RollupCount.n))).all()
    return Counter({(a, m, s, d): n for a, m, s, d, n in rows if n})


async def from_raw(db) -> Counter:
    """What the rollups should hold, counted from the raw rows in Python."""
    anc = await ancestor_map(db)
    per_area: dict[int, Counter] = {}
    rows = (await db.execute(select(Contact, Household.area_id).join(Household, Household.id == Contact.household_id)
                             .where(Contact.withdrawn_at.is_(None), Contact.superseded_at.is_(None)))).all()
    for c, area_id in rows:
        k = per_area.setdefault(area_id, Counter())
        k[(month_of(c.occurred_at), "contacts.method", c.method)] += 1
        k[(month_of(c.occurred_at), "contacts.outcome", c.outcome)] += 1
    for row in (await db.scalars(select(Concern))).all():
        per_area.setdefault(row.area_id, Counter()).update(concern_keys(row))
    for salon in (await db.scalars(select(Salon))).all():
        per_area.setdefault(salon.area_id, Counter()).update(await salon_keys(db, salon.id))
    for gap in (await db.scalars(select(Gap))).all():  # 制度外ニーズ: one per tag, the concern's area, Tokyo month
        per_area.setdefault(gap.area_id, Counter())[(month_of(gap.created_at), "casework.gaps", gap.category)] += 1
    out: Counter = Counter()
    for area_id, keys in per_area.items():
        for up in anc[area_id]:
            for (m, s, d), n in keys.items():
                out[(up, m, s, d)] += n
    return Counter({k: v for k, v in out.items() if v})


def test_buckets_are_log_spaced_and_ordered():
    assert bucket(0.2) == "b00" and bucket(1.5) == "b01" and bucket(3) == "b02" and bucket(5000) == "b11"
    assert [bucket_upper(f"b{i:02d}") for i in range(3)] == [1, 2, 4] and bucket_upper("b11") == float("inf")


async def random_writes(db, rng: random.Random, steps: int) -> Counter:
    """Applies `steps` random writes through the service functions; returns what kinds were applied."""
    done: Counter = Counter()
    # Ids only: a refused write's rollback expires every loaded object.
    coord_id = (await db.scalars(select(User.id).join(RoleGrant, RoleGrant.user_id == User.id)
                                 .where(RoleGrant.role == "coordinator"))).first()
    households = (await db.scalars(select(Household.id).where(Household.status != "ended"))).all()
    mine: list[tuple[int, int]] = []
    for _ in range(steps):
        kind = rng.choice(["log", "log", "log", "flag", "withdraw", "correct", "move", "complete", "attend", "gap"])
        try:
            coord = await db.get(User, coord_id)
            if kind in ("log", "flag"):
                hid = rng.choice(households)
                uid = await db.scalar(select(Assignment.user_id).where(Assignment.household_id == hid,
                                                                       Assignment.valid_to.is_(None)))
                actor = await db.get(User, uid) if uid and rng.random() < 0.7 else coord
                when = dt.datetime.now(dt.UTC) - dt.timedelta(days=rng.choice([0, 1, 3, 20]))
                data = contacts.ContactInput(
                    household_id=hid, client_id=uuid.uuid4().hex, method=rng.choice(["visit", "phone", "greeting", "exterior"]),
                    outcome="notify" if kind == "flag" else rng.choice(["no_change", "watch"]), occurred_at=when,
                    flag_concern=kind == "flag")
                row, _ = await contacts.log_contact(db, actor=actor, scope=await build_scope(db, actor), data=data)
                mine.append((actor.id, row.id))
            elif kind in ("withdraw", "correct") and mine:
                uid, cid = mine.pop(rng.randrange(len(mine)))
                actor = await db.get(User, uid)
                scope = await build_scope(db, actor)
                if kind == "withdraw":
                    await contacts.withdraw_contact(db, actor=actor, scope=scope, contact_id=cid)
                else:
                    new = await contacts.correct_contact(db, actor=actor, scope=scope, contact_id=cid, data=contacts.ContactInput(
                        household_id=0, client_id="", method=rng.choice(["visit", "phone"]), outcome="watch"))
                    mine.append((uid, new.id))
            elif kind == "move":
                open_states = ("new", "acknowledged", "in_progress")
                c = rng.choice((await db.scalars(select(Concern).where(Concern.state.in_(open_states)))).all())
                pro = (await db.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                        .where(RoleGrant.organisation_id == c.organisation_id,
                                               RoleGrant.valid_to.is_(None)))).first()
                if pro is None:
                    continue
                action = rng.choice([a for a in actions_from(c.state) if a != "transfer"])
                await concerns.move(db, actor=pro, concern_id=c.id, action=action, reason="test", message="ok")
            elif kind == "complete":
                c = (await db.scalars(select(Concern).where(Concern.state == "new"))).first()
                reporter = await db.get(User, c.reporter_id)
                await concerns.complete_concern(db, actor=reporter, concern_id=c.id,
                                                target_group=rng.choice(["elderly", "children"]),
                                                category=rng.choice(["health", "isolation", "money"]),
                                                urgency=rng.choice(["soon", "normal"]), seen="見かけました")
            elif kind == "attend":
                today = dt.datetime.now(dt.UTC)
                sess = rng.choice((await db.scalars(select(SalonSession).where(
                    SalonSession.starts_at <= today, SalonSession.status == "scheduled"))).all())
                person = await db.scalar(select(RosterMember.person_id).join(
                    Salon, Salon.id == RosterMember.salon_id).where(Salon.id == sess.salon_id).order_by(
                    RosterMember.id).offset(rng.randrange(3)).limit(1))
                await attendance.record_attendance(db, actor=coord, scope=await build_scope(db, coord),
                                                   session_id=sess.id, person_id=person,
                                                   status=rng.choice(["present", "absent", "excused"]))
            elif kind == "gap":
                c = rng.choice((await db.scalars(select(Concern))).all())
                pro = (await db.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                        .where(RoleGrant.organisation_id == c.organisation_id,
                                               RoleGrant.role == "professional", RoleGrant.valid_to.is_(None)))).first()
                if pro is None:
                    continue
                # A repeated (concern, category) is refused (Invalid) and must leave the rollups alone.
                await casework.tag_gap(db, actor=pro, scope=await build_scope(db, pro), concern_id=c.id,
                                       category=rng.choice(GAP_CATEGORIES[:3]), line="制度の対象外")
            else:
                continue
            await db.commit()
            done[kind] += 1
        except DomainError:
            await db.rollback()
            done[kind + "_refused"] += 1
    return done


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_writes_keep_rollups_equal_to_raw_counts(db, seed):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    expected = await from_raw(db)
    assert await stored(db) == expected and expected  # the seed's last step rebuilt them
    done = await random_writes(db, random.Random(seed), 80)
    # Every kind of write happened at least once, so each hook was exercised.
    assert all(done[k] for k in ("log", "flag", "withdraw", "correct", "move", "complete", "attend", "gap")), done
    after = await from_raw(db)
    assert after != expected
    assert await stored(db) == after
    # ... and a rebuild from scratch gives the same rows.
    await rebuild(db)
    await db.commit()
    assert await stored(db) == after


async def test_every_level_of_the_hierarchy_holds_the_sum_of_its_children(db):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    from server.areas.models import Area

    rows = await stored(db)
    areas = {a.id: a for a in (await db.scalars(select(Area))).all()}
    checked = 0
    for parent in areas.values():
        kids = [a.id for a in areas.values() if a.parent_id == parent.id]
        if not kids:
            continue
        mine = Counter({(m, s, d): n for (a, m, s, d), n in rows.items() if a == parent.id})
        theirs = Counter()
        for (a, m, s, d), n in rows.items():
            if a in kids:
                theirs[(m, s, d)] += n
        assert mine == theirs, parent.level
        checked += bool(mine)
    assert checked >= 3  # prefecture, city, districts
