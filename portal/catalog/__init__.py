"""The program catalog: its schema and store, program editing, geography and population groups."""
