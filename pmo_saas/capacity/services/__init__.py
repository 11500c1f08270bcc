"""Capacity, one module per concern (the one page, pages/capacity.py, uses them all):

- `capacity`     each team's capacity per quarter (people x days per person = person-days)
- `allocations`  person-days of funded initiatives given to teams per quarter
- `view`         demand vs capacity per team and per value stream, over-allocation flagged,
                 and the CSV export of the capacity table
- `importing`    the capacity CSV: a preview that writes nothing, then the confirmed import
- `common`       quarters, numbers and look-ups they share

Coaches, admins and owners enter capacity and allocations; everyone reads the view. Every
function takes a tenant session and `ctx` (keyword-only); another organisation's rows raise
the same NotFound as missing ones.
"""
