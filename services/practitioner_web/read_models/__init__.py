"""The web app keeps no read models and no database: every page reads the three services' APIs
with the signed-in user's token, and a session is an encrypted cookie (see `adapters/sessions.py`)."""
