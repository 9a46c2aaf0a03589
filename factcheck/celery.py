import os

from celery import Celery
from celery.signals import task_postrun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The check-worthiness model is loaded by workers only (never by the web process): the worker's main process allows
# the encoder and loads the model before the prefork pool forks, then freezes what is loaded out of the garbage
# collector's reach, so every child shares those pages instead of loading and copying its own.
@worker_init.connect
def _allow_checkworthiness_encoder(**kwargs) -> None:
    import gc

    from threadpoolctl import threadpool_limits

    from annotations.domain import checkworthiness
    from factcheck.memory import release_free_memory

    # With the threads pool this process runs the tasks itself, one per pool thread: one BLAS thread each (below).
    threadpool_limits(limits=1)
    checkworthiness.allow_encoder()
    checkworthiness.load_default()
    release_free_memory()  # the artifact's copies made while loading (~15 MB), before the pool forks
    gc.freeze()


@worker_process_init.connect
def _load_checkworthiness_model(**kwargs) -> None:
    from threadpoolctl import threadpool_limits

    from annotations.domain import checkworthiness

    # One BLAS thread per child: the pool already runs one child per core, and threads fighting over the same cores
    # made the encoder several times slower on a loaded machine.
    threadpool_limits(limits=1)
    checkworthiness.load_default()


@task_postrun.connect
def _release_free_memory(**kwargs) -> None:
    """A task's freed temporaries (the encoder's activations) go back to the OS instead of staying in the child."""
    from factcheck.memory import release_free_memory

    release_free_memory()
