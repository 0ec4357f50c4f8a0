//go:build !(js && wasm)

package openapi

import _ "embed"

//go:embed openapi.json
var document []byte
