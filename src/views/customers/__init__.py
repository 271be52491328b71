"""The `customers` view: per customer, its orders counted by status and totalled per currency."""
