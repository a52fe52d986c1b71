"""Check a run's configuration before any pull, and fail fast with one line that says the fix.

A misspelled block name, a block of the wrong shape or a database that cannot be opened is
a configuration error: retrying it repeats it. Every block a run needs is loaded here,
first, and the errors name the parameter, the block type and what to do.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from prefect import get_run_logger
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.states import Failed, State
from pydantic import ValidationError

from connectors.config_blocks import ScoringSettings, StateDatabase
from connectors.errors import ConfigurationError, PermanentError
from connectors.store import Store, StoreError

__all__ = [
    "database_url",
    "ends_cleanly",
    "is_permanent",
    "load_block",
    "open_store",
    "preflight",
    "retry_transient",
]


def _existing_names(block_type: type[Block]) -> list[str]:
    """Names of the saved blocks of a type, to suggest one; empty if the API cannot say."""
    try:
        with get_client(sync_client=True) as client:
            documents = client.read_block_documents_by_type(block_type.get_block_type_slug(), include_secrets=False)
        return sorted(d.name for d in documents if d.name and not d.is_anonymous)
    except Exception:  # only a hint: never hide the real error behind a second one
        return []


def load_block(block_type: type[Block], name: str, parameter: str) -> Block:
    """Load a saved block by name, or raise a `ConfigurationError` that names the fix."""
    kind = block_type.get_block_type_name()
    try:
        return block_type.load(name)
    except ValueError as err:
        if isinstance(err, ValidationError):
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise ConfigurationError(
                f"{parameter}: the {kind} block {name!r} is incomplete ({problems}): edit it under Blocks"
            ) from None
        if "Unable to find block document" not in str(err):
            raise
        existing = _existing_names(block_type)
        hint = f"saved {kind} blocks: {', '.join(existing)}" if existing else f"no {kind} block is saved yet"
        raise ConfigurationError(
            f"{parameter}: no {kind} block named {name!r} ({hint}). Create it under Blocks, "
            f"or set {parameter} to an existing name (empty turns that part off)."
        ) from None


def database_url(database_block: str | None) -> str | None:
    """The URL in the `StateDatabase` block, or None for $COMMUNITY_SCORING_DATABASE_URL / the SQLite default."""
    if not database_block:
        return None
    block = load_block(StateDatabase, database_block, "database_block")
    assert isinstance(block, StateDatabase)
    return block.get_url()


def open_store(database_block: str | None) -> Store:
    """The state database a run uses, opened and migrated; errors name the block, never the password."""
    try:
        return Store.open(database_url(database_block))
    except StoreError as err:
        where = f"the database of block {database_block!r}" if database_block else "the state database"
        raise ConfigurationError(f"database_block: cannot open {where}: {err}") from None


def preflight(blocks: Mapping[str, tuple[type[Block], str | None]], *, database_block: str | None,
              model_block: str | None = None) -> ScoringSettings:
    """Load every block the run names (parameter → (type, name)) and open the database, before any work.

    Returns the published model and rules the run works with. Raises `ConfigurationError`
    with every problem found, one line each.
    """
    problems: list[str] = []
    for parameter, (block_type, name) in blocks.items():
        if not name:
            continue
        try:
            load_block(block_type, name, parameter)
        except ConfigurationError as err:
            problems.append(str(err))
    settings = ScoringSettings()
    if model_block:
        try:
            loaded = load_block(ScoringSettings, model_block, "model_block")
            assert isinstance(loaded, ScoringSettings)
            settings = loaded
        except ConfigurationError as err:
            problems.append(str(err))
    try:
        open_store(database_block).close()
    except ConfigurationError as err:
        problems.append(str(err))
    if problems:
        raise ConfigurationError("\n".join(problems))
    return settings


def is_permanent(error: BaseException) -> bool:
    """Errors that a retry repeats: wrong settings, refused credentials, rejected requests."""
    return isinstance(error, (ConfigurationError, PermanentError))


def retry_transient(task: object, task_run: object, state: object) -> bool:
    """A Prefect ``retry_condition_fn``: retry what may pass next time, never a permanent error."""
    error = getattr(state, "data", None)
    return not (isinstance(error, BaseException) and is_permanent(error))


R = TypeVar("R")


def ends_cleanly(body: Callable[..., R]) -> Callable[..., R | State]:
    """Wrap a flow's body: a configuration or permanent error ends the run Failed with its one-line message.

    Put it under ``@flow``. The message names the parameter and the fix; the run's state
    shows it in the UI instead of a traceback, and nothing retries what would fail the same.
    """

    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> R | State:
        try:
            return body(*args, **kwargs)
        except Exception as err:
            if not is_permanent(err):
                raise
            get_run_logger().error("%s", err)
            return Failed(message=str(err))

    # Prefect validates parameters against the wrapper's module namespace: hand it the
    # body's annotations already resolved, so types imported by the flow's module are known.
    run.__signature__ = inspect.signature(body, eval_str=True)  # type: ignore[attr-defined]
    run.__annotations__ = typing.get_type_hints(body, include_extras=True)
    return run
