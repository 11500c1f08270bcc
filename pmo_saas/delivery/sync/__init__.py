"""Work items synchronised from Jira Cloud and GitHub: connections (credentials encrypted),
the status-mapping table the coach edits, sync runs, and the two HTTP clients (httpx)."""
