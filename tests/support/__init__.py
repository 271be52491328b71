"""Builders shared by the test suites: valid event bodies and the records that carry them."""
