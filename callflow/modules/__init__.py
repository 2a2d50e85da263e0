"""The callflow modules shipped with kazoo-tasks (one small module per action).

Each is registered in pyproject.toml under the entry-point group
``kazoo_tasks.callflow_modules``; the engine finds them by name through that group,
exactly as it finds third-party ones.
"""
