"""The roll-out section's pages: the roadmap (waves, pilot vs the rest) and one wave."""

from pmo_saas.rollout.pages import roadmap, wave  # noqa: F401
