"""The PMO's improvement backlog: what the PMO changes about itself, raised from the teams'
feedback on it and from the PMO team's own retrospectives (issue 19)."""
