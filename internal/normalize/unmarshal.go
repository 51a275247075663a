package normalize

import (
	"encoding/json"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// unmarshal decodes one finding or event detail into v.
//
// The SDK model of ASFF is big (every resource detail type), and decoding
// it is the main cost of the pipeline: encoding/json takes ~39µs for a
// 3 KB finding here, github.com/goccy/go-json ~11µs with the same struct
// semantics (checked by TestDecoderAgreement over the corpus and by
// FuzzDecoderAgreement). So goccy decodes, and encoding/json is the
// reference: when goccy fails (or panics — it is never allowed to take the
// process down on input), encoding/json decodes again, and either succeeds
// or gives the error with the field path that FieldError reports.
func unmarshal(data []byte, v any, reset func()) (err error) {
	if fastDecode {
		if fastErr := fastUnmarshal(data, v); fastErr == nil {
			return nil
		}
		reset()
	}
	return json.Unmarshal(data, v)
}

// fastDecode is false only in the benchmark that measures encoding/json.
var fastDecode = true

func fastUnmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-json panicked: %v", r)
		}
	}()
	return gojson.Unmarshal(data, v)
}
