"""The provider REST API (/api/v1/): thin views over the services of claims.intake and claims.settlement, in the national interface's vocabulary."""
