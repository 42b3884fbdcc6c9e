"""The outcomes service: the person's case, from what they want to whether they got it."""
