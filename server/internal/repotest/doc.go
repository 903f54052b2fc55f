// Package repotest holds tests of the repository itself rather than of a
// package: that it stands alone, citing only what it contains.
package repotest
