"""The local stack (`make run`, the end-to-end tests, the benchmark) runs the services from the
checkout it is started in, even when the environment's editable install points at another
checkout of the project (a second working tree sharing the environment re-points it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra.stack import ROOT, from_this_checkout


def test_this_checkout_comes_first_and_the_rest_of_the_path_is_kept() -> None:
    env = from_this_checkout({"PYTHONPATH": os.pathsep.join(["/elsewhere", "/also"])})

    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/elsewhere", "/also"]
    assert from_this_checkout({})["PYTHONPATH"] == str(ROOT)


def test_a_process_started_elsewhere_imports_the_services_from_this_checkout(
    tmp_path: Path,
) -> None:
    # A stand-in for another checkout: `services` and `shared` packages of its own, first on
    # the path the process inherits, as an editable install of it would put it.
    for package in ("services", "shared"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    env = from_this_checkout({**os.environ, "PYTHONPATH": str(tmp_path)})

    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import services, shared; print(services.__file__, shared.__file__)",
        ],
        env=env,
        cwd=tmp_path.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert found == [str(ROOT / "services" / "__init__.py"), str(ROOT / "shared" / "__init__.py")]
