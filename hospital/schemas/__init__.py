"""Hospital schemas, one module per area."""
