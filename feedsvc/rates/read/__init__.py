"""Read: query strings, series of pairs from what is served, periods, formats, coverage and the ticker."""
