"""Helpers the test suites share to check the lab against Azure's contract."""
