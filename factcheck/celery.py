import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The check-worthiness encoder is loaded by workers only (never by the web process): a worker allows it before
# forking its children, and each child loads it once as it starts, so no task pays for loading it.
@worker_init.connect
def _allow_checkworthiness_encoder(**kwargs) -> None:
    from annotations.domain import checkworthiness

    checkworthiness.allow_encoder()


@worker_process_init.connect
def _load_checkworthiness_model(**kwargs) -> None:
    from threadpoolctl import threadpool_limits

    from annotations.domain import checkworthiness

    # One BLAS thread per child: the pool already runs one child per core, and threads fighting over the same cores
    # made the encoder several times slower on a loaded machine.
    threadpool_limits(limits=1)
    checkworthiness.load_default()
