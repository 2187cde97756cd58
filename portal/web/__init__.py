"""What every area shares on the web: database, htmx, headers, sessions, assets,
logs, languages, kiosk mode, errors, the base form, template helpers and exports."""
