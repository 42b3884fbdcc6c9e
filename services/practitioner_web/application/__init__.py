"""What the web app does for a page: gather what it shows from the services, and record a step
through the right API."""
