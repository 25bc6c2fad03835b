package template

import "strings"

// stream parses and evaluates a whole template in one pass: each top-level
// token is evaluated as soon as it is parsed, literal text goes straight
// from the source to out, and a plain binding whose value is no template is
// looked up without building any node.
//
// The result is the one parseTemplate followed by nodes would give. A parse
// error (with halt, or the parser's work limit either way) wins over
// everything: after an evaluation error, parsing carries on, evaluating
// nothing more, to find out whether the template parses at all. Without
// halt, a "#{" that does not parse is text and parsing resumes after it.
// Steps are counted as nodes counts them: one per token, one for a lookup,
// and one per run of text (parseTemplate merges adjacent text).
func (e *evaluator) stream(p *parser, halt bool, root *context, out *strings.Builder, rep *report) (*ParseError, error) {
	src := p.src
	pos := 0
	var evalErr error
	var names *nameIndex
	if len(src) >= indexMinTemplate {
		names = e.tree.nameIndex()
	}
	inText := false // the last thing written was text
	writeText := func(text string) {
		if text == "" || evalErr != nil {
			return
		}
		if !inText {
			if evalErr = e.step(); evalErr != nil {
				return
			}
		}
		inText = true
		evalErr = e.write(out, text)
	}
	for pos < len(src) {
		if !p.has(pos, "#{") {
			text, np := p.text(pos)
			writeText(text)
			pos = np
			continue
		}
		if p.startTag(pos) {
			if evalErr == nil {
				if np, ok := e.streamBinding(root, names, src, pos, out, &evalErr); ok {
					inText = false
					pos = np
					continue
				}
			}
			if n, np, ok := p.tagBody(pos); ok {
				if evalErr == nil {
					evalErr = e.node(root, n, out, rep)
				}
				inText = false
				pos = np
				continue
			}
		}
		if halt || p.exhausted {
			break
		}
		writeText(src[pos : pos+2])
		pos += 2
	}
	if p.exhausted || pos < len(src) {
		return p.errorAt(pos), nil
	}
	return nil, evalErr
}

// streamBinding handles the token at pos when it is a plain binding (see
// simpleName) found in the root scope with a value that is no template, as
// substitution and lookupPlain would: ok=false leaves the token, untouched,
// to the general code. A limit error from writing is stored in *evalErr.
func (e *evaluator) streamBinding(root *context, names *nameIndex, src string, pos int, out *strings.Builder, evalErr *error) (int, bool) {
	end, _, ok := simpleName(src, pos+2)
	if !ok || len(root.stack) > 0 || root.parent != nil ||
		e.steps+2 > e.limits.MaxSteps || e.depth+1 > e.limits.MaxDepth {
		return 0, false
	}
	name := src[pos+2 : end]
	if names != nil && len(name) <= maxIndexedName {
		if v, ok := names.lookup(e.foldName(name)); ok {
			e.steps += 2
			*evalErr = e.write(out, v)
			return end + 1, true
		}
	}
	val := root.b
	for {
		seg := name
		dot := strings.IndexByte(name, '.')
		if dot >= 0 {
			seg, name = name[:dot], name[dot+1:]
		}
		next, found := e.childFolded(val, seg)
		if !found {
			return 0, false // missing, or walk would look into JSON
		}
		val = next
		if dot < 0 {
			break
		}
	}
	if val.item == nil || !val.plain && e.templateOf(val) != nil {
		return 0, false
	}
	e.steps += 2
	*evalErr = e.write(out, *val.item)
	return end + 1, true
}

// childFolded returns b's child named seg (ASCII), folding seg's case in a
// buffer of the evaluator's rather than in a new string.
func (e *evaluator) childFolded(b *binding, seg string) (*binding, bool) {
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; 'A' <= c && c <= 'Z' {
			e.fold = append(e.fold[:0], seg...)
			for j := i; j < len(e.fold); j++ {
				if c := e.fold[j]; 'A' <= c && c <= 'Z' {
					e.fold[j] = c + 'a' - 'A'
				}
			}
			return b.children.getFoldedBytes(e.fold)
		}
	}
	return b.children.getFolded(seg)
}

// foldName returns name (ASCII) with its case folded, in the evaluator's
// scratch buffer.
func (e *evaluator) foldName(name string) []byte {
	e.fold = append(e.fold[:0], name...)
	for j, c := range e.fold {
		if 'A' <= c && c <= 'Z' {
			e.fold[j] = c + 'a' - 'A'
		}
	}
	return e.fold
}
