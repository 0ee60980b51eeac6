"""Community events with check-in: a community announces an event with a six-digit code, its
members check in (and out) on the members' site inside the time window, and closing the event
turns attendance into activities (decision 0125)."""
