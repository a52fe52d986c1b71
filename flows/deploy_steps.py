"""Pull steps for prefect.yaml: run deployments from wherever the package is installed.

``set_working_directory: "{{ $PWD }}"`` is resolved by ``prefect deploy`` on the deploy
machine, so every worker would need that exact path. This step is resolved on the worker
instead: it moves the flow-run process to the folder that holds the installed ``flows``
package (the repository for an editable install, site-packages for a regular one), where
the deployments' ``flows/<name>.py:<flow>`` entrypoints are found.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["code_directory", "use_installed_package"]


def code_directory() -> Path:
    """The folder containing the ``flows`` package this interpreter imports."""
    import flows

    return Path(flows.__file__).resolve().parent.parent


def use_installed_package() -> dict[str, str]:
    """Change to `code_directory`; the ``directory`` output tells Prefect to stay there."""
    directory = code_directory()
    if not (directory / "flows" / "community_sync.py").is_file():
        raise FileNotFoundError(f"no flows/community_sync.py under {directory}: is prefect-community-scoring "
                                "installed in the worker's Python environment?")
    os.chdir(directory)
    return {"directory": str(directory)}
