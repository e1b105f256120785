"""The synthetic city and the demo: seed_city, seed_demo and demo_totp, used by `make run`, the benchmarks and
the tests. It sits above every app and nothing in the portal imports it."""
