"""The SLA engine: business calendars and clocks, pure functions without I/O.

Import from the modules themselves: ``calendar`` (BusinessCalendar), ``model`` (the events,
pauses and clocks), ``clocks`` (compute_clocks and its helpers), ``replay``. The package
imports none of them, so importing one never runs the others.
"""
