"""Spec validators for tests: see `connectors.testing.specs` (kept there so the project's
connector tests can validate the requests they send with the same helper)."""

from connectors.testing.specs import (  # noqa: F401
    ERRATA,
    SPECS_DIR,
    load_spec,
    request_validator,
    response_validator,
)

__all__ = ["ERRATA", "SPECS_DIR", "load_spec", "request_validator", "response_validator"]


def assert_valid(validator, instance) -> None:
    """Fail with every schema error listed, not just the first."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
