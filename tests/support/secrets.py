"""
Every password the test suite hands to the formula. The leak test greps all logs and
outputs of the integration run for each of them: none may appear.
"""

DEPLOY = "Int3gration-Secret"
CONVERGE = "Conv-Secret"
LOCAL = "Local-Secret"
DEMO = "Demo-Passw0rd"
ROTATED = "Rotated-Secret-2"
KEYSTONE = "Keystone-Secret-1"
FUEL = "Fuel-Plugin-Secret"
API = "Api-Secret-7"
WRONG = "Typo-In-New-Secret-3"

ALL = (DEPLOY, CONVERGE, LOCAL, DEMO, ROTATED, KEYSTONE, FUEL, API, WRONG)
