"""The outside world, for notification: delivery channels (GOV.UK Notify, SMTP, the print queue)."""
