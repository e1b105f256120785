"""Staff accounts: administration with separated duties, two-factor sign-in, one-time password links, API tokens."""
