"""Conversations on the objects of the other domains: comments, mentions, notifications.

The domains register, per kind of object, who may see it (targets.py); collaboration imports
none of them, so they may import its services (notify, the thread component)."""
