"""API schemas (Pydantic), separate from the ORM models: one module per resource."""
