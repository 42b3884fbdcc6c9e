"""Notification: keeps each person informed about their case, safely, in the way that suits them."""
