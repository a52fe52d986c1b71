"""scoring/ imports nothing of Prefect, HTTP, databases, the clock or the environment."""

import ast
from pathlib import Path

import scoring

FORBIDDEN = {"prefect", "requests", "httpx", "urllib3", "urllib", "sqlalchemy", "psycopg", "slack_sdk",
             "hubspot", "simple_salesforce", "pydiscourse", "tenacity", "connectors", "playbooks",
             "flows", "os", "time", "socket", "sqlite3", "random"}


def test_scoring_imports_are_pure() -> None:
    offenders = []
    for path in Path(scoring.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today", "environ"}:
                offenders.append(f"{path.name}: .{node.attr}")
    assert offenders == []
