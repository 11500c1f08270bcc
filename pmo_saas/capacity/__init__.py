"""Team capacity per quarter, allocations of funded initiatives, demand vs capacity."""
