"""axe-core (through axe-playwright-python) over every role's main pages in Chromium, in
English and in Chinese: no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import in_language, sign_in

SEVERE = {"serious", "critical"}


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_every_roles_main_pages_have_no_serious_accessibility_violations(
        browser, live_server, every_role, language):
    scene, pages = every_role
    axe = Axe()
    found: dict[str, list[str]] = {}
    # The check sees what it must: an image without a text alternative is critical.
    probe = browser.new_page()
    probe.set_content('<html lang="en"><head><title>Probe</title></head>'
                      '<body><main><img src="x.png"></main></body></html>')
    assert {v["id"] for v in axe.run(probe).response["violations"]
            if v["impact"] in SEVERE} == {"image-alt"}
    probe.close()
    for role, paths in pages.items():
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        in_language(context, live_server, language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        if role:
            sign_in(page, scene[role])
        for path in paths:
            page.goto(live_server + path)
            assert page.evaluate("document.documentElement.lang") == language.replace("_", "-")
            results = axe.run(page)
            severe = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                      for v in results.response["violations"] if v["impact"] in SEVERE]
            if severe:
                found[path] = severe
        context.close()
    assert found == {}, "\n".join(f"{path}: {v}" for path, v in found.items())
