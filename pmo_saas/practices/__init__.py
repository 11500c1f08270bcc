"""The practice playbook: practices the PMO publishes, their versions, team adoption, and how
adoption compares with maturity."""
