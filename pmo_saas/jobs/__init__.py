"""Background jobs on huey: periodic tasks (tasks.py), their runs recorded (models, services),
the queue from settings (runner.py), `python -m pmo_saas.manage worker` runs the consumer."""
