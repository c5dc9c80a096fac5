"""Notifications: queue producer, channel senders, templates, preferences."""
