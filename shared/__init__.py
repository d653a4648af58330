"""Ortak's thin common package: event envelope, config, errors, calendars, the Mongo provider.

No business rules and no Documents live here.
"""
