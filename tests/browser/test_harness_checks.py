"""The harness's own checks can fail: axe catches a serious problem, the 320px check catches sideways scroll."""
from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_sideways_scroll, axe_check

pytestmark = pytest.mark.browser


def test_axe_and_the_320px_check_catch_what_they_are_for(page):
    page.set_content('<html lang="ja"><body><main><img src="x.png">'
                     '<div style="width:600px">とても幅の広い箱</div></main></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page)
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_no_sideways_scroll(page)
