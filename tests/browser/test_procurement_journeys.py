"""Browser journey for procurement (Chromium, every page checked with axe-core): a commercial
officer uploads an OCDS file, watches the load finish, opens the SME share and an audit."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import Journey
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser

OFFICER = "commercial@dwp.missionhub.example"


def fresh_package(tmp_path: Path, count: int = 30) -> Path:
    """Real Contracts Finder releases given new ocids, so each run loads new processes."""
    source = DATA_DIR / "procurement" / "contracts_finder_2025_release_package.json"
    package = json.loads(source.read_text(encoding="utf-8"))
    run = uuid.uuid4().hex[:8]
    awarded = [r for r in package["releases"] if r.get("awards")][:count]
    for release in awarded:
        release["ocid"] = f"{release['ocid']}-{run}"
        release["id"] = f"{release['id']}-{run}"
    package["releases"] = awarded
    path = tmp_path / f"contracts-{run}.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    return path


def test_officer_loads_a_file_sees_sme_share_and_audits_a_contract(
    journey: Journey, tmp_path: Path
) -> None:
    page = journey.page
    journey.sign_in(OFFICER)
    journey.goto("/procurement")
    page.get_by_role("link", name="Load an OCDS file").click()
    page.wait_for_load_state()
    journey.check()

    page.get_by_label("OCDS file").set_input_files(str(fresh_package(tmp_path)))
    journey.submit("Load file")
    assert "/jobs/" in page.url
    page.get_by_text("Succeeded").wait_for(timeout=60_000)
    journey.check()
    page.get_by_role("link", name="See what was loaded").click()
    page.wait_for_load_state()
    journey.check()
    assert "New releases" in page.inner_text("main")

    journey.goto("/procurement/sme-share")
    assert "reached SMEs" in page.inner_text("main")
    page.locator("#sme-share-table tbody tr").first.locator("a").nth(1).click()  # column C
    page.wait_for_load_state()
    journey.check()
    assert "row" in page.inner_text("main")

    journey.goto("/procurement/audit")
    page.locator("#audit-result, input[name=award]").first.wait_for()
    page.locator("input[name=award]").first.check()
    journey.submit("Run audit")
    assert re.search(r"\d+ of \d+ named suppliers flagged", page.inner_text("#audit-result"))
    page.locator("#audit-table a, #audit-table td").first.wait_for()
