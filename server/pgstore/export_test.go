package pgstore

// RegistrationQuery is the statement Registration runs, for the test that
// compares its plans for registered and unknown users.
const RegistrationQuery = registrationQuery

// Migrations are the schema's steps, for the tests that migrate a
// database made by an older program.
var Migrations = migrations[:]
