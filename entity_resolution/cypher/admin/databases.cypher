// The databases of the DBMS and their state (run against the system database).
// params: none
// returns: name, status
SHOW DATABASES YIELD name, currentStatus
RETURN name, currentStatus AS status
