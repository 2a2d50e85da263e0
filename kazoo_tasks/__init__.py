"""kazoo-tasks: a Celery call processor in the image of Kazoo."""
