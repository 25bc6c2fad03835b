// Package bundle will write and run offline deployment bundles: a
// manifest (format version, sha256 of every entry), the plan, sensitive
// variables encrypted with a key derived from an operator password, the
// packages, the argonaut binary for the target OS and launchers. Running a
// bundle verifies every hash before executing anything and writes a
// journal the server can import when the bundle comes home.
//
// Like runner it never imports app/..., storage, views, fiber or Badger
// (enforced by the import-rules test at the root).
package bundle
