"""The practices section's pages: the playbook (list, matrix, comparison), one practice, and
the practices that help one dimension."""

from pmo_saas.practices.pages import helps, playbook, practice  # noqa: F401
