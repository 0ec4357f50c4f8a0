package sync

// Synced is synced, for the tests of package sync_test.
var Synced = synced
