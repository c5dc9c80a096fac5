"""Booking platform: the code that ships to AWS Lambda (see docs/architecture.md)."""
