"""Collaboration's services: comments.py (threads, mentions), notifications.py (the bell, the
preferences, `notify` for the other domains), mailing.py (mails and digests, unsubscribe)."""
