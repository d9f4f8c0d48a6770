"""The nightly batch (日终批处理): a day's job, planned once, split by person into chunks that are claimed,
run on PostgreSQL with COPY (chunk, audit) and recorded per institution (jobs)."""
