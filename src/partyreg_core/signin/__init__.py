"""Signing in to the members' site without passwords (decision 0115).

An operator (``partyreg members invite ID``) or the member themself (name + phone on the site)
asks for a one-time link; the link carries a random token, the store keeps only its SHA-256
digest, and the token works once, before it expires (24 hours by default). Redeeming it starts
a session: a cookie signed with a key kept in the store.

- :mod:`.model`: the stored token and what an invitation returns;
- :mod:`.rules`: making tokens and links, judging a token, the Chinese messages;
- :mod:`.port`: what the store provides (:class:`~.port.SigninStore`);
- :mod:`.service`: the use cases, wired by the workspace as ``ws.signin``.
"""
