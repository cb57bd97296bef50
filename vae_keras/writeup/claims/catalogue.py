"""The catalogue of claims: every registered ``Claim``, by id, in registration order.

Kept apart from ``core`` (which registers and judges) and ``display`` (which reads it to show a verdict),
so that neither needs the other's module to find a claim.
"""

#: Every claim, by id, in registry order (filled by ``core.register``).
CLAIMS = {}
