"""ClassificationRules as a configuration form: validation, serialisation, schema."""

import pytest
from pydantic import ValidationError

from scoring import ClassificationRules


def test_every_field_is_described_for_the_ui_form() -> None:
    for name, field in ClassificationRules.model_fields.items():
        assert field.description, name
    schema = ClassificationRules.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["competitor_names"]["type"] == "array"
    assert schema["properties"]["competitor_names"]["items"] == {"type": "string"}


def test_frozen_and_no_unknown_fields() -> None:
    rules = ClassificationRules()
    with pytest.raises(ValidationError):
        rules.competitor_names = ("X",)  # type: ignore[misc]
    with pytest.raises(ValidationError, match="competitor_name"):
        ClassificationRules(competitor_name=("X",))  # type: ignore[call-arg]


def test_json_round_trip_and_lists_from_config() -> None:
    rules = ClassificationRules.model_validate({"competitor_names": ["Rivalware", "  Zoë   Analytics "]})
    assert rules.competitor_names == ("Rivalware", "Zoë Analytics")
    assert ClassificationRules.model_validate_json(rules.model_dump_json()) == rules
    assert hash(ClassificationRules.model_validate(rules.model_dump())) == hash(rules)


@pytest.mark.parametrize("bad", ["", "   ", "*", "-", "#"])
def test_entries_that_would_match_everything_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="no letter or digit"):
        ClassificationRules(premium_terms=("sso", bad))


@pytest.mark.parametrize(("change", "fix"), [
    ({"premium_terms": ["sso " * 100]}, "use at most 200"),
    ({"competitor_names": [f"rival{i}" for i in range(1001)]}, "use at most 1000"),
])
def test_entries_and_lists_have_sane_bounds_naming_the_field(change, fix) -> None:
    with pytest.raises(ValidationError) as raised:
        ClassificationRules.model_validate(change)
    assert next(iter(change)) in str(raised.value) and fix in str(raised.value)
