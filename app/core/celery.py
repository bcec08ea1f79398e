"""The Celery app, built from the Flask app so every task runs inside its app context."""

from celery import Celery, Task
from flask import Flask

from app.core.sqlite import celery_options


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.update(celery_options(app.config["CELERY"]))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
