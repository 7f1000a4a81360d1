package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Limits on what a results file may hold. An artifact is hostile: without
// them, 4 MiB of empty cells ("{}", three bytes for each of Cell's several
// hundred) took 2.68 GB to decode before validation could refuse it. scan
// checks them as the file is read, before anything is decoded, so memory
// stays within about 20 × the file's size.
const (
	// MaxString bounds any one string (a command, a log line, a note).
	MaxString = 64 << 10
	// MaxCells bounds the cells of a run: a matrix, times its endpoints.
	MaxCells = 10000
	// maxDepth bounds how deeply values nest; a real file nests six deep
	// (cells[].base.sweep.points[]).
	maxDepth = 16
	// maxElements bounds any other array, and maxTotalElements all of
	// them together.
	maxElements      = 100000
	maxTotalElements = 2000000
	// maxDecodedFloor and maxDecodedCeiling bound the memory the decoded
	// results may take (estimated as the file is scanned): 4 × the file's
	// size, at least the floor and at most the ceiling. Real files decode
	// to less than their size; only near-empty objects decode to more.
	maxDecodedFloor   = 4 << 20
	maxDecodedCeiling = 64 << 20
)

// elementLimit bounds the arrays that real runs fill, by the struct and
// JSON field that hold them, so that an error names a limit that means
// something ("cells[0].trials: more than 10000 elements"); 0 for others.
func elementLimit(t reflect.Type, name string) int {
	switch t {
	case reflect.TypeFor[Run]():
		switch name {
		case "cells":
			return MaxCells
		case "diagnostics", "warnings", "base_diagnostics":
			return 10000
		}
	case reflect.TypeFor[Cell]():
		switch name {
		case "trials", "waves":
			return 10000
		case "bursts":
			return 100
		case "diagnostics", "log_excerpt", "log_tail":
			return 1000
		}
	case reflect.TypeFor[Burst]():
		return 10000 // requests and waves; a burst is at most 10,000 requests
	case reflect.TypeFor[Deployed]():
		switch name {
		case "args":
			return maxDeployArgs
		case "sources":
			return maxDeploySources
		}
	case reflect.TypeFor[Sweep]():
		return 1000 // points: doubling from 1 reaches 10,000 connections in 14
	}
	return 0
}

// frame is an object or array being scanned.
type frame struct {
	t     reflect.Type // its Go type (a struct, slice or map), nil for what decoding ignores
	array bool
	// key and index place it in its parent: a member's key, an element's
	// index (-1 for a member).
	key   string
	index int
	n     int    // elements so far, for an array
	next  string // the key whose value comes next, for an object
	keyed bool   // next is set
	limit int    // most elements, for an array
}

// pathOf names the value at the top of stack, and within it the member
// key or element index when one is given (index ≥ 0), as
// "cells[3].trials": built only for an error, as it allocates.
func pathOf(stack []frame, key string, index int) string {
	var b strings.Builder
	seg := func(key string, index int) {
		switch {
		case index >= 0:
			fmt.Fprintf(&b, "[%d]", index)
		case key != "":
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(key)
		}
	}
	for _, f := range stack {
		seg(f.key, f.index)
	}
	seg(key, index)
	return b.String()
}

