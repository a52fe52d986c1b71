"""The vendored spec documents: every path the tests use is there, and (where the full
documents are at hand, as in the project's workspace) they are the vendors' files cut down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.testing.specs import FILES, SPECS_DIR, USED, _load, load_spec, trim

FULL = Path(__file__).resolve().parents[4] / "shared" / "specs"


@pytest.mark.parametrize("relative", sorted(USED))
def test_every_used_path_is_in_the_repository(relative: str) -> None:
    service = relative.split("/")[0]
    assert relative in FILES[service] and (SPECS_DIR / relative).is_file()
    for path in USED[relative]:
        assert load_spec(service, path)[0] == relative
    licence = SPECS_DIR / service / "LICENSE"
    assert licence.is_file() or service == "hubspot"  # see spec_files/README.md


@pytest.mark.skipif(not FULL.is_dir() or SPECS_DIR.name != "spec_files",
                    reason="the full vendor documents are not next to the clone")
@pytest.mark.parametrize("relative", sorted(USED))
def test_vendored_documents_are_the_originals_cut_down(relative: str) -> None:
    full = json.loads((FULL / relative).read_text(encoding="utf-8"))
    assert _load(relative) == trim(full, USED[relative])


def test_trim_keeps_what_the_paths_reference() -> None:
    spec = {"swagger": "2.0", "paths": {"/a": {"$ref": "#/definitions/x"}, "/b": {}},
            "definitions": {"x": {"properties": {"y": {"$ref": "#/definitions/y"}}},
                            "y": {"type": "string"}, "unused": {}}}
    assert trim(spec, ("/a",)) == {"swagger": "2.0", "paths": {"/a": {"$ref": "#/definitions/x"}},
                                   "definitions": {"x": spec["definitions"]["x"], "y": {"type": "string"}}}
