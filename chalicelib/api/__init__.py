"""HTTP layer: blueprints with thin handlers, problem+json errors, OpenAPI."""
