"""Field registration offline (brigadas): records captured on a staff member's
device with no signal, applied on the server when it is back online."""
