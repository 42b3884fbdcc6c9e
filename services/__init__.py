"""The three services: intake, outcomes and notification."""
