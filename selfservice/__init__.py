"""The worker's self-service: activation, ID-number login, "my records", online applications, notices."""
