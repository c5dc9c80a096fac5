"""The only layer that knows DynamoDB keys and the SDK (docs/data-model.md)."""
