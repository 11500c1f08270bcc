"""The practices section's pages: the playbook (list, matrix, comparison) and one practice."""

from pmo_saas.practices.pages import playbook, practice  # noqa: F401
