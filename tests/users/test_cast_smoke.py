from server.scope import build_scope


async def test_the_cast_builds_and_scopes_roles(cast, db):
    assert len(cast.all_users()) == 15
    scope = await build_scope(db, cast.coordinator_csw)
    assert scope.roles == {"coordinator", "professional"}
    scope = await build_scope(db, cast.council_chair)
    assert cast.orgs.council_a.id in scope.chaired_councils
    assert (await build_scope(db, cast.deactivated)).roles == set()
    pa = await build_scope(db, cast.prefecture_analyst)
    assert pa.analysed_prefectures == {cast.prefecture.id}
