"""The institution's API on the smart-audit review (/api/v1/suspect-items/), beside the claims API."""
