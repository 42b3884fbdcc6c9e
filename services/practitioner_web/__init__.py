"""The practitioner web app: the work of Making Safeguarding Personal in a browser, on the GOV.UK
Design System, talking to the three services' HTTP APIs with the signed-in user's token."""
