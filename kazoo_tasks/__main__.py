"""``python -m kazoo_tasks`` runs the ``kazoo-tasks`` command."""

from kazoo_tasks.cli import main

main()
