"""Console accounts: users with roles, personal API tokens and the audit log."""
