"""The programme service's data migrations (shared.migrations): none yet, its first shape is today's."""
STEPS = ()
