"""Collaboration's pages: the notification bell in the shell (bell.py), the notifications page
(notifications.py), and the comment thread other pages include (thread.py)."""

from pmo_saas.collaboration.pages import bell, notifications, thread  # noqa: F401
