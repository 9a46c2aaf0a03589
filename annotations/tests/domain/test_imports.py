"""What importing the pure-Python packages pulls in, checked in a fresh interpreter each time (this test process
has Django, scikit-learn and more loaded already).

* ``annotations.domain`` and ``annotations.research`` never import Django.
* The serving modules a request may import (agreement statistics, check-worthiness scoring) do not load
  scikit-learn: it costs over a second on a cold worker and is needed for training only.
* The serving package never imports the research package.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import annotations.domain
import annotations.research

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _modules(package) -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."))


DOMAIN_MODULES = _modules(annotations.domain)
RESEARCH_MODULES = _modules(annotations.research)


def _loaded_after_importing(*modules: str) -> set[str]:
    """The top-level package names in ``sys.modules`` of a fresh interpreter after importing ``modules``."""
    code = (
        "import importlib, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_packages_list_their_modules():
    assert {"annotations.domain.agreement", "annotations.domain.checkworthiness"} <= set(DOMAIN_MODULES)
    assert {
        "annotations.research.checkworthiness_training",
        "annotations.research.eval_checkworthiness",
        "annotations.research.eval_segmentation",
    } <= set(RESEARCH_MODULES)


@pytest.mark.parametrize("package", ["annotations.domain", "annotations.research"])
def test_no_module_of_the_package_imports_django(package):
    modules = DOMAIN_MODULES if package == "annotations.domain" else RESEARCH_MODULES

    loaded = _loaded_after_importing(package, *modules)

    assert set(modules) <= loaded
    assert not {name for name in loaded if name == "django" or name.startswith("django.")}


def test_the_serving_package_does_not_import_the_research_package():
    loaded = _loaded_after_importing(*DOMAIN_MODULES)

    assert not {name for name in loaded if name.startswith("annotations.research")}


@pytest.mark.parametrize("module", ["annotations.domain.agreement", "annotations.domain.checkworthiness"])
def test_a_serving_module_does_not_import_scikit_learn(module):
    code = f"import {module}, sys; assert 'sklearn' not in sys.modules, sorted(sys.modules)"

    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr[-2000:]


def test_importing_every_serving_and_research_module_still_does_not_import_scikit_learn():
    # Training imports scikit-learn inside the function that fits, not when the module is imported.
    loaded = _loaded_after_importing(*DOMAIN_MODULES, *RESEARCH_MODULES)

    assert "sklearn" not in loaded
