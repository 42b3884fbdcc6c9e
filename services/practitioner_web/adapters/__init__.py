"""The outside world: the three services' HTTP APIs, the council's OpenID Connect provider, and
the encrypted session cookie."""
