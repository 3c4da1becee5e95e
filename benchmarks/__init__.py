"""Scripts behind every number the README quotes; each prints what it measured."""
