"""Territory: the state's localities and postal settlements (INEGI and SEPOMEX
catalogs), address validation to the Norma Técnica sobre Domicilios
Geográficos, distances to places and the maps drawn on the server."""
