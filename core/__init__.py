"""Config, table schemas, store I/O and sync state: the part everything else imports."""
