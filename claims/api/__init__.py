"""The provider REST API (/api/v1/): thin views over claims.services, in the national interface's vocabulary."""
