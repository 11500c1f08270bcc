"""The open REST API (`/api/v1`): keys (keys.py), the request machinery (core.py), one module
of endpoints per area (portfolio.py, assessments.py, coaching.py, insights.py), the OpenAPI
document built from the same endpoint table (openapi.py), the routes (http.py) and the page
where admins manage keys (pages.py)."""
