"""The erasure tables and the models they are read from: plain names, importable without polars."""

SUPPRESSION_TABLE = "ops.erasure_suppression"
LOG_TABLE = "ops.erasure_log"
REQUESTS_MODEL = "intermediate.int_erasure_requests_standardised"
RECORDS_MODEL = "intermediate.int_customer_records_standardised"
REGISTER_TABLE = "ops.processing_register"
# customers past the retention period for inactive customers (working file only; privacy/dormancy.py)
DORMANT_TABLE = "privacy.retention_dormant"
