// Whether the Graph Data Science plugin is installed: fails with an unknown-function error when it is not.
// params: none
// returns: version
RETURN gds.version() AS version
