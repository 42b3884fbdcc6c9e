"""The shared package: event contracts, event store, outbox relay, projection runner, settings."""
