"""Points (积分): an append-only ledger per member and year, earned by service (activity hours,
a wish done, the resident's rating, an event attended) under rules the city sets (and a
district where the city allows), and adjusted by hand with a reason.

``model`` holds the values, ``rules`` the rule set, its ``key=value`` syntax, the versions in
effect on a day and the earning (caps included), ``port`` the repository Protocol, ``service``
what the facade exposes as ``ws.points``.
"""
