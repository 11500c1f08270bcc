"""The workspace home: what each person should do now, gathered from every domain.

A package of its own above the domains (it imports them; none imports it), so the domain
graph stays acyclic.
"""
