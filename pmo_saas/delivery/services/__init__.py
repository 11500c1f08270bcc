"""Delivery services, one module per page part: workitems (add, move, import), flow (metrics and
forecasts), history (status history). Functions take `session` (a tenant session) and `ctx`.
Everyone in the organisation reads; members add and move work items; coaches import."""
