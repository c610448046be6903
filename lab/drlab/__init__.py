"""dr.asr lab: local simulators of vCenter and Azure Resource Manager for development and tests.

Not part of the built collection (see galaxy.yml build_ignore).
"""