// scan reads data as JSON tokens and refuses it, naming the limit, when it
// holds more than the limits allow: a string longer than MaxString, too
// many cells or elements, values nested too deep, or more decoded memory
// than 4 × its size. It allocates little beyond each token.
func scan(data []byte) error {
	budget := min(max(4*int64(len(data)), maxDecodedFloor), maxDecodedCeiling)
	var cost int64
	total := 0
	fields := map[reflect.Type]map[string]reflect.StructField{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number no field holds is skipped, not converted
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not valid results JSON (corrupt or truncated?): %w", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		// A string in an object that awaits a key is the key.
		if n := len(stack); n > 0 && !stack[n-1].array && !stack[n-1].keyed {
			f := &stack[n-1]
			f.next, f.keyed = tok.(string), true
			if len(f.next) > MaxString {
				return fmt.Errorf("%s: a key of %d bytes, more than %d",
					or(pathOf(stack, "", -1), "results"), len(f.next), MaxString)
			}
			continue
		}
		// A value: what it is in Go, and where.
		t, key, index, limit := reflect.TypeFor[Run](), "", -1, 0
		if n := len(stack); n > 0 {
			f := &stack[n-1]
			t = nil
			if f.array {
				f.n++
				total++
				if f.n > f.limit {
					return fmt.Errorf("%s: more than %d elements", pathOf(stack, "", -1), f.limit)
				}
				if total > maxTotalElements {
					return fmt.Errorf("more than %d array elements in all", maxTotalElements)
				}
				index = f.n - 1
				if f.t != nil {
					t = f.t.Elem()
					cost += 2 * int64(t.Size()) // appending grows the slice by doubling
				}
			} else {
				key, f.keyed = f.next, false
				switch {
				case f.t == nil:
				case f.t.Kind() == reflect.Map:
					t = f.t.Elem()
					cost += 2*int64(f.t.Key().Size()+t.Size()) + 16 + int64(len(key))
				default:
					if sf, ok := field(fields, f.t, key); ok {
						t = sf.Type
						limit = elementLimit(f.t, jsonName(sf))
					}
				}
			}
		}
		if t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
			cost += int64(t.Size())
		}
		switch v := tok.(type) {
		case json.Delim: // '{' or '['
			if len(stack) >= maxDepth {
				return fmt.Errorf("%s: nested more than %d deep", pathOf(stack, key, index), maxDepth)
			}
			if t != nil && (v == '[') != (t.Kind() == reflect.Slice) {
				t = nil // a type mismatch: decoding fails, allocating nothing more here
			}
			if limit == 0 {
				limit = maxElements
			}
			stack = append(stack, frame{t: t, array: v == '[', key: key, index: index, limit: limit})
		case string:
			if len(v) > MaxString {
				return fmt.Errorf("%s: a string of %d bytes, more than %d",
					pathOf(stack, key, index), len(v), MaxString)
			}
			if t != nil && t.Kind() == reflect.String {
				cost += int64(len(v))
			}
		}
		if cost > budget {
			return fmt.Errorf("would take more than %d MiB to decode (4 × its size, at least %d MiB, at most %d MiB)"+
				" at %s", budget>>20, maxDecodedFloor>>20, maxDecodedCeiling>>20,
				or(pathOf(stack, key, index), "the start"))
		}
	}
}

// field finds the field of struct t that JSON key names, as
// encoding/json does: an exact match first, else one equal under case
// folding; fields of embedded structs count as t's.
func field(cache map[reflect.Type]map[string]reflect.StructField, t reflect.Type, key string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	fs, ok := cache[t]
	if !ok {
		fs = map[string]reflect.StructField{}
		for _, sf := range reflect.VisibleFields(t) {
			if sf.Anonymous || !sf.IsExported() {
				continue
			}
			if name := jsonName(sf); name != "-" {
				fs[name] = sf
			}
		}
		cache[t] = fs
	}
	if sf, ok := fs[key]; ok {
		return sf, true
	}
	for name, sf := range fs {
		if strings.EqualFold(name, key) {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is the key of a struct field in JSON.
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "" {
		return sf.Name
	}
	return name
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// joinFirst joins the first n of errs (nil ones left out) and says how
// many more there were, so that a file of a million bad cells does not
// make a message of a million lines.
func joinFirst(errs []error, n int) error {
	var kept []error
	more := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case len(kept) < n:
			kept = append(kept, err)
		default:
			more++
		}
	}
	if more > 0 {
		kept = append(kept, fmt.Errorf("and %d more", more))
	}
	return errors.Join(kept...)
}
