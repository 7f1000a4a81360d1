// Package flask bundles the example Flask app, so that `workerbench demo`
// can run it from any directory.
package flask

import _ "embed"

// App is the source of app.py.
//
//go:embed app.py
var App []byte
