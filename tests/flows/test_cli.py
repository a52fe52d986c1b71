"""The community-scoring command's everyday operations."""

from connectors.store import Store
from flows.cli import main


def test_override_set_list_remove(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert main(["override", "set", "discourse:7", "42", "--note", "CEO said so", "--database-url", url]) == 0
    assert main(["override", "set", "slack:U9", "none", "--database-url", url]) == 0
    with Store.open(url) as store:
        assert store.overrides() == {"discourse:7": "42", "slack:U9": None}
    assert main(["override", "list", "--database-url", url]) == 0
    assert "discourse:7\t42" in capsys.readouterr().out
    assert main(["override", "remove", "discourse:7", "--database-url", url]) == 0
    with Store.open(url) as store:
        assert store.overrides() == {"slack:U9": None}
