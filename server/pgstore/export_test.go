package pgstore

// RegistrationQuery is the statement Registration runs, for the test that
// compares its plans for registered and unknown users.
const RegistrationQuery = registrationQuery
