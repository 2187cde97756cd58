"""Law and trust: the mandatory legend, electoral blackouts, ARCO rights,
federal non-business days and the privacy notice's versions."""
