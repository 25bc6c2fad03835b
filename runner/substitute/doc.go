// Package substitute puts variables into the files of an extracted package
// on a deployment target: "Substitute Variables in Files" (#{…} templates in
// files matching globs) and "Structured Configuration Variables" (values of
// JSON, YAML and Java .properties files replaced by variables named after
// their paths, "Logging:LogLevel:Default").
//
// Files keep their encoding: UTF-8 with or without a byte order mark, and
// UTF-16 LE or BE with a byte order mark, are decoded, edited and encoded
// again the same way (see Decode).
//
// Safety (the Argo CD class of bugs, SECURITY.md): every path is resolved
// through an os.Root opened on the extraction directory, so neither ".."
// nor a symbolic link can reach outside it; walks never follow links; a
// matching entry that is a link or a special file fails instead of being
// read; and edited content is written to a temporary file renamed over the
// original, so a link or hard link is replaced, never written through.
//
// The package depends only on the standard library, runner/template and a
// YAML parser; it knows nothing of steps, logs or the server.
package substitute
