"""Hardware drivers: ESC/POS receipt printer, cash drawer, serial barcode scanner.

Nothing here imports Flask, the database or any other package of ours: drivers take bytes or small
frozen value objects and give back bytes, states and scans. Importing a module has no side effects
(no device is opened, nothing registers itself); the kiosk's device runtime decides what runs.
"""
