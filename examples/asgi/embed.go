// Package asgi bundles the example ASGI app, so that `workerbench demo`
// can run it on an event-loop server from any directory.
package asgi

import _ "embed"

// App is the source of app.py.
//
//go:embed app.py
var App []byte
