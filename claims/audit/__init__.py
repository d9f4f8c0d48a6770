"""The smart audit on the request path: the audit engine's frames read with the ORM, the rules in force run,
the hits handed to review; and the institutions' statistics the outlier rules compare with."""
