// Whether APOC is installed (the fallback without GDS and the bridge splits need apoc.path.subgraphNodes).
// params: none
// returns: version
RETURN apoc.version() AS version
