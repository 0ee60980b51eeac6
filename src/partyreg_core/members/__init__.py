"""Members: 附表1's registrations and where each stands (registered, routed, reported in).

``fields`` is the one table of 附表1's fields (labels, headers, normalisers, widths, JSON keys)
the rest is derived from; ``model`` holds the values, ``rules`` the checks of an edit and their
Chinese messages, ``port`` the repository Protocol a store provides, ``service`` what the
facade exposes as ``ws.members``.
"""
