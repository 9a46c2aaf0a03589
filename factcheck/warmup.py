"""Load in the gunicorn master, before the workers fork (``gunicorn.conf.py``), what every worker would otherwise
load on its first requests: the URL conf with every view, the admin, the API schema's generator, the compiled
templates. Forked warm, the workers share those pages with the master (less memory) and none of them answers its
first request a fraction of a second late."""

import logging
from pathlib import Path

logger = logging.getLogger("factcheck")


def warm_up() -> None:
    from django.conf import settings
    from django.template import loader
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # imports every URL module and view
    for directory in _template_dirs(settings):
        for path in sorted(directory.rglob("*.html")):
            try:
                loader.get_template(str(path.relative_to(directory)))
            except Exception as exc:  # a warm-up never stops the server; the page reports it when asked
                logger.warning("warm-up: template %s not loaded (%s)", path.name, exc)


def _template_dirs(settings) -> list[Path]:
    from django.apps import apps

    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    ours = ("annotations", "admin", "rest_framework", "drf_spectacular")  # the pages this app serves
    dirs += [Path(config.path) / "templates" for config in apps.get_app_configs() if config.label in ours]
    return [d for d in dirs if d.is_dir()]
